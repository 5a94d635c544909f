"""Celery tasks of the sensors app: thin, idempotent, retried while the database is briefly away."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=300, max_retries=8)
def check_sensor_health() -> dict[str, int]:
    """Flag sensors silent during night hours and clear those that report again (beat, every 5 minutes)."""
    return services.sensors_health_check()
