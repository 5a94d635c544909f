"""The beneficiaries' beat task: reminders of reports falling due (thin: the work is in services)."""

from celery import shared_task

from . import services


@shared_task(name="grants.beneficiaries.tasks.send_report_reminders", acks_late=True)
def send_report_reminders() -> int:
    """Idempotent: a milestone is reminded once, ever (``ReportReminder``), however often this runs."""
    return services.report_reminders_send()
