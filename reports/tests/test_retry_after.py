"""A citizen refused by the rate limit, on the form or the API, is told in Retry-After when to try again."""

from __future__ import annotations

import json

import pytest

from .factories import api_payload

pytestmark = pytest.mark.django_db


def test_the_api_429_says_when_to_retry(client, two_zones, category, settings):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "1/h"
    send = lambda: client.post("/api/v1/reports/", json.dumps(api_payload()), content_type="application/json")  # noqa: E731
    assert send().status_code == 201
    refused = send()
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600


# The form's 429 (which keeps what was typed) and its Retry-After: reports/tests/test_rate_limit.py.
