"""A reminder before a progress report is due: e-mailed to the beneficiary in its language by the beat's daily
task, once per milestone however often the task runs, and not at all once the report is sent."""

import datetime as dt
import time

import pytest
from django.conf import settings
from django.utils import timezone

from city.models import OutboundEmail
from grants import services
from grants.beneficiaries import services as beneficiary_services
from grants.beneficiaries.models import ReportReminder
from grants.models import Milestone
from grants.tests.conftest import award, make_call, make_ranked

TODAY = timezone.localdate


def _project_with_milestones(evaluator, *due_in_days):
    project = award(make_ranked(make_call(), evaluator), "30000.00", title_it="Piazza viva", title_en="Lively square")
    return project, [
        Milestone.objects.create(
            project=project, title_it=f"SAL {n}", title_en=f"Progress {n}", due_on=TODAY() + dt.timedelta(days=days)
        )
        for n, days in enumerate(due_in_days, start=1)
    ]


@pytest.mark.django_db
def test_it_reminds_once_per_milestone_in_the_beneficiarys_language(grid, evaluator):
    project, (soon, later, overdue) = _project_with_milestones(evaluator, 3, 40, -2)
    assert beneficiary_services.report_reminders_send() == 2  # the one due in 3 days and the overdue one
    assert beneficiary_services.report_reminders_send() == 0  # never twice
    notices = OutboundEmail.objects.filter(kind="grants.report.reminder").order_by("reference")
    assert [n.reference for n in notices] == sorted([f"milestone:{soon.pk}", f"milestone:{overdue.pk}"])
    first = notices.get(reference=f"milestone:{soon.pk}")
    assert first.language == "it" and first.to == project.organisation.email
    assert "Relazione di avanzamento dovuta entro il" in first.subject
    assert (
        f"{settings.SITE_URL.rstrip('/')}/projects/beneficiary/{project.pk}/milestones/{soon.pk}/report/" in first.body
    )
    assert "non l'ha ancora ricevuta" in notices.get(reference=f"milestone:{overdue.pk}").body

    # The later one is reminded when its day comes; an English-speaking organisation reads English.
    project.organisation.language = "en"
    project.organisation.save(update_fields=["language"])
    assert beneficiary_services.report_reminders_send(today=later.due_on - dt.timedelta(days=5)) == 1
    assert OutboundEmail.objects.get(reference=f"milestone:{later.pk}").subject.startswith("Progress report due on")


@pytest.mark.django_db
def test_it_does_not_remind_a_sent_report_or_a_project_that_stopped(grid, evaluator):
    project, (sent, _draft_only) = _project_with_milestones(evaluator, 2, 4)
    services.progress_report_submit(
        project=project, milestone=sent, text="Fatto.", people_reached=1, night_events=1, night_service_hours=1
    )
    beneficiary_services.report_draft_save(
        project=project, milestone=_draft_only, text="Bozza", people_reached="", night_events="",
        night_service_hours="", actor=None,
    )  # fmt: skip
    assert beneficiary_services.report_reminders_send() == 1  # a draft is not a sent report
    assert ReportReminder.objects.get().milestone == _draft_only

    other, _milestones = _project_with_milestones(evaluator, 1)
    services.project_status_change(project=other, status="suspended")
    assert beneficiary_services.report_reminders_send() == 0


def test_the_beat_runs_it_every_day():
    entry = settings.CELERY_BEAT_SCHEDULE["grants-report-reminders"]
    assert entry["task"] == "grants.beneficiaries.tasks.send_report_reminders"
    from observatory.celery import app

    assert entry["task"] in app.tasks


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_each_reminder_once_even_when_the_task_runs_twice(celery_worker, grid, evaluator):
    from grants.beneficiaries.tasks import send_report_reminders

    _project, (soon,) = _project_with_milestones(evaluator, 2)
    results = [send_report_reminders.delay(), send_report_reminders.delay()]
    assert sorted(result.get(timeout=60) for result in results) == [0, 1]
    deadline = time.monotonic() + 30
    while not OutboundEmail.objects.filter(reference=f"milestone:{soon.pk}", sent_at__isnull=False).exists():
        assert time.monotonic() < deadline, "the worker did not send the reminder"
        time.sleep(0.2)
    assert OutboundEmail.objects.filter(kind="grants.report.reminder").count() == 1
