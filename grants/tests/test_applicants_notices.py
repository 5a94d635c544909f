"""Notices through the outbox in the applicant's language: the receipt, each step the office takes
(admissible, not admissible with the reason, ranked, funded), and one reminder to drafts not yet submitted
a few days before the deadline (a beat task; never twice, whoever runs it)."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from city.models import OutboundEmail
from grants import services as grants_services
from grants.applicants import services
from grants.applicants.tasks import remind_draft_deadlines
from grants.tests.applicants_support import applicant, complete_draft, open_call
from grants.tests.conftest import award, seat


@pytest.mark.django_db
def test_each_step_of_the_office_is_told_in_the_applicants_language(grid, evaluator):
    call = open_call()
    english = services.draft_submit(draft=complete_draft(applicant("en@example.org", language="en"), call, grid))
    italian = services.draft_submit(draft=complete_draft(applicant("it@example.org"), call, grid))
    assert OutboundEmail.objects.get(to="en@example.org", kind="grants.receipt").subject.startswith("Receipt")

    grants_services.application_transition(application=italian.application, to_status="ineligible",
                                           note="Manca lo statuto firmato.", actor=evaluator)  # fmt: skip
    refused = OutboundEmail.objects.get(kind="grants.status.ineligible")
    assert refused.to == "it@example.org" and refused.language == "it"
    assert refused.subject == f"La tua domanda {italian.protocol_number}: Non ammissibile"
    assert "Motivazione: Manca lo statuto firmato." in refused.body and "http" in refused.body

    application = english.application
    grants_services.application_transition(application=application, to_status="eligible", actor=evaluator)
    seat(call, evaluator)
    grants_services.score_record(
        application=application, criterion=call.criteria.get(), evaluator=evaluator, score=8, reason="Solida."
    )
    grants_services.application_transition(application=application, to_status="scored", actor=evaluator)
    grants_services.call_rank(call=call, actor=evaluator)
    application.refresh_from_db()
    award(application, "30000.00")

    notices = OutboundEmail.objects.filter(to="en@example.org").exclude(kind="grants.receipt").order_by("id")
    assert [n.kind for n in notices] == ["grants.status.eligible", "grants.status.ranked", "grants.status.funded"]
    assert all(n.language == "en" for n in notices)
    assert "is now: Eligible." in notices[0].body and "Rank in the provisional ranking: 1." in notices[1].body
    assert "is now: Funded." in notices[2].body and english.protocol_number in notices[2].subject


@pytest.mark.django_db
def test_steps_on_applications_typed_in_by_the_office_send_no_applicant_notice(grid, evaluator):
    from grants.tests.conftest import make_call, submit

    application = submit(make_call())
    grants_services.application_transition(application=application, to_status="eligible", actor=evaluator)
    assert not OutboundEmail.objects.filter(kind__startswith="grants.status").exists()


@pytest.mark.django_db
def test_drafts_not_submitted_are_reminded_once_before_the_deadline(grid):
    soon = open_call(days_left=2)
    later = open_call(days_left=20)
    reminded = complete_draft(applicant("soon@example.org", language="en"), soon, grid)
    complete_draft(applicant("later@example.org"), later, grid)
    done = services.draft_submit(draft=complete_draft(applicant("done@example.org"), soon, grid))

    assert services.draft_reminders_send() == 1
    assert services.draft_reminders_send() == 0  # never twice
    reminder = OutboundEmail.objects.get(kind="grants.reminder")
    assert reminder.to == "soon@example.org" and reminder.language == "en"
    assert "is not submitted yet" in reminder.body and "(Europe/Rome)" in reminder.body
    reminded.refresh_from_db()
    assert reminded.reminder_sent_at is not None
    assert not OutboundEmail.objects.filter(kind="grants.reminder", to=done.owner.email).exists()
    # After the deadline nobody is reminded any more.
    late = complete_draft(applicant("late@example.org"), soon, grid)
    assert services.draft_reminders_send(now=soon.online.deadline + dt.timedelta(minutes=1)) == 0
    assert late.reminder_sent_at is None


def test_the_reminder_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["grants-draft-reminders"]
    assert entry["task"] == remind_draft_deadlines.name == "grants.applicants.tasks.remind_draft_deadlines"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_reminder_task(grid, celery_worker):
    call = open_call(days_left=1)
    complete_draft(applicant("soon@example.org"), call, grid)
    assert remind_draft_deadlines.delay().get(timeout=60) == 1
    assert remind_draft_deadlines.delay().get(timeout=60) == 0
    assert OutboundEmail.objects.filter(kind="grants.reminder").count() == 1
    assert timezone.now() < call.online.deadline
