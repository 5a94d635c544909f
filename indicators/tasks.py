"""Celery tasks of the indicator engine: thin wrappers that call the indicator engine.

They take no ORM objects and are idempotent (keyed upserts under advisory locks), so a task
redelivered after a worker died (acks_late, reject on worker lost) just runs again. Transient
database errors retry with exponential backoff; each task has a time limit.
"""

import logging

from celery import chain, shared_task
from django.db import InterfaceError, OperationalError, transaction

from . import alerts, engine, hotspots

logger = logging.getLogger(__name__)

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
    return engine.recompute_stale()


@shared_task(**RETRY, soft_time_limit=1500, time_limit=1800)
def recompute_all_indicators() -> int:
    return engine.recompute_all()


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


# --- what the base's stale markers set off ------------------------------------------------------------


def _queue_stale_recompute() -> None:
    try:
        recompute_stale_indicators.delay()
    except Exception:  # broker down: the stale markers are committed and beat will catch up
        logger.warning("could not queue the stale-indicator recompute; beat will pick it up", exc_info=True)


def queue_stale_recompute_on_commit(**_signal_kwargs) -> None:
    """Receiver of city.stale.zone_nights_marked_stale: queue the recompute once the markers commit."""
    transaction.on_commit(_queue_stale_recompute)
