"""Reminders to the non-respondents of a probability sample: the beat's daily task, through the real outbox.

A reminder goes, in the invitee's language, at most SURVEYS_REMINDERS_MAX times, each SURVEYS_REMINDER_AFTER_DAYS
after the last e-mail; never to who answered or asked for no more (the link in every e-mail), never for a
campaign that is closed or open to anyone.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from city.models import OutboundEmail
from observatory.celery import app
from surveys import services
from surveys.importers import frame_import
from surveys.models import Campaign, Invitation
from surveys.tasks import send_survey_reminders
from surveys.tests import factories
from surveys.tests.test_sampling import frame_file

# The e-mails leave through the outbox after the commit, as in production: a transactional test.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def emailed(two_zones, tmp_path, settings):
    """A probability campaign of 10 invitees (two of them English-speaking), invited by e-mail 8 days ago."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones), code="indagine")
    frame_import(path=frame_file(tmp_path, rows=10), campaign=campaign)
    services.sample_draw(campaign=campaign, seed=5, sample_sizes={"W": 6, "E": 4})
    assert services.invitations_email(campaign=campaign) == 10
    campaign.invitations.update(emailed_at=timezone.now() - dt.timedelta(days=8))
    mail.outbox.clear()
    return campaign


def _days_later(campaign, days: int) -> None:
    """Move the campaign's e-mails back in time, as if ``days`` had passed."""
    delta = dt.timedelta(days=days)
    for invitation in campaign.invitations.all():
        invitation.emailed_at -= delta
        if invitation.last_reminded_at:
            invitation.last_reminded_at -= delta
        invitation.save(update_fields=["emailed_at", "last_reminded_at"])


def test_the_beat_schedule_runs_the_reminders_daily():
    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "surveys.tasks.send_survey_reminders")
    assert entry["schedule"].hour == {9}
    assert "surveys.tasks.send_survey_reminders" in app.tasks


def test_reminders_go_to_non_respondents_in_their_language_but_not_to_who_answered_or_opted_out(emailed):
    campaign = emailed
    answered, opted_out, *others = list(campaign.invitations.order_by("code"))
    services.response_submit(campaign=campaign, safe_after_dark=3, invitation_code=answered.code)
    page = Client().post(f"/surveys/{campaign.code}/opt-out/", {"code": opted_out.code})
    assert page.status_code == 200
    send_survey_reminders.apply().get()
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {i.email for i in others}  # really sent, through Django's e-mail backend
    assert answered.email not in sent and opted_out.email not in sent
    for invitation in others:
        body = sent[invitation.email].body
        assert invitation.code in body and f"/surveys/indagine/opt-out/?code={invitation.code}" in body
        assert ("Answer here" if invitation.language == "en" else "Risponda qui") in body
    assert {i.language for i in others} == {"it", "en"}
    assert OutboundEmail.objects.filter(kind="survey.reminder", sent_at__isnull=False).count() == len(others)


def test_at_most_the_configured_reminders_each_after_the_configured_days(emailed):
    campaign = emailed
    send_survey_reminders.apply().get()
    assert len(mail.outbox) == 10
    send_survey_reminders.apply().get()  # the same day again: nothing
    assert len(mail.outbox) == 10
    _days_later(campaign, 6)
    send_survey_reminders.apply().get()  # six days after the first reminder: not yet
    assert len(mail.outbox) == 10
    _days_later(campaign, 1)
    send_survey_reminders.apply().get()
    assert len(mail.outbox) == 20
    _days_later(campaign, 30)
    send_survey_reminders.apply().get()  # two reminders is the most
    assert len(mail.outbox) == 20
    assert set(Invitation.objects.values_list("reminders_sent", flat=True)) == {2}


@override_settings(SURVEYS_REMINDERS_MAX=1, SURVEYS_REMINDER_AFTER_DAYS=10)
def test_the_number_and_the_delay_are_settings(emailed):
    send_survey_reminders.apply().get()  # e-mailed 8 days ago: under 10
    assert mail.outbox == []
    _days_later(emailed, 2)
    send_survey_reminders.apply().get()
    _days_later(emailed, 20)
    send_survey_reminders.apply().get()
    assert len(mail.outbox) == 10


def test_no_reminder_for_a_closed_campaign(emailed):
    Campaign.objects.filter(pk=emailed.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    assert send_survey_reminders.apply().get() == {}
    assert mail.outbox == []


def test_the_opt_out_link_asks_first_and_refuses_an_unknown_code_in_the_persons_language(emailed):
    invitation = emailed.invitations.order_by("code").first()
    client = Client()
    client.cookies["django_language"] = "en"
    page = client.get(f"/surveys/{emailed.code}/opt-out/?code={invitation.code}")
    assert page.status_code == 200 and b"Send me no more reminders" in page.content
    invitation.refresh_from_db()
    assert invitation.opted_out_at is None  # a mail scanner following the link opts nobody out
    italian = Client()  # Italian by default
    refused = italian.post(f"/surveys/{emailed.code}/opt-out/", {"code": "NOPE1234"})
    assert refused.status_code == 400
    assert "non è valido" in refused.content.decode()
    done = client.post(f"/surveys/{emailed.code}/opt-out/", {"code": invitation.code.lower()})
    assert done.status_code == 200 and b"will not write to you again" in done.content
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None
    again = client.post(f"/surveys/{emailed.code}/opt-out/", {"code": invitation.code})
    invitation.refresh_from_db()
    assert again.status_code == 200 and invitation.opted_out_at is not None
