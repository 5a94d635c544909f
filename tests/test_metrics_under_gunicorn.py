"""/metrics under the production gunicorn with two workers: only with the token, the same totals whichever
worker answers (multiprocess files), and the observatory's own gauges read from the database and Redis."""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.request

import pytest
import redis
from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils import timezone

from city import opscounters
from city.models import OutboundEmail
from city.stale import zone_nights_marked_stale
from indicators.tasks import queue_stale_recompute_on_commit
from reports.models import Category, PerceivedSafety
from reports.services import report_submit
from tests.processes import gunicorn

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "metrics-test-token-5d1c"


def get(url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our own server, http://127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our own server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def value(text: str, name: str, **labels: str) -> float:
    """The one sample of ``name`` with exactly ``labels`` (in any order) in Prometheus' text format."""
    found = []
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$", line)
        if match and match[1] == name and dict(re.findall(r'(\w+)="([^"]*)"', match[2] or "")) == labels:
            found.append(float(match[3]))
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_metrics_under_two_gunicorn_workers(two_zones, tmp_path, request):
    category = Category.objects.filter(active=True).first()
    when = timezone.now() - dt.timedelta(hours=3)
    # The stale markers must still be waiting when /metrics is scraped: a Celery worker another test of the
    # session started would recompute them at once, so no recompute is queued for these reports.
    zone_nights_marked_stale.disconnect(dispatch_uid="indicators-stale-recompute")
    request.addfinalizer(lambda: zone_nights_marked_stale.connect(
        queue_stale_recompute_on_commit, dispatch_uid="indicators-stale-recompute"))  # fmt: skip
    for _ in range(3):
        report_submit(category=category, location=Point(7.675, 45.065), perceived_safety=PerceivedSafety.A_BIT_UNSAFE,
                      occurred_at=when)  # fmt: skip
    # An e-mail still owed (written as the outbox writes it, without queueing its send for that worker).
    OutboundEmail.objects.create(
        to="ada@example.org", subject="Segnalazione", body="Grazie", next_attempt_at=timezone.now()
    )
    before = opscounters.counts("readings_ingested").get("mqtt", 0)
    opscounters.count("readings_ingested", "mqtt", 7)
    opscounters.heartbeat("full_recompute", seconds=12.5)

    multiproc = tmp_path / "prometheus"
    with gunicorn({"OBSERVATORY_METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}) as url:
        assert get(f"{url}/metrics")[0] == 404  # no token: nothing here
        assert get(f"{url}/metrics", "wrong-token")[0] == 404
        for _ in range(20):
            assert get(f"{url}/healthz/live")[0] == 200  # a new connection each time: both workers serve some
        scrapes = [get(f"{url}/metrics", TOKEN) for _ in range(4)]
        pids = {path.name.rsplit("_", 1)[-1] for path in multiproc.glob("*.db")}

    assert {status for status, _text in scrapes} == {200}
    assert len(pids) >= 2, "both workers wrote their counters"
    for _status, text in scrapes:  # the same total from whichever worker answered
        served = value(text, "django_http_requests_total_by_view_transport_method_total",
                       view="healthz-live", transport="http", method="GET")  # fmt: skip
        assert served == 20
    text = scrapes[-1][1]
    assert value(text, "observatory_stale_zone_nights") >= 1
    assert value(text, "observatory_stale_zone_night_oldest_age_seconds") > 0
    assert value(text, "observatory_reports", channel="web") == 3
    assert value(text, "observatory_reports", channel="open311") == 0
    assert value(text, "observatory_emails_waiting") == 1
    assert value(text, "observatory_readings_ingested", path="mqtt") == before + 7
    assert value(text, "observatory_full_recompute_last_duration_seconds") == 12.5
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert abs(value(text, "observatory_celery_queue_length", queue="celery") - broker.llen("celery")) <= 5
