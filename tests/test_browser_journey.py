"""A citizen reports with a pin on the map; an officer then sees that zone on the dashboard map."""

import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone

from city.models import Zone
from conftest import TEST_PASSWORD, make_user
from reports.models import Category

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def centre_zone():
    """A zone around Torino's centre, where the report map opens."""
    return Zone.objects.create(
        code="CENTRO",
        name="Centro",
        kind=Zone.Kind.DISTRICT,
        population=80000,
        geom=MultiPolygon(Polygon.from_bbox((7.66, 45.05, 7.71, 45.09)), srid=4326),
    )


def test_citizen_reports_with_a_pin_and_officer_sees_the_zone_on_the_map(page, celery_worker, centre_zone):
    make_user("officer-browser", "officer")

    # The citizen, on the Italian form, places the pin by tapping the map (tiles never load here).
    page.goto("/reports/new/")
    assert page.locator("html").get_attribute("lang") == "it"
    page.locator("#report-map").click()
    assert page.locator("#id_latitude").input_value().startswith("45.0")
    yesterday_2300 = (timezone.localtime() - dt.timedelta(days=1)).replace(hour=23, minute=0)
    page.fill("#id_occurred_at", yesterday_2300.strftime("%Y-%m-%dT%H:%M"))  # last night, in the night slot
    page.select_option("#id_category", label=Category.objects.get(code="dark-area").name_it)
    page.locator("label", has_text="Abbastanza sicuro/a").click()  # the styled label is what a person taps
    assert page.get_by_label("Abbastanza sicuro/a").is_checked()
    page.get_by_role("button", name="Invia la segnalazione").click()
    page.wait_for_url(lambda url: "/reports/new/" not in url)
    code = page.locator("#tracking-code").inner_text().strip()
    assert len(code) == 8

    # The officer logs in and finds the zone on the map, coloured once the worker has aggregated it.
    page.goto("/dashboard/")
    page.fill("#id_username", "officer-browser")
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/dashboard/")
    for _attempt in range(20):
        page.wait_for_selector("#zone-map[data-zones-loaded]")
        if page.locator('path.zone-data[data-zone="CENTRO"]').count():
            break
        page.wait_for_timeout(500)
        page.reload()
    zone = page.locator('path.zone-data[data-zone="CENTRO"]')
    assert zone.count() == 1
    zone.hover()
    assert "Centro" in page.locator(".leaflet-tooltip").inner_text()
    assert page.locator("#trend-chart .main-svg").count() >= 1  # Plotly drew the chart from static/
    page.screenshot(path="test-output/dashboard.png", full_page=True)


def test_the_form_shows_errors_in_english_after_one_tap(page, centre_zone):
    page.goto("/reports/new/")
    page.locator("button[name=language][value=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Send report").click()
    alert = page.get_by_role("alert")
    assert "Please choose a category" in alert.inner_text()
    assert "Please place the pin" in alert.inner_text()
