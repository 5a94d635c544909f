"""The read API: sensors as GeoJSON, readings by time range, per-zone per-slot summaries, in the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sensors import services

pytestmark = pytest.mark.django_db


def ingest(sensor, values: list[tuple[str, float]]) -> None:
    services.readings_ingest(sensor=sensor, rows=[(t, v, "ok") for t, v in values])


def test_sensors_are_a_geojson_feature_collection(client, west_sensor, east_sensor, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(reverse("sensors-api:sensor-list"))
    body = response.json()
    assert body["type"] == "FeatureCollection"
    feature = next(f for f in body["features"] if f["properties"]["external_id"] == "LUX-W")
    assert feature["geometry"] == {"type": "Point", "coordinates": [7.675, 45.065]}
    assert feature["properties"]["kind"] == "illuminance"
    assert feature["properties"]["zone"] == "W"
    assert "token_hash" not in feature["properties"]


def test_sensors_filter_by_kind_and_zone(client, west_sensor, east_sensor):
    response = client.get(reverse("sensors-api:sensor-list") + "?zone=E&kind=illuminance")
    assert [f["properties"]["external_id"] for f in response.json()["features"]] == ["LUX-E"]


def test_readings_by_sensor_and_time_range_are_paginated(client, west_sensor):
    sensor = west_sensor[0]
    start = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)
    ingest(sensor, [((start + dt.timedelta(minutes=15 * i)).isoformat(), float(i)) for i in range(12)])
    url = reverse("sensors-api:sensor-readings", args=[sensor.id])
    response = client.get(url, {"start": "2026-11-27T21:00:00Z", "end": "2026-11-27T22:00:00Z", "page_size": 2})
    body = response.json()
    assert [r["value"] for r in body["results"]] == [4.0, 5.0]
    assert body["results"][0]["observed_at"].startswith("2026-11-27T22:00:00+01:00")
    following = client.get(body["next"]).json()
    assert [r["value"] for r in following["results"]] == [6.0, 7.0]
    assert following["next"] is None


def test_bad_time_range_is_a_400(client, west_sensor):
    url = reverse("sensors-api:sensor-readings", args=[west_sensor[0].id])
    assert client.get(url, {"start": "yesterday"}).status_code == 400
    assert client.get(url, {"start": "2026-11-28T00:00Z", "end": "2026-11-27T00:00Z"}).status_code == 400
    for start in ("9999-12-31T00:00:00Z", "1900-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00"):
        response = client.get(url, {"start": start})
        assert response.status_code == 400 and "start" in response.json(), start


@pytest.mark.parametrize(
    "cursor",
    [
        "cD1hYmM=",  # p=abc
        "cD0yMDI2LTk5LTk5",  # p=2026-99-99
        "cD0xOTAwLTAxLTAxIDAwOjAwOjAwKzAwOjAw",  # p=1900-01-01 00:00:00+00:00
        "not base64 at all %%%",
        "",
    ],
)
def test_a_tampered_readings_cursor_is_a_400_naming_the_cursor(client, west_sensor, cursor):
    url = reverse("sensors-api:sensor-readings", args=[west_sensor[0].id])
    response = client.get(url, {"cursor": cursor})
    if cursor:
        assert response.status_code == 400
        assert list(response.json()) == ["cursor"]
    else:
        assert response.status_code == 200


def test_a_cursor_of_a_page_still_works(client, west_sensor):
    sensor = west_sensor[0]
    start = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)
    ingest(sensor, [((start + dt.timedelta(minutes=15 * i)).isoformat(), float(i)) for i in range(4)])
    url = reverse("sensors-api:sensor-readings", args=[sensor.id])
    first = client.get(url, {"page_size": 2}).json()
    following = client.get(first["next"]).json()
    assert [r["value"] for r in following["results"]] == [2.0, 3.0]
    assert [r["value"] for r in client.get(following["previous"]).json()["results"]] == [0.0, 1.0]


def test_readings_of_an_unknown_sensor_are_a_404(client, db):
    assert client.get(reverse("sensors-api:sensor-readings", args=[12345])).status_code == 404


def test_zone_slot_summaries_give_median_percentiles_count_and_coverage(client, west_sensor, east_sensor):
    west = west_sensor[0]
    # Night of 27 November, night slot (22-02 local): 16 readings of 1..16 lux, every 15 minutes.
    start = dt.datetime(2026, 11, 27, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    ingest(west, [((start + dt.timedelta(minutes=15 * i)).isoformat(), float(i + 1)) for i in range(16)])
    ingest(west, [("2026-11-26T23:00:00+01:00", 100.0)])  # another night: outside the range
    response = client.get(
        reverse("sensors-api:zone-slot-summaries"),
        {"kind": "illuminance", "first_night": "2026-11-27", "last_night": "2026-11-27"},
    )
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["zone"], row["slot"], row["count"], row["sensors"]) == ("W", "night", 16, 1)
    assert row["median"] == pytest.approx(8.5)
    assert row["p10"] == pytest.approx(2.5)
    assert row["p90"] == pytest.approx(14.5)
    assert row["coverage"] == pytest.approx(1.0)  # 4 hours x 4 readings an hour


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kind": "radar", "first_night": "2026-11-01", "last_night": "2026-11-02"},
        {"kind": "illuminance", "first_night": "2026-11-05", "last_night": "2026-11-02"},
        {"kind": "illuminance", "first_night": "2026-11-01", "last_night": "2026-11-02", "zone": "NOPE"},
        {"kind": "illuminance", "first_night": "2026-11-01", "last_night": "2026-11-02", "zone": "\x00"},
        {"kind": "\x00", "first_night": "2026-11-01", "last_night": "2026-11-02"},
        {"kind": "illuminance", "first_night": "9999-12-30", "last_night": "9999-12-31"},
        {"kind": "illuminance", "first_night": "0001-01-01", "last_night": "0001-01-02"},
        {"kind": "illuminance", "first_night": "1900-01-01", "last_night": "1900-01-02"},
        {"kind": "illuminance", "first_night": "2026-11-01", "last_night": "2099-11-02"},
    ],
)
def test_bad_summary_queries_are_a_400(client, lux, params):
    response = client.get(reverse("sensors-api:zone-slot-summaries"), params)
    assert response.status_code == 400
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize("first_night", ["9999-12-30", "0001-01-01"])
def test_a_summary_period_outside_the_window_names_the_parameter(client, lux, first_night):
    response = client.get(
        reverse("sensors-api:zone-slot-summaries"),
        {"kind": "illuminance", "first_night": first_night, "last_night": first_night},
    )
    assert response.status_code == 400
    assert "first_night" in response.json()


def test_the_sensor_endpoints_are_in_the_openapi_schema(client, db):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/sensors/{sensor_id}/readings"]
    assert "get" in paths["/api/v1/sensors/{sensor_id}/readings"]
    assert "/api/v1/sensors/" in paths
    assert "/api/v1/sensors/summaries" in paths
    assert "sensorToken" in schema["components"]["securitySchemes"]
