"""/metrics for Prometheus: django-prometheus's request and database metrics, and the observatory's own.

Under gunicorn each worker writes its counters to files in ``PROMETHEUS_MULTIPROC_DIR`` (gunicorn.conf.py) and
a scrape of any worker adds them all up. The observatory's own values are read at scrape time from PostgreSQL
and Redis, which every process shares, so they are the same whichever worker answers: stale zone-nights and
the oldest one's age, the last full recompute (when, how long), the Celery queue, readings per ingestion path,
reports per channel and e-mails waiting.

Only callers with ``OBSERVATORY_METRICS_TOKEN`` as a bearer token, or from ``OBSERVATORY_METRICS_NETWORKS``,
may read it; others get 404, as if there were nothing here.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

import prometheus_client
import redis
from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily

from city import opscounters
from city.clientip import client_ip, parse_networks
from city.models import OutboundEmail, StaleZoneNight
from reports.models import Report

logger = logging.getLogger(__name__)
CELERY_QUEUE = "celery"  # the default queue: every task of the observatory goes there


class ObservatoryCollector:
    """The observatory's gauges, read when Prometheus scrapes."""

    def collect(self):
        stale = StaleZoneNight.objects.aggregate(waiting=Count("pk"), oldest=Min("marked_at"))
        yield GaugeMetricFamily(
            "observatory_stale_zone_nights", "(zone, night) pairs waiting for an indicator recompute",
            value=stale["waiting"],
        )  # fmt: skip
        oldest = (timezone.now() - stale["oldest"]).total_seconds() if stale["oldest"] else 0
        yield GaugeMetricFamily(
            "observatory_stale_zone_night_oldest_age_seconds", "Age of the oldest stale marker (0 when none)",
            value=oldest,
        )  # fmt: skip
        recompute = opscounters.last_heartbeat("full_recompute")
        if recompute:
            yield GaugeMetricFamily(
                "observatory_full_recompute_last_finished_timestamp_seconds",
                "When the last full indicator recompute committed (unix time)", value=recompute["at"],
            )  # fmt: skip
            yield GaugeMetricFamily(
                "observatory_full_recompute_last_duration_seconds", "How long the last full recompute took",
                value=recompute["seconds"],
            )  # fmt: skip
        queue = GaugeMetricFamily("observatory_celery_queue_length", "Tasks waiting in the broker", labels=["queue"])
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2)
        queue.add_metric([CELERY_QUEUE], broker.llen(CELERY_QUEUE))
        yield queue
        readings = GaugeMetricFamily(
            "observatory_readings_ingested", "Readings stored, by ingestion path, since Redis was emptied",
            labels=["path"],
        )  # fmt: skip
        for path in ("http", "mqtt", "csv"):
            readings.add_metric([path], opscounters.counts("readings_ingested").get(path, 0))
        yield readings
        reports = GaugeMetricFamily("observatory_reports", "Citizens' reports stored, by channel", labels=["channel"])
        by_source = dict(Report.objects.order_by().values_list("source").annotate(n=Count("pk")))
        for source in Report.Source.values:
            reports.add_metric([source], by_source.get(source, 0))
        yield reports
        yield GaugeMetricFamily(
            "observatory_emails_waiting", "E-mails not yet sent (and not given up)",
            value=OutboundEmail.objects.waiting().count(),
        )  # fmt: skip


def allowed(request: HttpRequest) -> bool:
    token = settings.OBSERVATORY_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    networks = parse_networks(settings.OBSERVATORY_METRICS_NETWORKS)
    address = client_ip(request)
    if not networks or not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == network.version and ip in network for network in networks)


def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    started = time.monotonic()
    own = CollectorRegistry()
    own.register(ObservatoryCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)
    else:
        shared = prometheus_client.REGISTRY
    body = prometheus_client.generate_latest(shared) + prometheus_client.generate_latest(own)
    logger.debug("metrics scraped in %.1f ms", (time.monotonic() - started) * 1000)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
