"""Celery tasks of the core: thin wrappers that call the indicator functions.

They take no ORM objects, are idempotent, and retry with backoff when the database is briefly away.
"""

from celery import shared_task
from django.db import OperationalError

from . import indicators

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def recompute_stale_indicators() -> int:
    return indicators.recompute_stale()


@shared_task(**RETRY)
def recompute_all_indicators() -> int:
    return indicators.recompute_all()
