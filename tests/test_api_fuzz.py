"""Schemathesis fuzzes the reports API from the OpenAPI schema, in-process against the WSGI app: never a 500.

Each operation's Hypothesis strategy is driven directly (schemathesis' own pytest plugin does not
support pytest 9 yet), anonymously and with a moderator's session so the staff endpoints are reached too.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from conftest import make_user
from reports.ratelimit import rate_limit_reset
from reports.services import report_publish
from reports.tests.factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_headers(client, db) -> dict[str, str]:
    client.force_login(make_user("fuzz-moderator", "moderator"))
    client.get("/reports/new/")  # sets the CSRF cookie
    session, csrf = client.cookies["sessionid"].value, client.cookies["csrftoken"].value
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}


@pytest.fixture
def reports_api(two_zones, category, settings, moderator_headers):
    from django.contrib.auth.models import User

    from observatory.wsgi import application

    settings.OBSERVATORY_REPORT_RATE_LIMIT = "off"
    rate_limit_reset("127.0.0.1")
    report_publish(report=submit(category), user=User.objects.get(username="fuzz-moderator"))
    # As Django's test client does: the WSGI app must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    yield schema.include(path_regex="^/api/v1/reports/")
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("as_moderator", [False, True])
def test_no_input_makes_the_reports_api_fail_with_a_500(reports_api, moderator_headers, as_moderator):
    headers = moderator_headers if as_moderator else {}
    failures = []
    operations = [result.ok() for result in reports_api.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")

        run()
    assert failures == []
