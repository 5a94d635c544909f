"""Celery tasks of the reports app: thin wrappers around services."""

from celery import shared_task

from .services import report_contacts_erase


@shared_task(acks_late=True)
def erase_expired_contacts() -> int:
    """Erase contact data past the retention period (idempotent: erased rows are skipped)."""
    return report_contacts_erase()
