"""The Celery application: configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery, signals

from city import logcontext

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings")

app = Celery("observatory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def _log_task_context(task_id=None, task=None, **_kwargs):
    """Every log line written while a task runs names the task and its id (city.logcontext)."""
    logcontext.task_id.set(task_id or "-")
    logcontext.task_name.set(getattr(task, "name", "-"))


@signals.task_postrun.connect
def _clear_task_context(**_kwargs):
    logcontext.task_id.set("-")
    logcontext.task_name.set("-")
