"""The e-mail outbox: a notification is written with the change, sent after commit, and never lost."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from city import outbox
from city.models import OutboundEmail

pytestmark = pytest.mark.django_db(transaction=True)


class RefusingBackend:
    """A mail server that is down: every send raises, as smtplib does when the connection is refused."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("connection refused")


def test_an_email_queued_in_a_change_is_sent_when_the_change_commits(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with transaction.atomic():
        outbox.queue_email("cittadino@example.org", "Ricevuta", "Grazie", kind="report.receipt")
        assert mail.outbox == []  # nothing leaves before the commit
    assert [m.to for m in mail.outbox] == [["cittadino@example.org"]]
    assert OutboundEmail.objects.get().sent_at is not None


def test_a_change_rolled_back_sends_nothing(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.queue_email("cittadino@example.org", "Ricevuta", "Grazie")
        raise RuntimeError("the change failed")
    assert mail.outbox == [] and not OutboundEmail.objects.exists()


def test_a_mail_server_that_is_down_leaves_the_email_for_the_sweep_which_sends_it_later(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with override_settings(EMAIL_BACKEND="city.tests.test_outbox.RefusingBackend"):
        outbox.queue_email("ufficio@example.org", "Nuovo compito", "Apri il caso")
    email = OutboundEmail.objects.get()
    assert email.sent_at is None and email.attempts == 1 and "refused" in email.last_error
    assert email.next_attempt_at > timezone.now()
    assert outbox.send_due() == 0  # not due yet
    OutboundEmail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox.send_due() == 1
    assert [m.subject for m in mail.outbox] == ["Nuovo compito"]


def test_after_the_last_retry_the_email_is_given_up_and_shown_as_such(settings):
    with override_settings(EMAIL_BACKEND="city.tests.test_outbox.RefusingBackend"):
        email = outbox.queue_email("ufficio@example.org", "x", "y")
        for _ in range(len(outbox.RETRY_MINUTES) + 1):
            OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
            outbox.send_due()
    email.refresh_from_db()
    assert email.given_up and email.sent_at is None
    assert not OutboundEmail.objects.waiting().exists()


def test_links_are_absolute_on_the_configured_site(settings):
    settings.SITE_URL = "https://osservatorio.comune.torino.it/"
    assert outbox.absolute_url("/it/reports/ABC/") == "https://osservatorio.comune.torino.it/it/reports/ABC/"
