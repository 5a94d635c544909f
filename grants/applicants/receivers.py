"""What the applicants' area does when the office moves an application: it tells the applicant.

Connected in ``GrantsConfig.ready()``; the notice is queued in the transaction that records the step
(``post_save`` of the workflow event), so no step, no e-mail.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from grants.models import ApplicationEvent

from . import services


@receiver(post_save, sender=ApplicationEvent, dispatch_uid="grants.applicants.status_notice")
def application_event_recorded(sender, instance: ApplicationEvent, created: bool, **kwargs) -> None:
    if created:
        services.status_notice_queue(instance)
