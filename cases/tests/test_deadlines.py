"""Deadlines in the city's working calendar: weekends, Italian national holidays (Easter Monday too) and
Torino's patron saint move a due date to the next working day; overdue tasks are flagged and escalated once."""

import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.models import CaseEvent, Priority, ResponseTarget, Task
from city import workcalendar
from city.models import OutboundEmail
from reports.tests.factories import submit

D = dt.date


def test_easter_monday_is_a_holiday():
    assert workcalendar.easter_sunday(2026) == D(2026, 4, 5)
    assert workcalendar.easter_sunday(2027) == D(2027, 3, 28)
    assert not workcalendar.is_working_day(D(2026, 4, 6))


def test_a_limit_ending_on_a_saturday_moves_to_monday():
    assert workcalendar.due_date(D(2026, 11, 30), 5) == D(2026, 12, 7)  # Saturday 5 December → Monday 7


def test_national_holidays_and_the_patron_saint_are_skipped(settings):
    assert workcalendar.due_date(D(2026, 12, 7), 1) == D(2026, 12, 9)  # 8 Dec, Immacolata
    assert workcalendar.due_date(D(2026, 12, 24), 1) == D(2026, 12, 28)  # 25, 26, 27 closed
    assert workcalendar.due_date(D(2026, 6, 23), 1) == D(2026, 6, 25)  # San Giovanni, Torino
    settings.OBSERVATORY_PATRON_SAINT_DAY = ""
    assert workcalendar.due_date(D(2026, 6, 23), 1) == D(2026, 6, 24)


@pytest.mark.django_db
def test_a_new_task_is_due_in_thirty_days_by_default_in_the_working_calendar(city):
    report = submit(city["dark"])
    task = report.case_link.case.tasks.first()
    assert task.due_date == workcalendar.due_date(timezone.localdate(), 30)
    assert task.reminder_days == 10


@pytest.mark.django_db
def test_a_category_and_priority_may_set_their_own_target(city):
    ResponseTarget.objects.create(category=city["dark"], priority=Priority.HIGH, answer_days=3, reminder_days=1)
    from cases.models import RoutingRule

    RoutingRule.objects.filter(department=city["police"]).update(priority=Priority.HIGH)
    task = submit(city["dark"]).case_link.case.tasks.get(department=city["police"])
    assert task.due_date == workcalendar.due_date(timezone.localdate(), 3) and task.reminder_days == 1


@pytest.mark.django_db
def test_an_overdue_task_is_escalated_to_the_coordinator_once(dark_case, city):
    Task.objects.filter(case=dark_case, department=city["police"]).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    assert services.tasks_escalate() == 1
    assert services.tasks_escalate() == 0
    email = OutboundEmail.objects.get(kind="case.task_overdue")
    assert email.to == "vigile-coord@comune.example" and f"/cases/{dark_case.pk}/" in email.body
    assert dark_case.events.filter(action=CaseEvent.Action.ESCALATED).count() == 1


@pytest.mark.django_db
def test_ten_days_without_activity_send_a_reminder_and_a_note_holds_it_off(dark_case, city):
    later = timezone.now() + dt.timedelta(days=11)
    services.task_note_add(task=dark_case.tasks.get(department=city["lighting"]), user=city["lighting_member"],
                           text="Sopralluogo fatto")  # fmt: skip
    Task.objects.filter(case=dark_case, department=city["police"]).update(
        last_activity_at=timezone.now() - dt.timedelta(days=11)
    )
    assert services.tasks_remind() == 1  # police only: lighting was active today
    assert services.tasks_remind() == 0
    assert OutboundEmail.objects.filter(kind="case.task_reminder", to="polizia@comune.example").count() == 1
    assert services.tasks_remind(now=later) == 1  # lighting's quiet spell has come too


@pytest.mark.django_db
def test_the_overdue_view_shows_the_late_tasks_with_a_badge(client, dark_case, city):
    Task.objects.filter(case=dark_case, department=city["police"]).update(
        due_date=timezone.localdate() - dt.timedelta(days=2)
    )
    client.force_login(city["police_member"])
    page = client.get("/cases/?department=municipal_police&overdue=1")
    assert [t.department.code for t in page.context["tasks"]] == ["municipal_police"]
    assert "overdue-badge" in page.content.decode()
    client.force_login(city["lighting_member"])
    assert list(client.get("/cases/?overdue=1").context["tasks"]) == []


@pytest.mark.django_db
def test_open311_gives_the_due_date_as_expected_datetime(client, dark_case, dark_report):
    body = client.get(f"/open311/v2/requests/{dark_report.tracking_code}.json").json()
    latest = max(task.due_date for task in dark_case.tasks.all())
    assert body[0]["expected_datetime"].startswith(latest.isoformat())


@pytest.mark.django_db
def test_the_daily_digest_goes_to_those_who_asked(dark_case, city):
    from city.models import DepartmentMembership

    DepartmentMembership.objects.filter(user=city["lighting_member"]).update(daily_digest=True, language="en")
    assert services.digests_send() == 1
    email = OutboundEmail.objects.get(kind="case.digest")
    assert email.to == "lux@comune.example" and "open tasks" in email.subject and email.language == "en"
