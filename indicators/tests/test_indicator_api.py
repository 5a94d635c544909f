"""The indicator API, CSV/GeoJSON export, hot spots on a grid of zones, alerts and their acknowledgement."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection

from conftest import square_zone
from indicators import alerts, engine, hotspots, registry
from indicators.models import Alert, HotSpot
from reports.models import PerceivedSafety

from .test_indicator_components import ANCHOR, NIGHT, at, recompute, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(two_zones, category):
    submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23))
    submit(category, PerceivedSafety.VERY_UNSAFE, at(NIGHT, 23), lon=7.685)
    recompute()
    return two_zones


def test_indicators_are_listed_with_filters_and_pagination(client, computed):
    response = client.get(
        "/api/v1/indicators/",
        {"zone": "W", "metric": "share_feeling_safe", "period_kind": "night", "slot": "night",
         "period_start_after": NIGHT.isoformat(), "period_start_before": NIGHT.isoformat(),
         "method_version": registry.METHOD_VERSION},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert (row["zone"], row["value"], row["n"], row["method_version"]) == ("W", 1.0, 1, registry.METHOD_VERSION)


def test_a_bad_filter_is_a_400_not_a_500(client, computed):
    assert client.get("/api/v1/indicators/", {"period_kind": "fortnight"}).status_code == 400
    assert client.get("/api/v1/indicators/", {"period_start_after": "yesterday"}).status_code == 400


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/v1/indicators/", {"metric": "psl"}, "metric"),
        ("/api/v1/indicators/", {"slot": "brunch"}, "slot"),
        ("/api/v1/indicators/", {"period_start_after": "0001-01-01"}, "period_start"),
        ("/api/v1/indicators/", {"period_start_before": "9999-12-31"}, "period_start"),
        ("/api/v1/indicators/", {"zone": "\x00"}, "zone"),
        ("/api/v1/indicators.csv", {"period_start_after": "1900-01-01"}, "period_start"),
        ("/api/v1/indicators.geojson", {"metric": "=HYPERLINK()"}, "metric"),
        ("/api/v1/hotspots/", {"period_start": "9999-12-31"}, "period_start"),
        ("/api/v1/hotspots/", {"slot": "\x00"}, "slot"),
        ("/api/v1/indicators/sensitivity/", {"period_start": "0001-01-01"}, "period_start"),
        ("/api/v1/indicators/sensitivity/", {"period_start": "2026-01-01\x00"}, "period_start"),
        ("/api/v1/indicators/sensitivity/", {"period_kind": "fortnight"}, "period_kind"),
    ],
)
def test_a_filter_outside_its_choices_or_the_date_window_is_a_400_naming_it(client, computed, path, params, named):
    response = client.get(path, params)
    assert response.status_code == 400
    assert named in response.json()


def test_the_indicators_csv_starts_with_a_bom_and_writes_formulas_as_text(client, computed):
    from city.models import Zone

    Zone.objects.filter(code="W").update(code='=HYPERLINK("http://evil.example/")')
    Zone.objects.filter(code="E").update(code="@SUM(A1)")
    response = client.get("/api/v1/indicators.csv", {"metric": "share_feeling_safe", "period_kind": "night"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert {r["zone"] for r in rows} == {'\'=HYPERLINK("http://evil.example/")', "'@SUM(A1)"}
    assert {r["value"] for r in rows} == {"1.0", "0.0"}  # numbers stay numbers


def test_indicators_export_as_csv_and_geojson(client, computed):
    response = client.get("/api/v1/indicators.csv", {"metric": "psi", "period_kind": "night"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert {r["zone"] for r in rows} == {"W", "E"}
    assert all(r["metric"] == "psi" and r["grade"] for r in rows)
    response = client.get("/api/v1/indicators.geojson", {"metric": "psi", "period_kind": "night"})
    assert response.status_code == 200
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert {f["properties"]["zone"] for f in collection["features"]} == {"W", "E"}
    assert collection["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_the_api_is_in_the_openapi_schema(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for path in ("/api/v1/indicators/", "/api/v1/indicators.csv", "/api/v1/indicators.geojson",
                 "/api/v1/hotspots/", "/api/v1/alerts/", "/api/v1/alerts/{id}/acknowledge/",
                 "/api/v1/indicators/sensitivity/"):  # fmt: skip
        assert path in paths


def test_sensitivity_is_served_by_the_api(client, computed):
    response = client.get("/api/v1/indicators/sensitivity/", {"slot": "night", "period_kind": "night",
                                                              "period_start": NIGHT.isoformat()})  # fmt: skip
    assert response.status_code == 200
    assert response.json()["zones"] == 2
    assert client.get("/api/v1/indicators/sensitivity/", {"slot": "noon"}).status_code == 400


# --- hot spots -------------------------------------------------------------------------------------


CELL = 2**-7  # degrees; a power of two, so neighbours' corners are the very same floats


def grid(size: int = 5):
    return [square_zone(f"G{r}{c}", 7.5 + CELL * c, 45.0 + CELL * r, size=CELL, population=10_000)
            for r in range(size) for c in range(size)]  # fmt: skip


def test_contiguity_comes_from_shared_borders_and_corners():
    zones = grid(3)
    pairs = hotspots.contiguity_pairs()
    centre = zones[4].id
    assert sum(centre in p for p in pairs) == 8  # queen contiguity in the middle of a 3x3 grid
    corner = zones[0].id
    assert sum(corner in p for p in pairs) == 3


def test_a_cluster_of_unsafe_zones_is_found_and_the_result_is_reproducible(category):
    zones = grid(5)
    start = ANCHOR - dt.timedelta(days=27)
    # The index itself, written directly: a low corner block of 3x3 zones in a safe city.
    with connection.cursor() as cursor:
        for zone in zones:
            r, c = int(zone.code[1]), int(zone.code[2])
            low = r < 3 and c < 3
            cursor.execute(
                "INSERT INTO observatory_indicator (zone_id, period_kind, period_start, slot, metric, method_version,"
                " value, n, unit, grade, computed_at) VALUES (%s, 'rolling28', %s, 'night', 'psi', %s, %s, 50, '', 'A',"
                " now())",
                [zone.id, start, registry.METHOD_VERSION, 20.0 + r + c if low else 80.0 - r + c],
            )
    hotspots.compute_hotspots(period_start=start, slots=["night"], permutations=999)
    first = list(HotSpot.objects.order_by("zone_id").values_list("zone__code", "gi_z", "gi_p", "gi_q", "cluster"))
    centre = HotSpot.objects.get(zone__code="G11")
    assert centre.gi_z < 0 and centre.cluster == "unsafe" and centre.moran_quadrant == "LL"
    assert HotSpot.objects.get(zone__code="G44").cluster != "unsafe"
    hotspots.compute_hotspots(period_start=start, slots=["night"], permutations=999)
    again = list(HotSpot.objects.order_by("zone_id").values_list("zone__code", "gi_z", "gi_p", "gi_q", "cluster"))
    assert again == first  # fixed seed: same data, same p-values


# --- alerts ----------------------------------------------------------------------------------------


def test_a_zone_whose_share_falls_against_its_own_baseline_raises_one_alert(two_zones, category, officer, client):
    west, _east = two_zones
    anchor = dt.date(2026, 11, 20)
    # Baseline (the 12 weeks before the window): 40 reports, 30 feeling safe. Window: 40 reports, 8 safe.
    for i in range(40):
        submit(category, 4 if i < 30 else 1, at(anchor - dt.timedelta(days=40 + i), 23))
        submit(category, 4 if i < 8 else 1, at(anchor - dt.timedelta(days=i % 27), 23))
    engine.recompute_stale(anchor=anchor)
    assert alerts.compute_alerts(anchor=anchor) >= 1
    alert = Alert.objects.get(zone=west, slot="night", metric="share_feeling_safe")
    assert (alert.baseline, alert.current, alert.baseline_n, alert.current_n) == (0.75, 0.2, 40, 40)
    assert alert.p_value < 0.001 and alert.q_value <= 0.05
    alerts.compute_alerts(anchor=anchor)
    assert Alert.objects.filter(metric="share_feeling_safe").count() == 1  # keyed: never duplicated

    assert client.get("/api/v1/alerts/").status_code in (401, 403)  # anonymous
    client.force_login(officer)
    listed = client.get("/api/v1/alerts/", {"acknowledged": "false"}).json()
    assert any(a["zone"] == "W" for a in listed["results"])
    assert client.post(f"/api/v1/alerts/{alert.id}/acknowledge/").status_code == 400  # a note is required
    response = client.post(f"/api/v1/alerts/{alert.id}/acknowledge/", {"note": "Pattuglia"})
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "officer"
    alerts.compute_alerts(anchor=anchor)
    alert.refresh_from_db()
    assert alert.acknowledged_by == officer and alert.acknowledged_at is not None


def test_an_outsider_cannot_read_or_acknowledge_alerts(client, citizen_account):
    client.force_login(citizen_account)
    assert client.get("/api/v1/alerts/").status_code == 403


def test_no_alert_below_the_minimum_n(two_zones, category):
    anchor = dt.date(2026, 11, 20)
    for i in range(5):
        submit(category, 4, at(anchor - dt.timedelta(days=40 + i), 23))
        submit(category, 1, at(anchor - dt.timedelta(days=i), 23))
    engine.recompute_stale(anchor=anchor)
    alerts.compute_alerts(anchor=anchor)
    assert not Alert.objects.exists()
