"""The nasty-input catalogue: every endpoint that takes input answers hostile input with a clear 4xx.

Each row of ``tests/nasty/*.py`` is sent through Django's test client against the real database; the
answer must have the row's status, be in the channel's own format (JSON, Open311 XML/JSON, HTML), name
the problem in words, never be a 500, and leave every table as it was (row counts and the readings'
partitions before and after). A COMMAND row runs an importer on a hostile file instead.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.db import connection

from conftest import make_user
from open311.models import ApiKey
from reports.ratelimit import rate_limit_reset
from reports.services import report_publish
from reports.tests.factories import jpeg_with_gps, submit
from sensors import services as sensor_services
from sensors.tests.conftest import kind
from tests.nasty import citizen, sensors, staff

pytestmark = pytest.mark.django_db

CASES = [*citizen.CASES, *sensors.CASES, *staff.CASES]
# Apps whose tables must not change under hostile input.
WATCHED_APPS = ("city", "indicators", "reports", "sensors", "grants", "open311")


def test_the_catalogue_is_large_and_its_ids_are_unique():
    assert len(CASES) >= 150
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


def table_counts() -> dict[str, int]:
    from django.conf import settings

    # A refused upload must leave no file behind either.
    media = Path(settings.MEDIA_ROOT)
    counts = {"files in MEDIA_ROOT": sum(1 for path in media.rglob("*") if path.is_file()) if media.exists() else 0}
    for app in WATCHED_APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.managed and not model._meta.proxy:
                counts[model._meta.db_table] = model._base_manager.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'sensors_reading'::regclass")
        counts["sensors_reading partitions"] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def world(two_zones, category, settings, tmp_path):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "off"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # three users a row: keep it quick
    rate_limit_reset("127.0.0.1")
    moderator = make_user("nasty-moderator", "moderator")
    officer = make_user("nasty-officer", "officer")
    grants_admin = make_user("nasty-grants", "grants_admin", is_staff=True)
    published = submit(category)
    report_publish(report=published, user=moderator)
    unpublished = submit(category, lon=7.676, lat=45.066)
    with_photo = report_publish(report=submit(category, lon=7.6752, lat=45.0652, photo=jpeg_with_gps()), user=moderator)
    unpublished_with_photo = submit(category, lon=7.6762, lat=45.0662, photo=jpeg_with_gps())
    # Installed in 2019: the readings' window starts there (OBSERVATORY_EARLIEST_DATE is 2000-01-01).
    installed = dt.date(2019, 1, 1)
    sensor, token = sensor_services.sensor_register(
        kind=kind(), location=Point(7.675, 45.065, srid=4326), external_id="NASTY-LUX", installed_on=installed
    )
    other_sensor, _other_token = sensor_services.sensor_register(
        kind=kind(), location=Point(7.685, 45.065, srid=4326), external_id="NASTY-OTHER", installed_on=installed
    )
    # One stored reading, for the rows that send its time again (same value: harmless; another: refused).
    sensor_services.readings_ingest(sensor=sensor, rows=[("2026-11-27T22:00:00Z", 3.0, "ok")])
    key = ApiKey(name="nasty-client")
    open311_key = key.set_new_key()
    key.save()
    return SimpleNamespace(
        zone_code=two_zones[0].code,
        category=category,
        report_code=published.tracking_code,
        unpublished_code=unpublished.tracking_code,
        photo_code=with_photo.tracking_code,
        unpublished_photo_code=unpublished_with_photo.tracking_code,
        sensor_id=sensor.pk,
        sensor_token=token,
        other_sensor_id=other_sensor.pk,
        open311_key=open311_key,
        users={"moderator": moderator, "officer": officer, "grants_admin": grants_admin},
    )


def fill(value, world):
    names = vars(world)
    if isinstance(value, str):
        return value.format_map(names) if "{" in value and "}" in value and "{{" not in value else value
    if isinstance(value, dict):
        return {fill(k, world): fill(v, world) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(fill(v, world) for v in value)
    return value


def send(client, case, world):
    if case.language:
        from django.conf import settings

        client.cookies[settings.LANGUAGE_COOKIE_NAME] = case.language
    if case.as_role and case.as_role != "sensor":
        client.force_login(world.users[case.as_role])
    body = case.body(world) if callable(case.body) else fill(case.body, world)
    headers = {f"HTTP_{k.upper().replace('-', '_')}": fill(v, world) for k, v in case.headers.items()}
    if case.as_role == "sensor":
        headers.setdefault("HTTP_AUTHORIZATION", f"Token {world.sensor_token}")
    method = getattr(client, case.method.lower())
    path = fill(case.path, world)
    if case.method == "GET":
        return method(path, body or None, **headers)
    if case.content_type == "json":
        return method(path, json.dumps(body) if not isinstance(body, bytes | str) else body,
                      content_type="application/json", **headers)  # fmt: skip
    if case.content_type:
        return method(path, body, content_type=case.content_type, **headers)
    return method(path, body or {}, **headers)


def answer_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def check_format(case, response, text):
    content_type = response.get("Content-Type", "")
    if case.format == "json":
        assert "json" in content_type, content_type
        json.loads(text)
    elif case.format == "xml":
        from xml.etree import ElementTree

        assert "xml" in content_type, content_type
        ElementTree.fromstring(text.encode())  # noqa: S314 (our own answer, in a test)
    elif case.format == "html":
        assert "text/html" in content_type, content_type
    elif case.format == "csv":
        assert "text/csv" in content_type, content_type


def run_command(case, world, directory) -> None:
    """Run a COMMAND row: it must fail with a CommandError of the row's exit status naming the problem."""
    path = directory / f"nasty{case.suffix}"
    body = case.body(world) if callable(case.body) else fill(case.body, world)
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    args = [str(path) if a == "{file}" else fill(a, world) for a in case.args]
    if "{file}" not in case.args:
        args.insert(0, str(path))
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(case.path, *args, stdout=io.StringIO(), stderr=err)
    assert refused.value.returncode == case.status
    text = f"{refused.value}\n{err.getvalue()}"
    for words in case.says:
        assert words.lower() in text.lower(), f"{words!r} not in {text[:800]}"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_gets_a_clear_answer_and_writes_nothing(client, world, case, tmp_path):
    before = table_counts()
    if case.method == "COMMAND":
        run_command(case, world, tmp_path)
        assert table_counts() == before
        return
    response = send(client, case, world)
    text = answer_text(response)
    expected = case.status if isinstance(case.status, tuple) else (case.status,)
    assert response.status_code in expected, f"{response.status_code}: {text[:500]}"
    check_format(case, response, text)
    for words in case.says:
        assert words.lower() in text.lower(), f"{words!r} not in {text[:800]}"
    if case.check:
        case.check(response, world)
    assert table_counts() == before
