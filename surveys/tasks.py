"""Celery tasks of the surveys app: thin, by campaign id, idempotent (an invitation is e-mailed once, a
reminder only when due), so a retry or a second delivery sends nothing twice."""

from celery import shared_task

from . import services
from .models import Campaign


@shared_task(name="surveys.tasks.email_invitations", acks_late=True, ignore_result=True)
def email_invitations(campaign_id: int) -> int:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    return services.invitations_email(campaign=campaign) if campaign else 0


@shared_task(name="surveys.tasks.email_reminders", acks_late=True, ignore_result=True)
def email_reminders(campaign_id: int) -> int:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    return services.invitations_remind(campaign=campaign) if campaign else 0
