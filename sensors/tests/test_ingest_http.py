"""HTTP batch ingest: POST /api/v1/sensors/<id>/readings with the sensor's token."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from city.models import StaleZoneNight
from sensors.models import Reading, Sensor

pytestmark = pytest.mark.django_db


def post(client, sensor_id: int, body: dict, token: str | None, keyword: str = "Token"):
    headers = {"HTTP_AUTHORIZATION": f"{keyword} {token}"} if token is not None else {}
    url = reverse("sensors-api:sensor-readings", args=[sensor_id])
    return client.post(url, body, content_type="application/json", **headers)


NOV_27 = [
    {"observed_at": "2026-11-27T23:10:00+01:00", "value": 3.2},
    {"observed_at": "2026-11-27T23:25:00+01:00", "value": 2.9},
    {"observed_at": "2026-11-28T01:30:00+01:00", "value": 0.4},
]


def test_batch_is_stored_stamped_with_zone_night_and_slot(client, west_sensor, two_zones):
    sensor, token = west_sensor
    response = post(client, sensor.id, {"readings": NOV_27}, token)
    assert response.status_code == 201, response.json()
    assert response.json() == {"received": 3, "inserted": 3, "duplicates": 0}
    rows = list(Reading.objects.filter(sensor=sensor).order_by("observed_at").values_list("zone_id", "night", "slot"))
    west = two_zones[0]
    # 01:30 on the 28th still belongs to the night of the 27th, and to the night slot (22-02).
    assert rows == [(west.id, dt.date(2026, 11, 27), "night")] * 3
    assert StaleZoneNight.objects.filter(zone=west, night=dt.date(2026, 11, 27)).exists()
    sensor.refresh_from_db()
    assert sensor.last_seen_at == dt.datetime(2026, 11, 28, 0, 30, tzinfo=dt.UTC)


def test_sensorthings_data_array_is_accepted(client, west_sensor):
    sensor, token = west_sensor
    body = {
        "components": ["phenomenonTime", "result"],
        "dataArray": [["2026-11-27T22:00:00Z", 1.5], ["2026-11-27T22:15:00Z", 1.75]],
    }
    response = post(client, sensor.id, body, token, keyword="Bearer")
    assert response.status_code == 201
    assert sorted(Reading.objects.filter(sensor=sensor).values_list("value", flat=True)) == [1.5, 1.75]


def test_identical_retry_is_idempotent(client, west_sensor):
    sensor, token = west_sensor
    assert post(client, sensor.id, {"readings": NOV_27}, token).status_code == 201
    retry = post(client, sensor.id, {"readings": NOV_27}, token)
    assert retry.status_code == 200
    assert retry.json() == {"received": 3, "inserted": 0, "duplicates": 3}
    assert Reading.objects.filter(sensor=sensor).count() == 3


def test_partly_new_batch_stores_only_the_new_readings(client, west_sensor):
    sensor, token = west_sensor
    post(client, sensor.id, {"readings": NOV_27[:2]}, token)
    response = post(client, sensor.id, {"readings": NOV_27}, token)
    assert response.status_code == 201
    assert response.json() == {"received": 3, "inserted": 1, "duplicates": 2}


def test_same_instant_in_another_offset_is_the_same_reading(client, west_sensor):
    sensor, token = west_sensor
    post(client, sensor.id, {"readings": [{"observed_at": "2026-11-27T23:10:00+01:00", "value": 3.2}]}, token)
    response = post(client, sensor.id, {"readings": [{"observed_at": "2026-11-27T22:10:00Z", "value": 3.2}]}, token)
    assert response.json()["duplicates"] == 1


@pytest.mark.parametrize(
    ("reading", "reason_fragment"),
    [
        ({"observed_at": "2026-11-27T23:10:00+01:00", "value": -1}, "range"),
        ({"observed_at": "2026-11-27T23:10:00+01:00", "value": 250_000}, "range"),
        ({"observed_at": "2026-11-27T23:10:00", "value": 3.0}, "time zone"),
        ({"observed_at": "yesterday", "value": 3.0}, "ISO 8601"),
        ({"observed_at": "2099-01-01T00:00:00Z", "value": 3.0}, "future"),
        ({"observed_at": "2026-11-27T23:10:00+01:00", "value": "3.2"}, "not a number"),
        ({"observed_at": "2026-11-27T23:10:00+01:00", "value": None}, "not a number"),
        ({"observed_at": "2026-11-27T23:10:00+01:00", "value": True}, "not a number"),
        ({"value": 3.0}, "time"),
    ],
)
def test_bad_reading_refuses_the_whole_batch_naming_its_index(client, west_sensor, reading, reason_fragment):
    sensor, token = west_sensor
    body = {"readings": [NOV_27[0], NOV_27[1], reading]}
    response = post(client, sensor.id, body, token, keyword="Token")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["index"] for e in errors] == [2]
    assert reason_fragment in errors[0]["reason"]
    assert not Reading.objects.exists()
    assert not StaleZoneNight.objects.exists()


def test_every_bad_reading_is_listed(client, west_sensor):
    sensor, token = west_sensor
    body = {
        "readings": [{"observed_at": "2026-11-27T23:10:00", "value": 1}, NOV_27[0], {"observed_at": "x", "value": 1}]
    }
    response = post(client, sensor.id, body, token)
    assert [e["index"] for e in response.json()["errors"]] == [0, 2]


def test_a_small_clock_skew_is_allowed(client, west_sensor):
    sensor, token = west_sensor
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)).isoformat()
    assert post(client, sensor.id, {"readings": [{"observed_at": soon, "value": 1}]}, token).status_code == 201


def test_batch_larger_than_ten_thousand_is_refused(client, west_sensor):
    sensor, token = west_sensor
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    readings = [{"observed_at": (start + dt.timedelta(seconds=i)).isoformat(), "value": 1} for i in range(10_001)]
    response = post(client, sensor.id, {"readings": readings}, token)
    assert response.status_code == 400
    assert not Reading.objects.exists()


def test_batch_of_ten_thousand_is_stored(client, west_sensor):
    sensor, token = west_sensor
    start = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
    readings = [{"observed_at": (start + dt.timedelta(minutes=5 * i)).isoformat(), "value": 1} for i in range(10_000)]
    response = post(client, sensor.id, {"readings": readings}, token)
    assert response.json() == {"received": 10_000, "inserted": 10_000, "duplicates": 0}


@pytest.mark.parametrize("body", [[], {"something": 1}, {"readings": "many"}, {"readings": []}])
def test_malformed_body_is_a_400(client, west_sensor, body):
    sensor, token = west_sensor
    assert post(client, sensor.id, body, token).status_code == 400


def test_invalid_json_is_a_400(client, west_sensor):
    sensor, token = west_sensor
    url = reverse("sensors-api:sensor-readings", args=[sensor.id])
    response = client.post(url, "{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 400


def test_readings_go_to_monthly_partitions(client, west_sensor):
    from django.db import connection

    sensor, token = west_sensor
    body = {
        "readings": [
            {"observed_at": "2026-10-31T23:30:00Z", "value": 1},
            {"observed_at": "2026-11-01T00:30:00Z", "value": 2},
        ]
    }
    post(client, sensor.id, body, token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM sensors_reading GROUP BY 1 ORDER BY 1")
        assert cursor.fetchall() == [("sensors_reading_y2026m10", 1), ("sensors_reading_y2026m11", 1)]
        cursor.execute("SELECT count(*) FROM sensors_reading_default")
        assert cursor.fetchone()[0] == 0


def test_a_sensor_outside_every_zone_stores_readings_without_zone(client, lux):
    from django.contrib.gis.geos import Point

    from sensors import services

    sensor, token = services.sensor_register(kind=lux, location=Point(12.5, 41.9, srid=4326), external_id="FAR")
    assert sensor.zone is None
    assert post(client, sensor.id, {"readings": NOV_27}, token).status_code == 201
    assert Reading.objects.filter(sensor=sensor, zone__isnull=True).count() == 3
    assert not Sensor.objects.get(pk=sensor.pk).silent
