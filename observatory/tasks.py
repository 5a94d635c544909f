"""Celery tasks of the core: thin wrappers that call the indicator engine.

They take no ORM objects and are idempotent (keyed upserts under advisory locks), so a task
redelivered after a worker died (acks_late, reject on worker lost) just runs again. Transient
database errors retry with exponential backoff; each task has a time limit.
"""

from celery import chain, shared_task
from django.db import InterfaceError, OperationalError

from . import alerts, hotspots, indicators

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(**RETRY, soft_time_limit=240, time_limit=300)
def recompute_stale_indicators() -> int:
    return indicators.recompute_stale()


@shared_task(**RETRY, soft_time_limit=1500, time_limit=1800)
def recompute_all_indicators() -> int:
    return indicators.recompute_all()


@shared_task(**RETRY, soft_time_limit=600, time_limit=900)
def compute_hotspots() -> int:
    return hotspots.compute_hotspots()


@shared_task(**RETRY, soft_time_limit=300, time_limit=600)
def compute_alerts() -> int:
    return alerts.compute_alerts()


def indicator_pipeline():
    """The full recompute, then hot spots and alerts on its results, as one Celery chain."""
    return chain(recompute_all_indicators.si(), compute_hotspots.si(), compute_alerts.si())


@shared_task(**RETRY, soft_time_limit=30, time_limit=60)
def nightly_indicators() -> str:
    """What beat runs each night: queue the pipeline (each link retries and is redelivered on its own)."""
    return indicator_pipeline().apply_async().id
