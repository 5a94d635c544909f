"""A case's life: departments work and close their tasks, the case closes with an honest reason when the last
task closes, its reports follow it, and the citizen is told each step in their language."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from cases import selectors, services
from cases.models import Case, CaseEvent, ClosingReason, FixedCheck, Task
from city.models import OutboundEmail
from reports.models import Report
from reports.services import report_publish

pytestmark = pytest.mark.django_db


def task_of(case, code):
    return case.tasks.get(department__code=code)


def test_the_citizen_gets_a_receipt_with_the_tracking_code_in_their_language(city):
    from reports.tests.factories import submit

    with translation.override("en"):
        report = submit(city["dark"], contact_email="visitor@example.org", contact_consent=True)
    receipt = OutboundEmail.objects.get(kind="report.receipt", to="visitor@example.org")
    assert report.tracking_code in receipt.subject and "We received" in receipt.subject
    assert f"http://127.0.0.1:8000/reports/{report.tracking_code}/" in receipt.body
    assert report.language == "en"


def test_a_new_task_tells_the_department_inbox(dark_case):
    inboxes = set(OutboundEmail.objects.filter(kind="case.task_new").values_list("to", flat=True))
    assert inboxes == {"illuminazione@comune.example", "polizia@comune.example"}
    body = OutboundEmail.objects.filter(kind="case.task_new").first().body
    assert f"http://127.0.0.1:8000/cases/{dark_case.pk}/" in body


def test_closing_one_task_leaves_the_case_open_and_the_last_closes_it(dark_case, city):
    services.task_close(task=task_of(dark_case, "lighting"), user=city["lighting_member"], reason="fixed",
                        note="Lampada sostituita")  # fmt: skip
    dark_case.refresh_from_db()
    assert dark_case.is_open
    services.task_close(task=task_of(dark_case, "municipal_police"), user=city["police_member"], reason="no_action")
    dark_case.refresh_from_db()
    assert dark_case.status == Case.Status.CLOSED
    assert dark_case.closing_reason == ClosingReason.PARTLY_FIXED  # one fixed, one could do nothing
    assert dark_case.reports.get().status == Report.Status.RESOLVED


def test_a_task_not_ours_must_say_to_whom_it_was_referred(dark_case, city):
    task = task_of(dark_case, "lighting")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.task_close(task=task, user=city["lighting_member"], reason="not_ours")
    assert "referred" in str(refused.value)
    task.refresh_from_db()
    assert task.is_open and not task.case.events.filter(action=CaseEvent.Action.TASK_CLOSED).exists()


def test_an_unknown_closing_reason_is_refused_and_nothing_is_written(dark_case, city):
    with pytest.raises(ValidationError):
        services.task_close(task=task_of(dark_case, "lighting"), user=city["lighting_member"], reason="magic")
    assert Task.objects.filter(case=dark_case, status=Task.Status.CLOSED).count() == 0


def test_every_task_not_ours_closes_the_case_as_referred_and_names_to_whom(dark_case, city):
    for code, user in (("lighting", "lighting_member"), ("municipal_police", "police_member")):
        services.task_close(task=task_of(dark_case, code), user=city[user], reason="not_ours", referred_to="IREN")
    dark_case.refresh_from_db()
    assert dark_case.closing_reason == ClosingReason.NOT_OURS and "IREN" in dark_case.referred_to
    assert dark_case.reports.get().status == Report.Status.REFERRED


def test_starting_work_puts_the_reports_in_progress_and_emails_the_citizen(dark_case, dark_report, city):
    services.task_start(task=task_of(dark_case, "lighting"), user=city["lighting_member"])
    dark_report.refresh_from_db()
    assert dark_report.status == Report.Status.IN_PROGRESS
    assert OutboundEmail.objects.filter(kind="report.status", to="cittadina@example.org").exists()


def test_the_public_note_reaches_the_citizen_and_those_who_joined(dark_case, dark_report, city, moderator):
    from reports.tests.factories import submit

    report_publish(report=dark_report, user=moderator)
    with translation.override("en"):
        submit(city["dark"], duplicate_of=dark_report, contact_email="joiner@example.org", contact_consent=True)
    services.case_public_note_set(case=dark_case, user=city["lighting_member"], text="Squadra inviata giovedì")
    to_citizen = OutboundEmail.objects.filter(kind="report.status", to="cittadina@example.org").last()
    to_joiner = OutboundEmail.objects.filter(kind="report.status", to="joiner@example.org").last()
    assert "Squadra inviata giovedì" in to_citizen.body and "Lo stato" in to_citizen.body
    assert "Squadra inviata giovedì" in to_joiner.body and "to which your report was added" in to_joiner.body
    assert dark_report.history.filter(public_note="Squadra inviata giovedì").exists()


def test_internal_notes_are_never_on_the_public_page(client, dark_case, dark_report, city, moderator):
    report_publish(report=dark_report, user=moderator)
    services.task_note_add(task=task_of(dark_case, "lighting"), user=city["lighting_member"], text="Chiave del quadro")
    assert "Chiave del quadro" not in client.get(dark_report.get_absolute_url()).content.decode()


def close_all(case, city):
    services.task_close(task=task_of(case, "lighting"), user=city["lighting_member"], reason="fixed")
    services.task_close(task=task_of(case, "municipal_police"), user=city["police_member"], reason="fixed")
    case.refresh_from_db()


def test_four_weeks_after_closing_the_citizen_is_asked_if_it_is_fixed_once(dark_case, city):
    close_all(dark_case, city)
    assert services.fixed_checks_send() == 0  # too early
    later = timezone.now() + dt.timedelta(days=29)
    assert services.fixed_checks_send(now=later) == 1
    assert services.fixed_checks_send(now=later) == 0  # once per closure
    email = OutboundEmail.objects.get(kind="case.fixed_check")
    assert email.to == "cittadina@example.org" and "http://127.0.0.1:8000/cases/fixed/" in email.body


def test_answering_no_reopens_the_case_and_tells_the_departments(client, dark_case, dark_report, city):
    close_all(dark_case, city)
    services.fixed_checks_send(now=timezone.now() + dt.timedelta(days=29))
    check = FixedCheck.objects.get()
    url = f"/cases/fixed/{services.fixed_check_token(check)}/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"answer": "no", "comment": "Ancora buio"})
    assert response.status_code == 200 and "riaperto" in response.content.decode()
    dark_case.refresh_from_db()
    assert dark_case.is_open and dark_case.reopened_count == 1
    assert all(task.is_open for task in dark_case.tasks.all())
    reopened = OutboundEmail.objects.filter(kind="case.task_reopened")
    assert {"illuminazione@comune.example", "polizia@comune.example"} <= set(reopened.values_list("to", flat=True))
    assert "Ancora buio" in reopened.first().body
    dark_report.refresh_from_db()
    assert dark_report.status == Report.Status.IN_PROGRESS
    assert client.post(url, {"answer": "yes"}).status_code == 200  # already answered: the page says so
    check.refresh_from_db()
    assert check.answer == "no"


def test_a_tampered_questionnaire_link_is_not_found(client, dark_case, city):
    close_all(dark_case, city)
    services.fixed_checks_send(now=timezone.now() + dt.timedelta(days=29))
    token = services.fixed_check_token(FixedCheck.objects.get())
    assert client.get(f"/cases/fixed/{token}x/").status_code == 404


def test_a_bad_answer_is_refused_in_the_citizens_language(client, dark_case, city):
    close_all(dark_case, city)
    services.fixed_checks_send(now=timezone.now() + dt.timedelta(days=29))
    url = f"/cases/fixed/{services.fixed_check_token(FixedCheck.objects.get())}/"
    client.cookies["django_language"] = "en"
    response = client.post(url, {"answer": "maybe"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert FixedCheck.objects.get().answered_at is None


def test_answers_become_a_satisfaction_figure_per_department(dark_case, city):
    close_all(dark_case, city)
    services.fixed_checks_send(now=timezone.now() + dt.timedelta(days=29))
    services.fixed_check_answer(check=FixedCheck.objects.get(), answer="partly")
    today = timezone.localdate()
    rows = {row["code"]: row for row in selectors.satisfaction(zone_ids=None, start=today, end=today)}
    assert rows["lighting"]["partly"] == 1 and rows["lighting"]["share_fixed"] == 0.0
    assert selectors.satisfaction(zone_ids=[city["east"].pk], start=today, end=today) == []


def test_case_figures_count_opened_closed_overdue_and_reopened_per_department(dark_case, city):
    services.task_close(task=task_of(dark_case, "lighting"), user=city["lighting_member"], reason="fixed")
    Task.objects.filter(department__code="municipal_police").update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    today = timezone.localdate()
    with translation.override("it"):
        rows = {row["code"]: row for row in selectors.case_figures(zone_ids=[city["west"].pk], start=today, end=today)}
    assert rows["lighting"]["opened"] == 1 and rows["lighting"]["closed"] == 1
    assert rows["lighting"]["median_days_to_close"] == 0.0
    assert rows["municipal_police"]["overdue"] == 1 and rows["municipal_police"]["closed"] == 0
    assert rows["municipal_police"]["name"] == "Polizia municipale"
    assert selectors.case_figures(zone_ids=[city["east"].pk], start=today, end=today) == []


def test_the_trail_speaks_the_readers_language_never_codes(dark_case, city):
    services.task_close(task=task_of(dark_case, "lighting"), user=city["lighting_member"], reason="fixed")
    with translation.override("en"):
        lines = [line["what"] for line in selectors.case_trail(dark_case)]
    assert "Task closed: Public lighting, Fixed" in lines
    with translation.override("it"):
        lines = [line["what"] for line in selectors.case_trail(dark_case)]
    assert any("Illuminazione pubblica" in line for line in lines)
    assert not any("lighting" in line or "fixed" in line for line in lines)


def test_a_change_and_its_emails_commit_together_or_not_at_all(dark_case, city):
    from django.db import transaction

    before = OutboundEmail.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.task_start(task=task_of(dark_case, "lighting"), user=city["lighting_member"])
        assert OutboundEmail.objects.count() > before  # the citizen's update is queued with the change
        raise RuntimeError("the request failed after the change")
    assert OutboundEmail.objects.count() == before
    assert task_of(dark_case, "lighting").status == Task.Status.OPEN
    assert dark_case.reports.get().status == Report.Status.SUBMITTED


def test_the_queue_shows_the_departments_satisfaction(client, dark_case, city):
    close_all(dark_case, city)
    services.fixed_checks_send(now=timezone.now() + dt.timedelta(days=29))
    services.fixed_check_answer(check=FixedCheck.objects.get(), answer="yes")
    client.force_login(city["lighting_member"])
    client.cookies["django_language"] = "en"
    page = client.get("/cases/").content.decode()
    assert "1 yes, 0 partly, 0 no" in page and "100% fixed" in page
