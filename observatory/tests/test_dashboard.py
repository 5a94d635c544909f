"""The officers' dashboard: who may open it, and what the map and chart are fed."""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from observatory import indicators
from reports.models import PerceivedSafety
from reports.services import report_submit

pytestmark = pytest.mark.django_db
PAGES = [reverse("dashboard"), reverse("dashboard-zones-geojson")]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", PAGES)
def test_a_user_without_a_staff_role_is_refused(client, citizen_account, url):
    client.force_login(citizen_account)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["officer", "moderator", "grants_admin"])
@pytest.mark.parametrize("url", PAGES)
def test_staff_roles_can_open_the_dashboard(client, role, url):
    client.force_login(make_user(f"user-{role}", role))
    assert client.get(url).status_code == 200


def test_the_map_shows_each_zone_with_its_share_interval_and_n(client, officer, two_zones, category):
    when = timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=2), dt.time(23, 0)))
    for safety in (PerceivedSafety.VERY_SAFE, PerceivedSafety.VERY_UNSAFE, PerceivedSafety.FAIRLY_SAFE):
        report_submit(category=category, location=Point(7.675, 45.065), perceived_safety=safety, occurred_at=when)
    indicators.recompute_stale()
    client.force_login(officer)
    data = client.get(reverse("dashboard-zones-geojson"), {"slot": "night"}).json()
    assert data["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    assert set(by_code) == {"W", "E"}
    west_props = by_code["W"]["properties"]
    assert west_props["n"] == 3
    assert west_props["share_feeling_safe"] == pytest.approx(0.6667, abs=1e-4)
    assert west_props["lower"] < west_props["share_feeling_safe"] < west_props["upper"]
    assert by_code["E"]["properties"]["n"] == 0
    assert by_code["E"]["properties"]["share_feeling_safe"] is None
    assert by_code["W"]["geometry"]["type"] == "MultiPolygon"
    # Another slot has no answers yet.
    evening = client.get(reverse("dashboard-zones-geojson"), {"slot": "evening"}).json()
    assert all(f["properties"]["n"] == 0 for f in evening["features"])


def test_the_page_carries_the_trend_chart_and_local_libraries(client, officer, two_zones):
    client.force_login(officer)
    html = client.get(reverse("dashboard"), {"slot": "late_night"}).content.decode()
    assert 'id="trend-data"' in html
    assert "/static/vendor/leaflet/leaflet" in html
    assert "/static/vendor/plotly/plotly.min" in html
    assert "cdn" not in html.lower()
    assert 'value="late_night" selected' in html


def test_an_unknown_slot_falls_back_to_night(client, officer, two_zones):
    client.force_login(officer)
    data = client.get(reverse("dashboard-zones-geojson"), {"slot": "brunch"}).json()
    assert data["properties"]["slot"] == "night"


def test_the_map_costs_a_bounded_number_of_queries(client, officer, two_zones, django_assert_max_num_queries):
    client.force_login(officer)
    client.get(reverse("dashboard-zones-geojson"))  # warm the geometry cache
    with django_assert_max_num_queries(8):
        client.get(reverse("dashboard-zones-geojson"))
