"""A citizen on a phone (390x844, touch) with the map tiles blocked: the map draws the city's own zones and
streets, and a report is sent by tapping a drawn zone, by typing a street without JavaScript, and with the
keyboard only. Then the public map shows it, clustered, with its legend. Screenshots go to test-output/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.utils import timezone

from city.dataversion import bump_data_version
from city.models import Street
from conftest import make_user, square_zone
from reports.models import Category, Report
from reports.ratelimit import rate_limit_reset
from tests.layout import (
    axe_violations,
    horizontal_overflow,
    overlapping_text,
    phone_context,
    screenshot,
    small_targets,
)
from tests.processes import OUTPUT_DIR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    rate_limit_reset("127.0.0.1")
    yield
    rate_limit_reset("127.0.0.1")


@pytest.fixture
def city(db):
    west = square_zone("SSA", 7.67, 45.06, name="San Salvario", district="Circoscrizione 8")
    east = square_zone("BPO", 7.68, 45.06, name="Borgo Po", district="Circoscrizione 8")
    Street.objects.create(
        name="Via della Libertà", geom=MultiLineString(LineString((7.671, 45.065), (7.679, 45.065)), srid=4326)
    )
    Street.objects.create(name="Corso Casale", geom=MultiLineString(LineString((7.685, 45.061), (7.685, 45.069))))
    bump_data_version()
    category, _ = Category.objects.get_or_create(
        code="dark-area", defaults={"name_it": "Zona buia", "name_en": "Dark area", "group": "lighting"}
    )
    return west, east, category


def phone(browser, web_server, *, javascript: bool = True):
    """A phone's browser (tests/layout.py's, 390x844, touch) whose tile requests all fail."""
    context = phone_context(browser, web_server, viewport="phone", language="it", javascript=javascript)
    page = context.new_page()
    page.set_default_timeout(60000)  # two cores shared by many test runs: slow, not broken
    return context, page


def content_problems(page, name: str) -> dict:
    """tests/layout.py's checks over this part's content (``#main``): the header and footer are i15-header's."""
    screenshot(page, name)
    found = {
        "scrolls sideways by px": horizontal_overflow(page),
        "overlapping text": overlapping_text(page, "#main"),
        "targets under 44x44 px": small_targets(page, root="#main"),
        "axe-core": axe_violations(page),
    }
    return {check: problem for check, problem in found.items() if problem}


def last_night() -> str:
    return (timezone.localtime() - dt.timedelta(days=1)).replace(hour=23, minute=0).strftime("%Y-%m-%dT%H:%M")


def shot(page, name: str) -> None:
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / name), full_page=False)


def sent_report(page) -> Report:
    page.wait_for_url("**/reports/*/?new=1")
    return Report.objects.get(tracking_code=page.locator("#tracking-code").inner_text().strip())


def test_on_a_phone_without_tiles_a_tap_on_a_drawn_zone_places_the_pin_and_the_public_map_shows_it(
    browser, web_server, city
):
    west, _east, category = city
    context, page = phone(browser, web_server)
    try:
        page.goto("/reports/new/")
        page.locator('path[data-zone="SSA"]').wait_for()
        # Names drawn from the observatory's data, not from tiles: the zones' here (the districts' further out).
        page.locator(".map-label", has_text="San Salvario").wait_for()
        page.locator("#report-map").scroll_into_view_if_needed()
        shot(page, "place-picker-390.png")
        page.locator('path[data-zone="SSA"]').tap()
        confirmation = page.locator("#place-confirmation")
        confirmation.get_by_text("Sei in: San Salvario, Circoscrizione 8").wait_for()
        assert page.locator("#id_zone").input_value() == str(west.pk)
        shot(page, "place-picker-pin-390.png")
        page.set_viewport_size({"width": 320, "height": 700})
        # The map and the picker fit 320 px (the header's reflow is i15-header's part).
        assert page.evaluate("document.getElementById('report-map').getBoundingClientRect().right") <= 320
        shot(page, "place-picker-320.png")
        assert content_problems(page, "report-form-picker-320-it") == {}
        page.set_viewport_size({"width": 390, "height": 844})
        page.select_option("#id_category", value=str(category.pk))
        page.click("label[for=id_perceived_safety_2]")
        page.get_by_role("button", name="Invia la segnalazione").click()
        report = sent_report(page)
        assert report.zone == west

        # Published, it is on the public map: clustered on the privacy grid, with the legend and the list in view.
        from reports.services import report_publish

        report_publish(report=report, user=make_user("mod-picker", "moderator"))
        page.goto("/map/")
        page.locator(".cluster-icon").first.wait_for()
        assert page.locator("#in-view-list li").count() == 1
        assert "In vista sulla mappa: 1 luoghi o gruppi, 1 segnalazioni." in page.locator("#map-count").inner_text()
        assert page.locator(".map-legend-box li").count() == 7
        shot(page, "public-map-390.png")
        # The frame's layout checks (tests/layout.py) over the map page and the zone's public page.
        problems = {"map": content_problems(page, "public-map-phone-it")}
        page.goto(f"/map/zones/{west.code}/")
        problems["zone"] = content_problems(page, "public-zone-phone-it")
        assert problems == {"map": {}, "zone": {}}, problems
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto("/map/")
        page.locator(".cluster-icon").first.wait_for()
        page.locator("#in-view-list button").first.click()  # the list opens the cluster's popup
        page.locator(".leaflet-popup-content").get_by_text("Zona buia").wait_for()
        shot(page, "public-map-1440.png")
    finally:
        context.close()


def test_on_a_phone_without_javascript_the_typed_street_places_the_report(browser, web_server, city):
    west, _east, category = city
    context, page = phone(browser, web_server, javascript=False)
    try:
        page.goto("/reports/new/")
        assert page.locator("#report-map").is_hidden()
        page.fill("#id_address", "via della liberta 7")
        page.select_option("#id_category", value=str(category.pk))
        page.fill("#id_occurred_at", last_night())
        page.click("label[for=id_perceived_safety_1]")
        shot(page, "report-no-js-390.png")
        page.get_by_role("button", name="Invia la segnalazione").click()
        report = sent_report(page)
        assert report.zone == west and report.address == "via della liberta 7"
        assert report.location.distance(Street.objects.get(name="Via della Libertà").geom) < 1e-9
    finally:
        context.close()


def tab_to(page, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement && document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_with_the_keyboard_only_the_pin_is_placed_moved_and_announced(browser, web_server, city):
    west, east, _category = city
    context, page = phone(browser, web_server)
    try:
        page.goto("/reports/new/")
        page.locator('path[data-zone="SSA"]').wait_for()
        tab_to(page, "#report-map")
        page.keyboard.press("Enter")
        live = page.locator("#place-confirmation")
        live.get_by_text("Segnaposto inserito.").wait_for()
        assert live.get_attribute("aria-live") == "polite"
        placed = float(page.locator("#id_longitude").input_value())
        for _ in range(3):
            page.keyboard.press("Shift+ArrowRight")  # the finer step: the test city is two small squares
        live.get_by_text("Segnaposto spostato.").wait_for()
        assert float(page.locator("#id_longitude").input_value()) > placed
        shot(page, "keyboard-pin-390.png")
        tab_to(page, "#id_category")
        page.keyboard.press("ArrowDown")
        assert page.locator("#id_category").input_value() != ""
        tab_to(page, "input[name=perceived_safety]")
        page.keyboard.press("Space")
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")
        report = sent_report(page)
        assert report.zone in (west, east)
    finally:
        context.close()


def test_at_city_zoom_the_district_names_never_write_over_each_other(browser, web_server, db):
    """Four small districts side by side in a large city: at the zoom that shows the whole city their names would
    overlap; the picker draws those that fit and leaves out the others until one zooms in."""
    square_zone("BIG", 7.50, 44.95, size=0.2, name="Collina", district="Circoscrizione 7")
    for number, lon in enumerate((7.600, 7.605, 7.610, 7.615), start=1):
        square_zone(
            f"D{number}", lon, 45.155, size=0.005, name=f"Quartiere {number}", district=f"Circoscrizione {number}"
        )
    bump_data_version()
    context, page = phone(browser, web_server)
    try:
        page.goto("/reports/new/")
        page.locator(".map-label-district").first.wait_for()
        page.locator("#report-map").scroll_into_view_if_needed()
        boxes = page.locator(".map-label-district").evaluate_all(
            "ls => ls.filter(l => getComputedStyle(l).visibility !== 'hidden')"
            "  .map(l => { const r = l.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
        )
        hidden = page.locator(".map-label-district").count() - len(boxes)
        shot(page, "place-picker-districts-390.png")
        assert hidden >= 1  # the four small districts cannot all be named at this zoom
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    finally:
        context.close()


def test_one_tap_says_it_happened_yesterday_evening(browser, web_server, city):
    _west, _east, category = city
    context, page = phone(browser, web_server)
    try:
        page.goto("/reports/new/")
        page.locator('path[data-zone="SSA"]').wait_for()
        page.locator('path[data-zone="SSA"]').tap()
        page.select_option("#id_category", value=str(category.pk))
        page.click("label[for=id_perceived_safety_2]")
        choice = page.locator(".when-shortcut", has_text="ieri alle 22:00")
        if not choice.count():  # between 22:00 and midnight the last 22:00 is today's
            choice = page.locator(".when-shortcut", has_text="oggi alle 22:00")
        choice.tap()
        chosen = choice.get_attribute("data-value")
        assert page.input_value("#id_occurred_at") == chosen
        assert choice.get_attribute("aria-pressed") == "true"
        assert content_problems(page, "report-form-when-390-it") == {}
        page.get_by_role("button", name="Invia la segnalazione").click()
        report = sent_report(page)
        assert timezone.localtime(report.occurred_at).strftime("%Y-%m-%dT%H:%M") == chosen
    finally:
        context.close()
