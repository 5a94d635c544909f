"""What the processes tell the operators: counters and heartbeats kept in Redis, read by /metrics and readiness.

Counters (readings ingested per path) are shared by every process that writes, gunicorn workers, Celery tasks,
the MQTT subscriber and the importers alike, so one scrape of any web process sees the whole deployment.
Heartbeats say when something last happened (beat's schedule ran, the MQTT subscriber was alive, the last full
recompute finished and how long it took). Redis being away never stops the work being counted: it is logged.
"""

from __future__ import annotations

import json
import logging
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)
PREFIX = "observatory:ops:"


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def count(name: str, label: str, amount: int = 1) -> None:
    """Add ``amount`` to the counter ``name`` for ``label`` (e.g. "readings_ingested", "mqtt")."""
    if amount <= 0:
        return
    try:
        _client().hincrby(PREFIX + "count:" + name, label, amount)
    except redis.RedisError:
        logger.warning("could not count %s %s in Redis", amount, name, exc_info=True)


def counts(name: str) -> dict[str, int]:
    raw = _client().hgetall(PREFIX + "count:" + name)
    return {label.decode(): int(value) for label, value in raw.items()}


def heartbeat(name: str, **fields: float | str) -> None:
    """Record that ``name`` happened now (unix time in ``at``), with ``fields`` beside it."""
    try:
        _client().set(PREFIX + "heartbeat:" + name, json.dumps({"at": time.time(), **fields}))
    except redis.RedisError:
        logger.warning("could not record the %s heartbeat in Redis", name, exc_info=True)


def last_heartbeat(name: str) -> dict | None:
    raw = _client().get(PREFIX + "heartbeat:" + name)
    return json.loads(raw) if raw else None
