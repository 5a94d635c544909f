"""Browser journeys of the citizen channel: pin + photo + tracking page, the no-JavaScript path, moderation."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone
from PIL import Image

from city.models import Zone
from conftest import TEST_PASSWORD, make_user
from reports.models import Category, Report
from reports.ratelimit import rate_limit_reset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    rate_limit_reset("127.0.0.1")
    yield
    rate_limit_reset("127.0.0.1")


@pytest.fixture
def city(db):
    zone = Zone.objects.create(
        code="CENTRO", name="Centro", kind=Zone.Kind.DISTRICT, population=80000,
        geom=MultiPolygon(Polygon.from_bbox((7.66, 45.05, 7.71, 45.09)), srid=4326),
    )  # fmt: skip
    category, _ = Category.objects.get_or_create(
        code="dark-area", defaults={"name_it": "Zona buia", "name_en": "Dark area", "group": "lighting"}
    )
    return zone, category


def photo_file(tmp_path):
    path = tmp_path / "lampione.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def published(report: Report) -> Report:
    """Only published reports are offered to add to."""
    from reports.services import report_publish

    return report_publish(report=report, user=make_user(f"mod-{report.tracking_code.lower()}", "moderator"))


def test_a_report_not_yet_published_is_never_listed_only_said_to_exist(page, city):
    _zone, category = city
    from reports.tests.factories import submit

    unpublished = submit(category, lon=7.6869, lat=45.0703)
    page.goto("/reports/new/")
    page.select_option("#id_category", value=str(category.pk))
    page.locator("#report-map").click()  # next to that report
    page.locator("#nearby-unpublished").wait_for(state="visible")
    assert page.locator("#nearby").is_hidden()
    assert unpublished.tracking_code not in page.content()


def last_night():
    return (timezone.localtime() - dt.timedelta(days=1)).replace(hour=23, minute=0).strftime("%Y-%m-%dT%H:%M")


def test_citizen_reports_with_a_pin_and_a_photo_then_follows_the_tracking_page(page, city, tmp_path):
    page.goto("/reports/new/")
    page.locator("#report-map").click()
    assert page.locator("#id_latitude").input_value().startswith("45.0")
    page.select_option("#id_category", value=str(city[1].pk))
    page.fill("#id_occurred_at", last_night())
    page.click("label[for=id_perceived_safety_2]")
    page.set_input_files("#id_photo", str(photo_file(tmp_path)))
    page.get_by_role("button", name="Invia la segnalazione").click()
    page.wait_for_url("**/reports/*/?new=1")
    code = page.locator("#tracking-code").inner_text().strip()
    report = Report.objects.get(tracking_code=code)
    assert report.photo and report.zone.code == "CENTRO"

    # Later the citizen opens the tracking page and sees the city's public note.
    moderator = make_user("mod-track", "moderator")
    from reports.services import report_set_status

    report_set_status(
        report=report, status="in_progress", public_note="Segnalato all'illuminazione pubblica", user=moderator
    )
    page.goto(f"/reports/{code}/")
    assert "Segnalato all'illuminazione pubblica" in page.locator("#status-history").inner_text()


def test_the_form_works_without_javascript_by_choosing_an_area(browser, web_server, city):
    context = browser.new_context(base_url=web_server, locale="it-IT", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/reports/new/")
        assert page.locator("#report-map").is_hidden()
        page.select_option("#id_zone", label="Centro")
        page.select_option("#id_category", value=str(city[1].pk))
        page.fill("#id_occurred_at", last_night())
        page.click("label[for=id_perceived_safety_3]")
        page.get_by_role("button", name="Invia la segnalazione").click()
        page.wait_for_url("**/reports/*/?new=1")
        code = page.locator("#tracking-code").inner_text().strip()
        assert Report.objects.get(tracking_code=code).zone.code == "CENTRO"
    finally:
        context.close()


def test_moderator_approves_merges_and_sets_a_status(page, city):
    _zone, category = city
    from reports.tests.factories import submit

    original = submit(category, lon=7.68, lat=45.07)
    duplicate = submit(category, lon=7.6801, lat=45.0701)
    make_user("mod-browser", "moderator")
    page.goto("/reports/moderation/")
    page.fill("#id_username", "mod-browser")
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/reports/moderation/")

    page.get_by_role("link", name=original.tracking_code).click()
    page.fill("#id_public_description", "Zona buia in via Po")
    with page.expect_navigation():
        page.locator("#action-publish").click()
    page.select_option("#id_status", value="action_scheduled")
    page.fill("#id_status_note", "Intervento previsto")
    with page.expect_navigation():
        page.locator("#action-status").click()
    assert (
        "Action scheduled" in page.locator("#moderation-status").inner_text()
        or "programmat" in page.locator("#moderation-status").inner_text().lower()
    )

    page.goto(f"/reports/moderation/{duplicate.tracking_code}/")
    page.fill("#id_into", original.tracking_code)
    with page.expect_navigation():
        page.press("#id_into", "Enter")  # keyboard-friendly: Enter submits the focused form
    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert original.is_published and original.status == "action_scheduled"
    assert duplicate.status == "duplicate" and duplicate.duplicate_of == original
    assert page.locator("#moderation-history").inner_text().count("mod-browser") >= 1


def test_citizen_sees_a_report_nearby_adds_their_experience_and_follows_it(page, city):
    _zone, category = city
    from reports.tests.factories import submit

    # Someone reported the same dark street an hour ago, right where the map opens, and a moderator published it.
    original = published(submit(category, lon=7.6869, lat=45.0703))
    page.goto("/reports/new/")
    page.select_option("#id_category", value=str(category.pk))
    page.locator("#report-map").click()  # the pin lands at the centre of the map, next to that report
    nearby = page.locator("#nearby")
    nearby.wait_for(state="visible")
    choice = page.get_by_label(f"È quello che ho visto: aggiungi la mia esperienza a {original.tracking_code}")
    assert choice.count() == 1
    assert page.locator("#join-new").is_checked()  # sending a new one stays the default
    page.locator(f"label[for=join-{original.tracking_code}]").click()
    assert choice.is_checked()
    page.fill("#id_occurred_at", last_night())
    page.click("label[for=id_perceived_safety_3]")
    page.fill("#id_description", "Anche io, tornando a casa")
    page.get_by_role("button", name="Invia la segnalazione").click()
    page.wait_for_url("**/reports/*/?new=1")

    code = page.locator("#tracking-code").inner_text().strip()
    joined = Report.objects.get(tracking_code=code)
    assert (joined.duplicate_of, joined.status) == (original, Report.Status.DUPLICATE)
    assert "aggiunta" in page.locator("h1").inner_text().lower()
    page.locator("#joined-link").click()
    page.wait_for_url(f"**{original.get_absolute_url()}")
    assert "1 altra persona" in page.locator("#added-count").inner_text()


def test_without_javascript_the_reports_nearby_are_offered_before_saving(browser, web_server, city):
    _zone, category = city
    from reports.tests.factories import submit

    original = published(submit(category, lon=7.6869, lat=45.0703))
    context = browser.new_context(base_url=web_server, locale="it-IT", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/reports/new/")
        page.fill("#id_latitude", "45.0704")
        page.fill("#id_longitude", "7.6870")
        page.select_option("#id_category", value=str(category.pk))
        page.fill("#id_occurred_at", last_night())
        page.click("label[for=id_perceived_safety_2]")
        page.get_by_role("button", name="Invia la segnalazione").click()
        page.locator("#duplicates-step").wait_for(state="visible")  # the form came back with the list
        assert Report.objects.count() == 1  # nothing saved yet
        assert page.locator("#id_latitude").input_value() == "45.0704"  # nothing typed is lost
        page.locator(f"label[for=join-{original.tracking_code}]").click()
        page.get_by_role("button", name="Invia la segnalazione").click()
        page.wait_for_url("**/reports/*/?new=1")
        code = page.locator("#tracking-code").inner_text().strip()
        assert Report.objects.get(tracking_code=code).duplicate_of == original
    finally:
        context.close()


def test_the_chosen_categorys_extra_questions_are_asked_and_stored(page, city):
    lamp = Category.objects.get(code="broken-street-light")  # seeded with two extra questions
    dark = city[1]
    page.goto("/reports/new/")
    questions = page.locator(f"#questions-{lamp.pk}")
    assert questions.is_hidden()  # no category chosen yet
    page.select_option("#id_category", value=str(lamp.pk))
    assert questions.is_visible()
    page.select_option("#id_category", value=str(dark.pk))
    assert questions.is_hidden()
    page.select_option("#id_category", value=str(lamp.pk))
    # The page speaks Italian (the city's default); the seeded questions carry both languages.
    page.get_by_label("Numero del palo").fill("TO-1234")
    page.get_by_label("Quante luci sono spente?").select_option("several")
    page.locator("#report-map").click()
    page.fill("#id_occurred_at", last_night())
    page.click("label[for=id_perceived_safety_2]")
    page.get_by_role("button", name="Invia la segnalazione").click()
    page.wait_for_url("**/reports/*/?new=1")
    code = page.locator("#tracking-code").inner_text().strip()
    assert Report.objects.get(tracking_code=code).attributes == {"pole_number": "TO-1234", "lights_out": "several"}
