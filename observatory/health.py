"""Reachability of the components the observatory needs, for /healthz, and readiness (/healthz/ready): the
backing services plus the signs that the background work goes on. Never raises."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from city import opscounters

from .celery import app


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT postgis_version()")
        cursor.fetchone()


def check_redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def check_celery() -> None:
    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        replies = app.control.ping(timeout=1.0, limit=1, connection=conn)  # return on the first reply
    if not replies:
        raise RuntimeError("no Celery worker answered a ping within 1 s")


def _recent(name: str, max_age: float, what: str) -> None:
    beat = opscounters.last_heartbeat(name)
    if beat is None:
        raise RuntimeError(f"{what} has never reported")
    age = time.time() - beat["at"]
    if age > max_age:
        raise RuntimeError(f"{what} last reported {age:.0f} s ago (more than {max_age:.0f} s)")


def check_beat() -> None:
    _recent("beat", settings.OBSERVATORY_READY_BEAT_MAX_AGE_SECONDS, "the beat schedule (city.tasks.beat_heartbeat)")


def check_mqtt_subscriber() -> None:
    _recent("mqtt_subscriber", settings.OBSERVATORY_READY_MQTT_MAX_AGE_SECONDS, "the MQTT subscriber (ingest_mqtt)")


def check_indicators_age() -> None:
    from indicators.models import Indicator

    newest = Indicator.objects.aggregate(newest=Max("computed_at"))["newest"]
    if newest is None:
        raise RuntimeError("no indicator has been computed yet")
    hours = (timezone.now() - newest).total_seconds() / 3600
    if hours > settings.OBSERVATORY_READY_INDICATORS_MAX_AGE_HOURS:
        raise RuntimeError(f"the newest indicators are {hours:.1f} h old")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "celery": check_celery,
}


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks = {"database": check_database, "redis": check_redis, "beat": check_beat}
    if settings.OBSERVATORY_READY_MQTT:
        checks["mqtt_subscriber"] = check_mqtt_subscriber
    checks["indicators"] = check_indicators_age
    return checks


def run_checks(checks: dict[str, Callable[[], None]] | None = None) -> tuple[bool, dict[str, dict]]:
    """Run every check; returns (all healthy, per-component ``status`` "up" or "down" with its timing or error).

    The errors name internal hosts and ports: callers show them to staff only (see public_summary).
    """
    results: dict[str, dict] = {}
    for name, check in (CHECKS if checks is None else checks).items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # a health check reports failures, it never raises
            results[name] = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"status": "up", "ms": round((time.monotonic() - started) * 1000, 1)}
    return all(r["status"] == "up" for r in results.values()), results


def public_summary(healthy: bool, results: dict[str, dict]) -> dict:
    """What anyone may read: up or down, overall and per component; no errors, hosts, ports or timings."""
    return {"status": "up" if healthy else "down", "components": {name: r["status"] for name, r in results.items()}}
