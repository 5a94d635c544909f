"""Beat tasks of the applicants' area: thin, idempotent (a draft is reminded once, whoever runs it)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="grants.applicants.tasks.remind_draft_deadlines", acks_late=True)
def remind_draft_deadlines() -> int:
    """Remind owners of unsubmitted drafts that their call closes within GRANTS_DRAFT_REMINDER_DAYS."""
    return services.draft_reminders_send()
