"""Celery task of the open data: the nightly refresh of the files (after the nightly indicator recompute)."""

from celery import shared_task

from . import services


@shared_task(name="opendata.tasks.refresh_open_data", ignore_result=True, soft_time_limit=1500, time_limit=1800)
def refresh_open_data() -> str:
    return services.opendata_refresh()["generated_at"]
