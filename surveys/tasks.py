"""Celery tasks of the surveys app: thin, by id, idempotent (a rerun replaces the campaign's estimates; an
invitation is e-mailed once and a reminder sent only when due), so a retry or a second delivery sends nothing
twice."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services
from .models import Campaign
from .weighting import weighting_run_execute


@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5, acks_late=True,
    reject_on_worker_lost=True, soft_time_limit=900, time_limit=1200,
)  # fmt: skip
def weight_survey_campaign(campaign_id: int) -> int:
    """Weight one campaign; returns the weighting run's id."""
    return weighting_run_execute(campaign=Campaign.objects.get(pk=campaign_id)).pk


@shared_task(name="surveys.tasks.email_invitations", acks_late=True, ignore_result=True)
def email_invitations(campaign_id: int) -> int:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    return services.invitations_email(campaign=campaign) if campaign else 0


@shared_task(name="surveys.tasks.email_reminders", acks_late=True, ignore_result=True)
def email_reminders(campaign_id: int) -> int:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    return services.invitations_remind(campaign=campaign) if campaign else 0


@shared_task(
    name="surveys.tasks.send_survey_reminders", autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
    max_retries=5, acks_late=True, ignore_result=True,
)  # fmt: skip
def send_survey_reminders() -> dict[str, int]:
    """The beat's daily sweep: reminders to the non-respondents of every open probability campaign that are
    due (services.reminders_send_due). A rerun the same day sends nothing: each reminder waits its days."""
    return services.reminders_send_due()


@shared_task(name="surveys.tasks.erase_invitee_contacts", acks_late=True, ignore_result=True)
def erase_invitee_contacts() -> int:
    """Retention (beat, daily): invitees' addresses go SURVEYS_CONTACT_RETENTION_DAYS after their campaign closes."""
    return services.invitee_contacts_erase()
