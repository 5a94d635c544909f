"""A moderator's change of a report's status keeps its case consistent, and a case's closure still moves its
reports: the one rule of cases.services.case_reports_in_step, tested from both sides.

- merged as a duplicate, rejected as spam or hidden: the report leaves its case; a case left with nothing to act
  on closes; a duplicate whose original has no case hands it its place;
- reopened by a moderator: the task of the report's department opens again (and a closed case reopens);
- closed by a moderator: the case notes it, its departments still decide."""

import pytest
from django.utils import translation

from cases import selectors, services
from cases.models import Case, CaseEvent, ClosingReason, Task
from city.models import OutboundEmail
from reports import services as report_services
from reports.models import Category, Report
from reports.tests.factories import submit

pytestmark = pytest.mark.django_db


def task_of(case, code) -> Task:
    return case.tasks.get(department__code=code)


def close_all(case, city, reason="fixed"):
    services.task_close(task=task_of(case, "lighting"), user=city["lighting_member"], reason=reason)
    services.task_close(task=task_of(case, "municipal_police"), user=city["police_member"], reason=reason)


def trail_en(case) -> list[str]:
    with translation.override("en"):
        return [row["what"] for row in selectors.case_trail(case)]


def test_a_duplicate_leaves_its_case_which_closes_as_a_duplicate_when_nothing_is_left(dark_case, city, moderator):
    duplicate = dark_case.reports.get()
    original = submit(city["dark"], lon=7.685, lat=45.065, description="Lo stesso sottopasso")
    original_case = original.case_link.case
    report_services.report_merge(report=duplicate, into=original, user=moderator)
    dark_case.refresh_from_db()
    assert not dark_case.reports.exists()
    assert dark_case.status == Case.Status.CLOSED and dark_case.closing_reason == ClosingReason.DUPLICATE
    assert set(dark_case.tasks.values_list("closing_reason", flat=True)) == {ClosingReason.DUPLICATE}
    duplicate.refresh_from_db()
    assert duplicate.status == Report.Status.DUPLICATE  # the case's closure does not move it back
    assert Case.objects.get(pk=original_case.pk).is_open
    assert f"Report left the case: {duplicate.tracking_code}, Duplicate → {original.tracking_code}" in trail_en(
        dark_case
    )


def test_a_duplicate_of_a_report_without_a_case_hands_the_case_to_the_original(dark_case, city, moderator):
    nobodys = Category.objects.create(code="other-thing", name_it="Altro", name_en="Other", group="other")
    original = submit(nobodys, lon=7.685, lat=45.065)
    assert not Case.objects.filter(reports=original).exists()  # no routing for this category
    duplicate = dark_case.reports.get()
    report_services.report_merge(report=duplicate, into=original, user=moderator)
    dark_case.refresh_from_db()
    assert list(dark_case.reports.all()) == [original]
    assert dark_case.is_open and all(task.is_open for task in dark_case.tasks.all())


def test_a_report_rejected_as_spam_leaves_the_case_and_comes_back_routed_when_published(
    client, dark_case, city, moderator
):
    report = dark_case.reports.get()
    client.force_login(moderator)
    assert client.post(f"/reports/moderation/{report.tracking_code}/spam/").status_code == 302
    dark_case.refresh_from_db()
    assert dark_case.status == Case.Status.CLOSED and dark_case.closing_reason == ClosingReason.NO_ACTION
    assert not dark_case.reports.exists()
    report.refresh_from_db()
    assert report.status == Report.Status.SPAM
    # The moderator changes their mind: the report is routed again, as a new one would be.
    client.post(f"/reports/moderation/{report.tracking_code}/publish/", {"public_description": "Sottopasso buio"})
    report.refresh_from_db()
    new_case = report.case_link.case
    assert new_case.pk != dark_case.pk and new_case.is_open
    assert sorted(new_case.tasks.values_list("department__code", flat=True)) == ["lighting", "municipal_police"]


def test_a_case_with_other_reports_stays_open_when_one_is_rejected(dark_case, dark_report, city, moderator):
    other = submit(city["dark"], lon=7.676, lat=45.066)
    # The second report's own case is folded into the first (no screen does this yet: the rows, directly).
    other.case_link.case.delete()
    dark_case.case_reports.create(report=other)
    report_services.report_reject_spam(report=other, user=moderator)
    dark_case.refresh_from_db()
    assert dark_case.is_open and list(dark_case.reports.all()) == [dark_report]
    assert dark_case.events.filter(action=CaseEvent.Action.REPORT_LEFT, data__report=other.tracking_code).exists()


def test_a_case_an_officer_opened_on_a_place_stays_open_when_its_last_report_leaves(city, moderator, officer):
    """The officer's work is the place's: a report that joined it and then turned out spam leaves, the case stays."""
    case = services.case_open_at_place(
        user=officer, title="Sottopasso di via Nizza", zone=city["west"], department_ids=[city["lighting"].pk]
    )
    report = submit(city["dark"], lon=7.676, lat=45.066)
    report.case_link.case.delete()  # its own routed case folded into the officer's (the rows, directly)
    case.case_reports.create(report=report)
    report_services.report_reject_spam(report=report, user=moderator)
    case.refresh_from_db()
    assert case.is_open and not case.reports.exists()
    assert all(task.is_open for task in case.tasks.all())
    assert case.events.filter(action=CaseEvent.Action.REPORT_LEFT, data__report=report.tracking_code).exists()


def test_a_report_reopened_by_a_moderator_reopens_its_departments_task_and_the_case(dark_case, city, moderator):
    report = dark_case.reports.get()
    assert report.department_id == "lighting"  # the category's default department
    close_all(dark_case, city)
    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED
    OutboundEmail.objects.all().delete()
    report_services.report_set_status(report=report, status=Report.Status.UNDER_REVIEW, user=moderator,
                                      public_note="Il sottopasso è di nuovo buio.")  # fmt: skip
    dark_case.refresh_from_db()
    assert dark_case.is_open and dark_case.reopened_count == 1
    assert task_of(dark_case, "lighting").is_open
    assert not task_of(dark_case, "municipal_police").is_open  # not the report's department
    report.refresh_from_db()
    assert report.status == Report.Status.UNDER_REVIEW  # the status the moderator gave it stands
    told = set(OutboundEmail.objects.filter(kind="case.task_reopened").values_list("to", flat=True))
    assert told == {"illuminazione@comune.example"}


def test_in_an_open_case_a_reopened_report_reopens_only_its_closed_task(dark_case, city, moderator):
    report = dark_case.reports.get()
    services.task_close(task=task_of(dark_case, "lighting"), user=city["lighting_member"], reason="fixed")
    # A moderator closes the report: the case notes it, the police still has its task.
    report_services.report_set_status(report=report, status=Report.Status.RESOLVED, user=moderator)
    dark_case.refresh_from_db()
    assert dark_case.is_open and task_of(dark_case, "municipal_police").is_open
    assert f"Report status changed by a moderator: {report.tracking_code}, Resolved" in trail_en(dark_case)
    report_services.report_set_status(report=report, status=Report.Status.IN_PROGRESS, user=moderator)
    assert task_of(dark_case, "lighting").is_open
    assert "Task reopened: Public lighting" in trail_en(dark_case)


def test_a_case_closing_still_moves_its_reports_without_echoing_back(dark_case, city):
    services.task_close(task=task_of(dark_case, "lighting"), user=city["lighting_member"], reason="no_action")
    services.task_close(task=task_of(dark_case, "municipal_police"), user=city["police_member"], reason="no_action")
    dark_case.refresh_from_db()
    assert dark_case.reports.get().status == Report.Status.NO_FURTHER_ACTION
    # The reports moved because the case did: no "report status changed by a moderator" line, no reopening.
    assert not dark_case.events.filter(action=CaseEvent.Action.REPORT_STATUS).exists()
    assert dark_case.status == Case.Status.CLOSED and dark_case.reopened_count == 0
    services.case_reopen(case=dark_case, user=city["lighting_member"])
    dark_case.refresh_from_db()
    assert dark_case.reports.get().status == Report.Status.IN_PROGRESS and dark_case.reopened_count == 1
