"""Celery beat tasks of intersectoral work: thin wrappers over the services (each idempotent)."""

from celery import shared_task

from . import services


@shared_task(name="cases.tasks.send_task_reminders", ignore_result=True)
def send_task_reminders() -> int:
    return services.tasks_remind()


@shared_task(name="cases.tasks.escalate_overdue_tasks", ignore_result=True)
def escalate_overdue_tasks() -> int:
    return services.tasks_escalate()


@shared_task(name="cases.tasks.send_daily_digests", ignore_result=True)
def send_daily_digests() -> int:
    return services.digests_send()


@shared_task(name="cases.tasks.send_questionnaires", ignore_result=True)
def send_questionnaires() -> int:
    return services.fixed_checks_send()


@shared_task(name="cases.tasks.notify_new_alerts", ignore_result=True)
def notify_new_alerts() -> int:
    return services.alerts_notify()
