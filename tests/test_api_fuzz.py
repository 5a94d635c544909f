"""Schemathesis fuzzes every operation of the OpenAPI schema, in-process against the WSGI app: never a 500.

Each operation's Hypothesis strategy is driven directly (schemathesis' own pytest plugin does not
support pytest 9 yet), anonymously, with a moderator's session (a staff role, so the staff endpoints
are reached too) and, for the sensors' endpoints, with a real sensor's token and that sensor's id in
the path, so the ingest and the readings' cursor and bounds are fuzzed beyond the authentication.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
import schemathesis
from django.contrib.gis.geos import Point
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from conftest import make_user
from reports.ratelimit import rate_limit_reset
from reports.services import report_publish
from reports.tests.factories import submit
from sensors import services as sensor_services
from sensors.tests.conftest import kind

pytestmark = pytest.mark.django_db

# Examples per operation, mode (valid, invalid) and identity: about a minute and a half for the whole fuzz.
EXAMPLES = 20
SENSOR_PATHS = "^/api/v1/sensors/"


@pytest.fixture
def moderator_headers(client, db) -> dict[str, str]:
    client.force_login(make_user("fuzz-moderator", "moderator"))
    client.get("/reports/new/")  # sets the CSRF cookie
    session, csrf = client.cookies["sessionid"].value, client.cookies["csrftoken"].value
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}


@pytest.fixture
def sensor(two_zones):
    """(sensor, token) of a light sensor installed before anything the fuzz may send."""
    return sensor_services.sensor_register(
        kind=kind(), location=Point(7.675, 45.065, srid=4326), external_id="FUZZ-LUX", installed_on=dt.date(2019, 1, 1)
    )


@pytest.fixture
def api(two_zones, category, settings, moderator_headers, sensor):
    from django.contrib.auth.models import User

    from observatory.wsgi import application

    settings.OBSERVATORY_REPORT_RATE_LIMIT = "off"
    rate_limit_reset("127.0.0.1")
    report = submit(category)
    report_publish(report=report, user=User.objects.get(username="fuzz-moderator"))
    sensor_services.readings_ingest(sensor=sensor[0], rows=[("2026-11-27T22:00:00Z", 3.0, "ok")])
    # As Django's test client does: the WSGI app must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    schema.known = known_values((sensor[0], report))
    yield schema
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def fuzz(schema, *, headers: dict[str, str], known: dict[str, object]) -> list[str]:
    """Every operation of ``schema`` fed valid and invalid cases; the answers of 500 and above.

    Random identifiers almost never name a real sensor, kind or zone, so the checks behind them would
    go unfuzzed: each operation runs once freely and once with its path and query parameters named in
    ``known`` fixed to real ones (``{name}`` in the path is always fixed), the rest generated.
    """
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation, mode, anchored in itertools.product(operations, GenerationMode, (False, True)):
        path = {name: value for name, value in known.items() if f"{{{name}}}" in operation.path}
        names = {parameter.name for parameter in operation.iter_parameters() if parameter.location.value == "query"}
        query = {name: value for name, value in known.items() if name in names} if anchored else {}
        if anchored and not query:
            continue
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path or None, query=query or None)

        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")

        try:
            run()
        except Unsatisfiable:
            # Nothing of the operation can be made invalid once its identifiers are fixed (no other
            # parameter, no typed body): it has no negative cases; its valid ones ran.
            assert mode is GenerationMode.NEGATIVE, operation.path
    return failures


def known_values(world) -> dict[str, object]:
    sensor, report = world
    return {"sensor_id": sensor.id, "kind": "illuminance", "zone": "W", "tracking_code": report.tracking_code}


def api_routes() -> set[str]:
    """Every route of the URL map under /api/v1/, with its parameters as ``{}`` (DRF's format suffixes aside)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    return {normalised(route) for route in walk(get_resolver().url_patterns) if route.startswith("api/v1/")
            and "<format>" not in route and "(?P<format>" not in route}  # fmt: skip


def normalised(path: str) -> str:
    path = re.sub(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>|\{\w+\}", "{}", path.replace("^", "").replace("$", ""))
    return "/" + path.replace("\\", "").lstrip("/")


def test_every_api_route_is_in_the_schema_so_the_fuzz_reaches_it(api):
    # The fuzz below takes its operations from the schema: a new endpoint is fuzzed as soon as it is routed
    # under /api/v1/ and described, and this test fails if one is routed but left out of the schema.
    described = {normalised(result.ok().path) for result in api.get_all_operations()}
    assert api_routes() == described
    assert len(list(api.get_all_operations())) >= 24


@pytest.mark.parametrize("as_moderator", [False, True], ids=["anonymous", "staff"])
def test_no_input_makes_any_api_operation_fail_with_a_500(api, moderator_headers, as_moderator):
    assert fuzz(api, headers=moderator_headers if as_moderator else {}, known=api.known) == []


def test_no_input_makes_the_sensor_endpoints_fail_with_a_500_with_a_valid_token(api, sensor):
    _sensor, token = sensor
    sensors = api.include(path_regex=SENSOR_PATHS)
    assert fuzz(sensors, headers={"Authorization": f"Token {token}"}, known=api.known) == []
