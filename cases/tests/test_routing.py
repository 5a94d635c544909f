"""Routing: a new report goes, in the same transaction, to a case with one task per department its category
and zone call for; a moderator's assignment adds a department instead of replacing one."""

import pytest

from cases.models import Case, CaseEvent, RoutingRule, Task
from reports.models import Report
from reports.services import report_assign
from reports.tests.factories import submit

pytestmark = pytest.mark.django_db


def test_a_dark_underpass_opens_a_case_with_tasks_for_lighting_and_police(dark_report, city):
    case = Case.objects.get(case_reports__report=dark_report)
    assert sorted(case.tasks.values_list("department__code", flat=True)) == ["lighting", "municipal_police"]
    assert case.zone == city["west"] and case.is_open
    assert all(task.due_date > task.created_at.date() for task in case.tasks.all())


def test_a_rule_for_one_zone_only_routes_reports_in_that_zone(city):
    RoutingRule.objects.create(category=city["dark"], zone=city["east"], department=city["partner"])
    west = submit(city["dark"], lon=7.675, lat=45.065)
    east = submit(city["dark"], lon=7.685, lat=45.065)
    assert "partner" not in west.case_link.case.tasks.values_list("department__code", flat=True)
    assert "partner" in east.case_link.case.tasks.values_list("department__code", flat=True)


def test_without_a_rule_the_category_default_department_gets_the_task(city, category):
    category.default_department = city["police"]
    category.save()
    report = submit(category)
    assert list(report.case_link.case.tasks.values_list("department__code", flat=True)) == ["municipal_police"]


def test_a_category_without_rules_or_default_opens_no_case(city, category):
    category.default_department = None
    category.save()
    report = submit(category)
    assert not Case.objects.filter(case_reports__report=report).exists()


def test_assigning_a_second_department_keeps_the_first(city, category, moderator):
    category.default_department = city["police"]
    category.save()
    report = submit(category)
    report_assign(report=report, department="lighting", user=moderator)
    tasks = Task.objects.filter(case__case_reports__report=report)
    assert sorted(tasks.values_list("department__code", flat=True)) == ["lighting", "municipal_police"]
    assert CaseEvent.objects.filter(case=tasks[0].case, action=CaseEvent.Action.TASK_ADDED).count() == 2


def test_the_history_names_the_department_in_the_readers_language(client, city, category, moderator):
    report = submit(category)
    report_assign(report=report, department="municipal_police", user=moderator)
    client.force_login(moderator)
    page = client.get(f"/reports/moderation/{report.tracking_code}/").content.decode()
    assert "Assegnata (Polizia municipale)" in page
    assert "(municipal_police)" not in page
    client.cookies["django_language"] = "en"
    assert "Assigned (Municipal police)" in client.get(f"/reports/moderation/{report.tracking_code}/").content.decode()


def test_a_spam_or_hidden_report_is_not_routed(city):
    from reports.models import BlockedSender

    BlockedSender.objects.create(kind=BlockedSender.Kind.EMAIL, value="troll@example.org")
    report = submit(city["dark"], contact_email="troll@example.org", contact_consent=True)
    assert report.status == Report.Status.HIDDEN
    assert not Case.objects.filter(case_reports__report=report).exists()
