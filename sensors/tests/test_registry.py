"""The registry from the command line and the admin: tokens printed or shown once, zones stamped."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from sensors.models import Sensor, token_hash

pytestmark = pytest.mark.django_db


def sensors(*args: str) -> str:
    out = io.StringIO()
    call_command("sensors", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_add_prints_the_id_and_a_token_that_is_stored_hashed(two_zones, lux):
    out = sensors("add", "--kind", "illuminance", "--lat", "45.065", "--lon", "7.675", "--external-id", "TO-001")
    sensor_id = int(re.search(r"^id: (\d+)$", out, re.MULTILINE).group(1))
    token = re.search(r"^token: (\S+)$", out, re.MULTILINE).group(1)
    sensor = Sensor.objects.get(pk=sensor_id)
    assert sensor.external_id == "TO-001"
    assert sensor.zone == two_zones[0]
    assert sensor.token_hash == token_hash(token)


def test_add_without_external_id_names_the_sensor_by_kind_and_id(two_zones, lux):
    out = sensors("add", "--kind", "illuminance", "--lat", "45.065", "--lon", "7.685")
    sensor = Sensor.objects.get()
    assert sensor.external_id == f"illuminance-{sensor.id}"
    assert f"id: {sensor.id}" in out


def test_add_takes_the_installation_day_a_backfill_starts_from(two_zones, lux):
    sensors("add", "--kind", "illuminance", "--lat", "45.065", "--lon", "7.675", "--installed-on", "2024-03-01")
    assert str(Sensor.objects.get().installed_on) == "2024-03-01"
    for day in ("1900-01-01", "2999-01-01", "yesterday"):
        with pytest.raises(CommandError, match="--installed-on"):
            sensors("add", "--kind", "illuminance", "--lat", "45", "--lon", "7", "--installed-on", day)
    assert Sensor.objects.count() == 1


def test_add_refuses_an_unknown_kind(lux):
    with pytest.raises(CommandError, match="no sensor kind"):
        sensors("add", "--kind", "radar", "--lat", "45", "--lon", "7")


def test_rotate_and_revoke_from_the_command_line(west_sensor):
    sensor, old = west_sensor
    out = sensors("rotate", "LUX-W")
    new = re.search(r"^token: (\S+)$", out, re.MULTILINE).group(1)
    sensor.refresh_from_db()
    assert sensor.token_hash == token_hash(new) != token_hash(old)
    sensors("revoke", str(sensor.id))
    sensor.refresh_from_db()
    assert sensor.token_hash == ""
    assert "no token" in sensors("list")


def test_admin_rotation_shows_the_new_token_once(client, west_sensor, settings):
    sensor, _old = west_sensor
    admin = User.objects.create_superuser("admin", "admin@example.org", "pw-123456")
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message is read in English below
    response = client.post(
        reverse("admin:sensors_sensor_changelist"),
        {"action": "rotate_token", "_selected_action": [sensor.pk]},
        follow=True,
    )
    shown = [str(m) for m in get_messages(response.wsgi_request)] or [response.content.decode()]
    sensor.refresh_from_db()
    tokens = re.findall(r"shown only this once: (\S+)", " ".join(shown))
    assert len(tokens) == 1
    assert sensor.token_hash == token_hash(tokens[0].rstrip("<"))
    # Reloading the list does not show it again.
    assert "shown only this once" not in client.get(reverse("admin:sensors_sensor_changelist")).content.decode()


def test_admin_lists_silent_sensors_for_officers(client, west_sensor):
    admin = User.objects.create_superuser("admin", "admin@example.org", "pw-123456")
    client.force_login(admin)
    response = client.get(reverse("admin:sensors_sensor_changelist") + "?silent__exact=1")
    assert response.status_code == 200
