"""Reachability of the components the observatory needs, for /healthz. Never raises."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection

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


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "celery": check_celery,
}


def run_checks() -> tuple[bool, dict[str, dict]]:
    """Run every check; returns (all healthy, per-component ``status`` "up" or "down" with its timing or error).

    The errors name internal hosts and ports: callers show them to staff only (see public_summary).
    """
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
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
