"""Beat runs every app's periodic work: each entry names a task a worker knows, and none is lost."""

from django.conf import settings

from observatory.celery import app


def registered_tasks() -> set[str]:
    app.loader.import_default_modules()  # what a worker does at start: autodiscover every app's tasks
    return set(app.tasks)


def test_every_beat_entry_names_a_task_the_worker_registers():
    missing = {name: entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
    known = registered_tasks()
    assert {name: task for name, task in missing.items() if task not in known} == {}


def test_the_nightly_pipeline_the_stale_catch_up_and_both_apps_housekeeping_are_scheduled():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "indicators.tasks.nightly_indicators",
        "indicators.tasks.recompute_stale_indicators",
        "reports.tasks.erase_expired_contacts",
        "sensors.tasks.check_sensor_health",
    } <= tasks
