"""Sensor health: silent for longer than a few expected intervals during night hours is flagged."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from sensors import services
from sensors.models import Sensor

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
NIGHT = dt.datetime(2026, 11, 27, 23, 0, tzinfo=ROME)
DAY = dt.datetime(2026, 11, 27, 11, 0, tzinfo=ROME)


def last_seen(sensor: Sensor, when: dt.datetime) -> None:
    Sensor.objects.filter(pk=sensor.pk).update(last_seen_at=when)


def test_a_sensor_silent_for_three_intervals_at_night_is_flagged(west_sensor, east_sensor):
    west, east = west_sensor[0], east_sensor[0]
    last_seen(west, NIGHT - dt.timedelta(minutes=46))  # 3 x 15 min + 1
    last_seen(east, NIGHT - dt.timedelta(minutes=30))
    assert services.sensors_health_check(now=NIGHT) == {"flagged": 1, "cleared": 0}
    west.refresh_from_db()
    east.refresh_from_db()
    assert west.silent and west.silent_since == NIGHT - dt.timedelta(minutes=46)
    assert not east.silent


def test_silence_during_the_day_raises_no_flag(west_sensor):
    last_seen(west_sensor[0], DAY - dt.timedelta(hours=5))
    assert services.sensors_health_check(now=DAY)["flagged"] == 0


def test_removed_and_inactive_sensors_are_never_flagged(west_sensor, east_sensor):
    Sensor.objects.filter(pk=west_sensor[0].pk).update(removed_on=dt.date(2026, 11, 1))
    Sensor.objects.filter(pk=east_sensor[0].pk).update(active=False)
    assert services.sensors_health_check(now=NIGHT)["flagged"] == 0


def test_a_reading_clears_the_flag(client, west_sensor):
    sensor, token = west_sensor
    Sensor.objects.filter(pk=sensor.pk).update(silent=True, silent_since=NIGHT)
    body = {"readings": [{"observed_at": "2026-11-27T23:10:00+01:00", "value": 3.2}]}
    url = reverse("sensors-api:sensor-readings", args=[sensor.id])
    client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
    sensor.refresh_from_db()
    assert not sensor.silent and sensor.silent_since is None


def test_the_check_clears_sensors_heard_from_again(west_sensor):
    sensor = west_sensor[0]
    Sensor.objects.filter(pk=sensor.pk).update(silent=True, silent_since=NIGHT, last_seen_at=NIGHT)
    assert services.sensors_health_check(now=NIGHT + dt.timedelta(minutes=5)) == {"flagged": 0, "cleared": 1}


def test_the_api_lists_silent_sensors(client, west_sensor, east_sensor):
    Sensor.objects.filter(pk=west_sensor[0].pk).update(silent=True, silent_since=NIGHT)
    response = client.get(reverse("sensors-api:sensor-list") + "?silent=true")
    features = response.json()["features"]
    assert [f["properties"]["external_id"] for f in features] == ["LUX-W"]
    assert features[0]["properties"]["silent"] is True
