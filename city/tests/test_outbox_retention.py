"""Retention of the outbox: an e-mail holds its recipient's address and what was said, so once it is sent (or
given up) it leaves the outbox after OBSERVATORY_OUTBOX_RETENTION_DAYS, by the beat's daily task; an e-mail still
waiting to be sent is never touched."""

from datetime import timedelta

import pytest
from django.utils import timezone

from city import outbox
from city.models import OutboundEmail
from city.tasks import purge_sent_emails
from observatory.celery import app


def _email(to: str, *, days_ago: int, sent: bool = False, given_up: bool = False) -> OutboundEmail:
    at = timezone.now() - timedelta(days=days_ago)
    email = OutboundEmail.objects.create(
        to=to, subject="s", body="b", next_attempt_at=at, sent_at=at if sent else None, given_up=given_up
    )
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=at)
    return email


@pytest.mark.django_db
def test_sent_and_given_up_emails_leave_the_outbox_after_the_retention_period(settings):
    settings.OBSERVATORY_OUTBOX_RETENTION_DAYS = 30
    old_sent = _email("vecchia@example.org", days_ago=31, sent=True)
    old_given_up = _email("respinta@example.org", days_ago=40, given_up=True)
    recent_sent = _email("recente@example.org", days_ago=29, sent=True)
    still_waiting = _email("in-attesa@example.org", days_ago=90)  # the mail server was down: never lost

    assert purge_sent_emails() == 2
    left = set(OutboundEmail.objects.values_list("pk", flat=True))
    assert left == {recent_sent.pk, still_waiting.pk}
    assert old_sent.pk not in left and old_given_up.pk not in left
    assert outbox.outbox_purge() == 0  # a second run finds nothing


@pytest.mark.django_db
def test_the_period_is_a_setting():
    _email("a@example.org", days_ago=3, sent=True)
    assert outbox.outbox_purge(older_than_days=5) == 0
    assert outbox.outbox_purge(older_than_days=2) == 1


def test_the_beat_schedule_runs_the_purge_daily():
    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "city.tasks.purge_sent_emails")
    assert entry["schedule"].hour == {3}
    assert "city.tasks.purge_sent_emails" in app.tasks
