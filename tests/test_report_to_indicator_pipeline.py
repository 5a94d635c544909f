"""A submitted report reaches the indicator table through a real Celery worker on the real Redis broker."""

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from city.models import StaleZoneNight
from indicators import registry
from indicators.models import Indicator
from reports.models import PerceivedSafety, Report

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail("timed out waiting for the worker")


def post_report(client, category, safety, lon="7.675"):
    when = timezone.localtime() - dt.timedelta(days=1)
    when = when.replace(hour=23, minute=10)
    response = client.post(
        reverse("reports:new"),
        {
            "category": category.pk,
            "perceived_safety": safety,
            "latitude": "45.065",
            "longitude": lon,
            "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_submitted_report_ends_up_in_the_aggregate(celery_worker, client, two_zones, category):
    west, _east = two_zones
    post_report(client, category, PerceivedSafety.FAIRLY_SAFE)
    report = Report.objects.get()

    nightly = Indicator.objects.filter(metric=registry.SHARE_FEELING_SAFE, period_kind="night", slot="night")
    row = wait_for(lambda: nightly.filter(zone=west, period_start=report.night).first())
    assert (row.n, row.numerator, row.value) == (1, 1, 1.0)
    wait_for(lambda: not StaleZoneNight.objects.exists())

    post_report(client, category, PerceivedSafety.VERY_UNSAFE)
    wait_for(lambda: nightly.filter(zone=west, n=2).exists())
    row = nightly.get(zone=west)
    assert row.value == 0.5
    assert row.lower < 0.5 < row.upper


def test_healthz_is_ok_when_database_redis_and_a_worker_answer(celery_worker, client):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert set(response.json()["components"].values()) == {"up"}
