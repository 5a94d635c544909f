"""An officer in Chromium: logs in, switches slot and period, opens a zone, exports a CSV, acknowledges an alert."""

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from conftest import TEST_PASSWORD, make_user, square_zone
from indicators import engine, registry
from indicators.models import Alert
from reports.models import Category, PerceivedSafety
from reports.services import report_submit
from tests.test_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUTPUT = Path("test-output")


@pytest.fixture
def city():
    """Two zones: the west feels safe at night and unsafe in the evening, the east the other way round."""
    west = square_zone("W", 7.67, 45.06, population=12000, name="Ovest")
    east = square_zone("E", 7.68, 45.06, population=8000, name="Est")
    category, _ = Category.objects.get_or_create(
        code="dark-area", defaults={"name_it": "Zona buia", "name_en": "Dark area", "group": "lighting"}
    )
    day = timezone.localdate() - dt.timedelta(days=3)
    safe, unsafe = PerceivedSafety.VERY_SAFE, PerceivedSafety.VERY_UNSAFE
    for point, night_rating, evening_rating in ((Point(7.675, 45.065), safe, unsafe), (Point(7.685, 45.065), unsafe,
                                                                                       safe)):  # fmt: skip
        for hour, rating in ((23, night_rating), (20, evening_rating)):
            when = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
            for _ in range(4):
                report_submit(category=category, location=point, perceived_safety=rating, occurred_at=when)
    engine.recompute_stale()
    anchor = engine.anchor_night()
    alert = Alert.objects.create(
        zone=west, slot="night", metric=registry.SHARE_FEELING_SAFE, window_start=anchor - dt.timedelta(days=27),
        window_end=anchor, method_version=registry.METHOD_VERSION, baseline=0.8, current=0.5, baseline_n=120,
        current_n=40, statistic=-3.2, p_value=0.0007, q_value=0.004, created_at=timezone.now(),
    )  # fmt: skip
    make_user("officer-dash", "officer")
    return west, east, alert


def log_in(page, path="/dashboard/"):
    page.goto(path)
    page.fill("#id_username", "officer-dash")
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(f"**{path}*")


def zone_colours(page) -> dict[str, str]:
    page.wait_for_selector("#zone-map[data-zones-loaded]")
    return {code: page.locator(f'path.zone[data-zone="{code}"]').get_attribute("data-colour") for code in ("W", "E")}


def test_officer_switches_slot_and_period_opens_a_zone_exports_and_acknowledges(page, city, tmp_path):
    _west, _east, alert = city
    log_in(page)
    page.select_option("#metric", "share_feeling_safe")
    page.get_by_role("button", name="Mostra", exact=True).click()
    page.wait_for_url("**metric=share_feeling_safe**")
    night = zone_colours(page)
    assert night == {"W": "#4575b4", "E": "#d73027"}  # the west feels safe at night
    night_legend = page.locator("#map-legend").inner_text()
    assert "100%" in night_legend and "0%" in night_legend
    page.screenshot(path=str(OUTPUT / "dashboard-overview.png"), full_page=True)

    # Evening: the colours swap. The filters live in the URL.
    page.select_option("#slot", "evening")
    page.get_by_role("button", name="Mostra", exact=True).click()
    page.wait_for_url("**slot=evening**")
    assert zone_colours(page) == {"W": "#d73027", "E": "#4575b4"}

    # Last night has no answers: the legend says so and the zones are grey.
    page.select_option("#period", "last_night")
    page.get_by_role("button", name="Mostra", exact=True).click()
    page.wait_for_url("**period=last_night**")
    assert zone_colours(page) == {"W": "#bbbbbb", "E": "#bbbbbb"}
    assert page.locator("#map-legend").inner_text() != night_legend

    # Back to the rolling window, night: export the zones as CSV and read its rows.
    page.goto("/dashboard/?metric=share_feeling_safe&slot=night&period=rolling28")
    with page.expect_download() as download:
        page.locator("#export-zones-csv").click()
    path = tmp_path / "zones.csv"
    download.value.save_as(path)
    rows = {r["code"]: r for r in csv.DictReader(path.open(encoding="utf-8-sig"))}
    assert set(rows) == {"W", "E"}
    assert (rows["W"]["n"], rows["W"]["value"], rows["E"]["value"]) == ("4", "1.0", "0.0")

    # Open the west zone from the map.
    zone_colours(page)
    page.locator('path.zone[data-zone="W"]').click()
    page.wait_for_url("**/dashboard/zones/W/**")
    assert "Ovest" in page.locator("h1").inner_text()
    page.wait_for_selector("#zone-trend .main-svg")
    assert page.locator("#categories-table tbody tr").count() == 1
    page.screenshot(path=str(OUTPUT / "dashboard-zone.png"), full_page=True)

    # Acknowledge the alert.
    page.goto("/dashboard/alerts/")
    row = page.locator(f'tr[data-alert="{alert.pk}"]')
    row.locator("input[name=note]").fill("Pattuglie serali dalla prossima settimana")  # a note is required
    row.get_by_role("button").click()
    page.wait_for_url("**/dashboard/alerts/**")
    assert page.locator(f'tr[data-alert="{alert.pk}"]').count() == 0
    alert.refresh_from_db()
    assert alert.acknowledged_by.username == "officer-dash"


def test_layers_switch_on_from_the_url(page, city):
    log_in(page, "/dashboard/?layers=reports,sensors,hotspots,projects")
    page.wait_for_selector("#zone-map[data-reports-loaded]")
    assert int(page.locator("#zone-map").get_attribute("data-reports-loaded")) >= 1
    page.wait_for_selector("#zone-map[data-sensors-loaded]")
    assert page.locator("#layer-reports").is_checked()


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/dashboard/zones/W/", "/dashboard/alerts/", "/dashboard/hotspots/",
             "/dashboard/compare/?zones=W,E"],
)  # fmt: skip
def test_no_serious_or_critical_accessibility_violation(page, city, path):
    log_in(page, path.split("?")[0])
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert serious_violations(page) == []
