"""Sensor tokens: shown once, stored hashed, scoped to their own sensor, rotatable and revocable."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse

from sensors import services
from sensors.models import Reading

pytestmark = pytest.mark.django_db
BODY = {"readings": [{"observed_at": "2026-11-27T23:10:00+01:00", "value": 3.2}]}


def post(client, sensor_id: int, token: str | None, header: str | None = None):
    url = reverse("sensors-api:sensor-readings", args=[sensor_id])
    headers = {}
    if header is not None:
        headers["HTTP_AUTHORIZATION"] = header
    elif token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Token {token}"
    return client.post(url, BODY, content_type="application/json", **headers)


def test_only_a_hash_of_the_token_is_stored(west_sensor):
    sensor, token = west_sensor
    assert len(token) >= 43
    assert token not in sensor.token_hash
    assert sensor.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_missing_token_is_a_401(client, west_sensor):
    sensor, _token = west_sensor
    response = post(client, sensor.id, None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("header", ["Token wrong-token", "Bearer wrong-token", "Token", "Token a b"])
def test_wrong_token_is_a_401(client, west_sensor, header):
    sensor, _token = west_sensor
    assert post(client, sensor.id, None, header=header).status_code == 401
    assert not Reading.objects.exists()


def test_another_sensors_token_is_a_403(client, west_sensor, east_sensor):
    west, _ = west_sensor
    _east, east_token = east_sensor
    assert post(client, west.id, east_token).status_code == 403
    assert not Reading.objects.exists()


def test_unknown_sensor_is_a_404(client, west_sensor):
    _sensor, token = west_sensor
    assert post(client, 999_999, token).status_code == 404


def test_removed_sensor_is_a_410(client, west_sensor):
    sensor, token = west_sensor
    sensor.removed_on = dt.date(2026, 11, 1)
    sensor.save()
    assert post(client, sensor.id, token).status_code == 410
    assert not Reading.objects.exists()


def test_deactivated_sensor_is_a_410(client, west_sensor):
    sensor, token = west_sensor
    sensor.active = False
    sensor.save()
    assert post(client, sensor.id, token).status_code == 410


def test_rotated_token_replaces_the_old_one(client, west_sensor):
    sensor, old = west_sensor
    new = services.sensor_token_rotate(sensor=sensor)
    assert new != old
    assert post(client, sensor.id, old).status_code == 401
    assert post(client, sensor.id, new).status_code == 201


def test_revoked_token_no_longer_authenticates(client, west_sensor):
    sensor, token = west_sensor
    services.sensor_token_revoke(sensor=sensor)
    assert post(client, sensor.id, token).status_code == 401
    assert post(client, sensor.id, "").status_code == 401


def test_a_staff_session_cannot_post_readings(client, west_sensor, officer):
    sensor, _token = west_sensor
    client.force_login(officer)
    assert post(client, sensor.id, None).status_code == 401
