"""The one way the observatory sends e-mail: queue a row with the change, send it after commit, retry until sent.

Callers render the text in the recipient's language (``render_email`` does it under ``translation.override``)
and call ``queue_email`` inside the transaction that makes the change; nothing here talks to the mail server
in the request. Links in e-mails are absolute: ``absolute_url`` joins ``SITE_URL`` and a path.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from city.models import OutboundEmail

logger = logging.getLogger(__name__)

# Delay before attempt n+1 (minutes); after the last one the message is given up and shown in the admin.
RETRY_MINUTES = (1, 5, 15, 60, 180, 720, 1440)


def absolute_url(path: str) -> str:
    """``path`` (as reverse() gives it) on the site citizens and staff reach: ``SITE_URL`` without its slash."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def render_email(template_base: str, context: dict, language: str) -> tuple[str, str, str]:
    """(subject, text, html) from ``<template_base>_subject.txt``, ``.txt`` and, if it exists, ``.html``,
    rendered in ``language``. The subject is one line."""
    with translation.override(language or settings.LANGUAGE_CODE):
        ctx = {"site_url": settings.SITE_URL.rstrip("/"), "language": language, **context}
        subject = " ".join(render_to_string(f"{template_base}_subject.txt", ctx).split())
        text = render_to_string(f"{template_base}.txt", ctx)
        try:
            html = render_to_string(f"{template_base}.html", ctx)
        except Exception:  # TemplateDoesNotExist: plain text only
            html = ""
    return subject, text, html


def queue_email(
    to: str, subject: str, body: str, *, html: str = "", language: str = "", kind: str = "", reference: str = ""
) -> OutboundEmail | None:
    """Record an e-mail in the current transaction and send it once the transaction commits.

    Returns None (and queues nothing) for an empty address. The row is the promise: if the commit rolls back,
    there is no e-mail either; if the send fails, the sweep retries it."""
    if not to:
        return None
    email = OutboundEmail.objects.create(
        to=to,
        subject=subject[:250],
        body=body,
        html=html,
        language=language,
        kind=kind,
        reference=reference[:120],
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: _dispatch(email.pk))
    return email


def queue_rendered(to: str, template_base: str, context: dict, language: str, *, kind: str = "", reference: str = ""):
    """``render_email`` then ``queue_email``."""
    subject, text, html = render_email(template_base, context, language)
    return queue_email(to, subject, text, html=html, language=language, kind=kind, reference=reference)


def _dispatch(pk: int) -> None:
    from city.tasks import send_email  # the Celery task module imports this one

    try:
        send_email.delay(pk)
    except Exception:  # broker down: the sweep sends it within a minute of the broker coming back
        logger.warning("could not queue e-mail %s; the sweep will send it", pk, exc_info=True)


def send_one(pk: int) -> bool:
    """Send one queued e-mail if it is still owed; True when it was sent now. Safe to call twice at once:
    the row is locked (SKIP LOCKED), so two workers never send the same message twice."""
    now = timezone.now()
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, sent_at__isnull=True, given_up=False)
            .first()
        )
        if email is None:
            return False
        message = EmailMultiAlternatives(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
        if email.html:
            message.attach_alternative(email.html, "text/html")
        try:
            message.send()
        except Exception as exc:  # the mail server refused or is down: keep the row, try again later
            email.attempts += 1
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts > len(RETRY_MINUTES):
                email.given_up = True
                logger.error("gave up e-mail %s to %s after %s attempts", pk, email.to, email.attempts)
            else:
                email.next_attempt_at = now + timedelta(minutes=RETRY_MINUTES[email.attempts - 1])
                logger.warning("e-mail %s failed (attempt %s), retrying later: %s", pk, email.attempts, exc)
            email.save(update_fields=["attempts", "last_error", "given_up", "next_attempt_at"])
            return False
        email.sent_at = now
        email.attempts += 1
        email.save(update_fields=["sent_at", "attempts"])
        return True


def outbox_purge(*, older_than_days: int | None = None) -> int:
    """Delete the e-mails sent, or given up, more than the retention period ago (one set-based DELETE): they
    hold the recipient's address and what was said, and once delivered the outbox has no use for them. Waiting
    e-mails are never touched. Returns how many were deleted."""
    days = settings.OBSERVATORY_OUTBOX_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    done = Q(sent_at__lt=cutoff) | Q(given_up=True, created_at__lt=cutoff)
    deleted, _by_model = OutboundEmail.objects.filter(done).delete()
    return deleted


def send_due(limit: int = 500) -> int:
    """Send every e-mail whose attempt is due (the sweep); the number sent."""
    pks = list(OutboundEmail.objects.due(timezone.now()).values_list("pk", flat=True)[:limit])
    return sum(send_one(pk) for pk in pks)
