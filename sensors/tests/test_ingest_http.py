"""HTTP batch ingest: POST /api/v1/sensors/<id>/readings with the sensor's token."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from city.models import StaleZoneNight
from indicators.models import Indicator
from sensors.models import Reading, Sensor
from sensors.partitions import DEFAULT_PARTITION, partitions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):
    """The reasons are read in English here (the city's language, Italian, is the default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def partitions_of_readings() -> list[str]:
    return [name for name, _rows in partitions() if name != DEFAULT_PARTITION]


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

    sensor, token = services.sensor_register(
        kind=lux, location=Point(12.5, 41.9, srid=4326), external_id="FAR", installed_on=dt.date(2026, 1, 1)
    )
    assert sensor.zone is None
    assert post(client, sensor.id, {"readings": NOV_27}, token).status_code == 201
    assert Reading.objects.filter(sensor=sensor, zone__isnull=True).count() == 3
    assert not Sensor.objects.get(pk=sensor.pk).silent


# --- the plausible window, NUL bytes, sizes and duplicates ---------------------------------------------


@pytest.mark.parametrize(
    ("observed_at", "reason_fragment"),
    [
        ("1900-01-01T00:00:00Z", "between 2019-01-01 and"),
        ("0001-01-01T00:00:00+14:00", "between 2019-01-01 and"),
        ("2018-12-31T22:59:59Z", "between 2019-01-01 and"),  # 23:59:59 in Rome, the day before installation
        ("2100-01-01T00:00:00Z", "in the future"),
        ("2026-11-27\x0023:10:00+01:00", "NUL"),
    ],
)
def test_a_reading_outside_the_window_or_with_a_nul_is_refused_with_its_index_and_makes_no_partition(
    client, west_sensor, observed_at, reason_fragment
):
    sensor, token = west_sensor
    response = post(client, sensor.id, {"readings": [NOV_27[0], {"observed_at": observed_at, "value": 1}]}, token)
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert [e["index"] for e in errors] == [1]
    assert reason_fragment in errors[0]["reason"]
    assert "observed_at" in errors[0]["reason"]
    assert not Reading.objects.exists()
    assert not partitions_of_readings()
    assert not Indicator.objects.exists() and not StaleZoneNight.objects.exists()


def test_a_sensor_accepts_readings_from_its_installation_day_on(client, west_sensor):
    sensor, token = west_sensor
    Sensor.objects.filter(pk=sensor.pk).update(installed_on=dt.date(2026, 11, 27))
    # Local midnight in Rome is 23:00 UTC the day before.
    ok = post(client, sensor.id, {"readings": [{"observed_at": "2026-11-26T23:00:00Z", "value": 1}]}, token)
    assert ok.status_code == 201
    early = post(client, sensor.id, {"readings": [{"observed_at": "2026-11-26T22:59:59Z", "value": 1}]}, token)
    assert early.status_code == 400
    assert "between 2026-11-27 and" in early.json()["errors"][0]["reason"]


def test_a_batch_spread_over_centuries_creates_no_table(client, west_sensor):
    sensor, token = west_sensor
    readings = [{"observed_at": f"{year}-01-01T00:00:00Z", "value": 1} for year in range(1800, 2000)]
    response = post(client, sensor.id, {"readings": readings}, token)
    assert response.status_code == 400
    assert len(response.json()["errors"]) == 100  # the first hundred are listed
    assert not partitions_of_readings()


def test_no_writer_can_create_a_partition_outside_the_window(db):
    from sensors.partitions import MonthOutsideWindow, ensure_month_partitions

    with pytest.raises(MonthOutsideWindow, match="1900-01"):
        ensure_month_partitions([dt.date(1900, 1, 1)])
    with pytest.raises(MonthOutsideWindow):
        ensure_month_partitions([dt.date.today().replace(day=1) + dt.timedelta(days=62)])
    assert not partitions_of_readings()


def test_a_batch_larger_than_the_limit_names_the_limit(client, west_sensor):
    sensor, token = west_sensor
    rows = [["2026-11-01T00:00:00Z", 1]] * 100_000
    response = post(client, sensor.id, {"components": ["phenomenonTime", "result"], "dataArray": rows}, token)
    assert response.status_code == 400
    reason = response.json()["errors"][0]["reason"]
    assert "10000" in reason and "SENSORS_MAX_BATCH" in reason


def test_a_body_over_the_json_limit_is_a_json_400_naming_the_limit(client, west_sensor, settings):
    sensor, token = west_sensor
    url = reverse("sensors-api:sensor-readings", args=[sensor.id])
    body = b'{"readings": [' + b" " * (20 * 1024 * 1024) + b"]}"
    response = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 400
    assert str(settings.OBSERVATORY_JSON_MAX_BYTES) in response.json()["detail"]


def test_json_nested_50000_deep_is_a_json_400_naming_the_depth_limit(client, west_sensor, settings):
    sensor, token = west_sensor
    url = reverse("sensors-api:sensor-readings", args=[sensor.id])
    body = '{"readings": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 400
    assert str(settings.OBSERVATORY_JSON_MAX_DEPTH) in response.json()["detail"]


def test_duplicate_readings_keys_are_refused(client, west_sensor):
    sensor, token = west_sensor
    url = reverse("sensors-api:sensor-readings", args=[sensor.id])
    body = '{"readings": [{"observed_at": "2026-11-27T22:00:00Z", "value": 1}], "readings": []}'
    response = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 400
    assert "readings" in response.json()["detail"]
    assert not Reading.objects.exists()


def test_an_identical_retry_of_a_stored_reading_stays_harmless_and_another_value_is_a_409(client, west_sensor):
    sensor, token = west_sensor
    assert post(client, sensor.id, {"readings": NOV_27}, token).status_code == 201
    assert post(client, sensor.id, {"readings": NOV_27}, token).status_code == 200
    changed = [NOV_27[0], {**NOV_27[1], "value": 9.9}, {**NOV_27[2], "quality": "suspect"}]
    response = post(client, sensor.id, {"readings": changed}, token)
    assert response.status_code == 409
    assert [e["index"] for e in response.json()["errors"]] == [1, 2]
    assert sorted(Reading.objects.values_list("value", flat=True)) == [0.4, 2.9, 3.2]
