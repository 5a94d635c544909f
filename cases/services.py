"""Writes on intersectoral work: routing a new report into a case, the tasks' life (assign, start, note, close),
closing and reopening a case in step with its reports, the questionnaire, reminders and escalations.

Every function is one transaction: the rows, the audit trail and the e-mails (through the outbox) commit
together or not at all. Refusals are ValidationErrors keyed by field, in the active language."""

from __future__ import annotations

import contextvars
import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from city import nightslots, outbox, workcalendar
from city.concurrency import retry_on_deadlock
from city.models import Department, DepartmentMembership, Zone
from reports import services as report_services
from reports.models import Report
from reports.validation import clean_text

from . import selectors
from .models import (
    Case,
    CaseEvent,
    CaseReport,
    ClosingReason,
    FixedCheck,
    Priority,
    ResponseTarget,
    RoutingRule,
    Task,
    TaskNote,
)

logger = logging.getLogger(__name__)

FIXED_CHECK_SALT = "cases.fixed-check"
# The report status a case's closing reason gives its reports.
REPORT_STATUS_FOR_REASON = {
    ClosingReason.FIXED: Report.Status.RESOLVED,
    ClosingReason.PARTLY_FIXED: Report.Status.RESOLVED,
    ClosingReason.NOT_OURS: Report.Status.REFERRED,
    ClosingReason.NO_ACTION: Report.Status.NO_FURTHER_ACTION,
    ClosingReason.DUPLICATE: Report.Status.NO_FURTHER_ACTION,
}
# Reports the case moves along with it: not those a moderator hid, rejected or merged away.
IN_STEP_STATUSES = (*Report.OPEN_STATUSES, *[s for s in Report.CLOSED_STATUSES if s != Report.Status.DUPLICATE])


# --- deadlines ------------------------------------------------------------------------------------------------


def response_target(*, category_id: int | None, priority: str) -> tuple[int, int]:
    """(answer days, reminder days) for a category and priority: the category's row, else the row for any
    category, else the settings' defaults."""
    rows = ResponseTarget.objects.filter(Q(category_id=category_id) | Q(category__isnull=True), priority=priority)
    row = sorted(rows, key=lambda r: r.category_id is None)[:1]
    if row:
        return row[0].answer_days, row[0].reminder_days
    return settings.OBSERVATORY_CASE_ANSWER_DAYS, settings.OBSERVATORY_CASE_REMINDER_DAYS


def task_due_date(*, category_id: int | None, priority: str, start: dt.date | None = None) -> tuple[dt.date, int]:
    answer_days, reminder_days = response_target(category_id=category_id, priority=priority)
    return workcalendar.due_date(start or timezone.localdate(), answer_days), reminder_days


# --- routing --------------------------------------------------------------------------------------------------


def route(*, category_id: int | None, zone_id: int | None, default_department_id: str | None = None):
    """The departments (with their priorities) a new report of the category in the zone goes to: every active
    rule whose category and zone match (blank matches any), else the category's default department."""
    rules = (
        RoutingRule.objects.filter(active=True, department__active=True)
        .filter(Q(category_id=category_id) | Q(category__isnull=True))
        .filter(Q(zone_id=zone_id) | Q(zone__isnull=True))
        .select_related("department")
        .order_by("department__name_it")
    )
    found: dict[int, tuple[Department, str]] = {}
    for rule in rules:
        found.setdefault(rule.department_id, (rule.department, rule.priority))
    if not found and default_department_id:
        department = Department.objects.active().filter(code=default_department_id).first()
        if department is not None:
            found[department.pk] = (department, Priority.NORMAL)
    return list(found.values())


def report_route(*, report: Report) -> Case | None:
    """Open a case for a new report with a task for each department routing gives it (none: no case)."""
    targets = route(category_id=report.category_id, zone_id=report.zone_id, default_department_id=report.department_id)
    if not targets:
        return None
    return case_open(
        title=f"{report.category.name_it} · {report.tracking_code}",
        zone=report.zone,
        place=report.location,
        reports=[report],
        departments=targets,
        user=None,
        category_id=report.category_id,
    )


# --- cases and tasks ------------------------------------------------------------------------------------------


def _event(case: Case, action: str, *, user=None, task: Task | None = None, **data) -> CaseEvent:
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    return CaseEvent.objects.create(case=case, task=task, actor=actor, action=action, data=data)


def case_open(
    *,
    title: str,
    departments: list[tuple[Department, str]],
    user=None,
    zone: Zone | None = None,
    place: Point | None = None,
    reports: list[Report] = (),
    alert=None,
    category_id: int | None = None,
    origin: str = "",
) -> Case:
    """A new case with one task per department (due in the working calendar by category and priority); the
    departments' inboxes are told. Refuses a case without departments. ``origin`` "place" marks a case an
    officer opened on a place: its opening event says so, and reports leaving it never close it."""
    title = clean_text(title, model=Case, field="title")
    if not title:
        raise ValidationError({"title": _("Please give the case a title.")})
    if not departments:
        raise ValidationError({"departments": _("Choose at least one department.")})
    with transaction.atomic():
        case = Case.objects.create(
            title=title, zone=zone, place=place, alert=alert, owner=user if _is_user(user) else None
        )
        _event(case, CaseEvent.Action.OPENED, user=user, **({"origin": origin} if origin else {}))
        for report in reports:
            CaseReport.objects.create(case=case, report=report)
        for department, priority in departments:
            _task_add(case, department, priority=priority, user=user, category_id=category_id)
    return case


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _task_add(case: Case, department: Department, *, priority: str, user, category_id: int | None) -> Task:
    due, reminder_days = task_due_date(category_id=category_id, priority=priority)
    task = Task.objects.create(
        case=case, department=department, priority=priority, due_date=due, reminder_days=reminder_days
    )
    _event(case, CaseEvent.Action.TASK_ADDED, user=user, task=task, department=department.code)
    _notify_task(task, "cases/email/task_new", kind="case.task_new")
    return task


@retry_on_deadlock
def report_add_department(*, report: Report, department: Department, user) -> Task:
    """A moderator's assignment: the department gets a task in the report's case (opened if it has none;
    reopened if it was closed). Earlier departments keep their tasks."""
    with transaction.atomic():
        link = CaseReport.objects.select_related("case").filter(report=report).first()
        if link is None:
            case = case_open(
                title=f"{report.category.name_it} · {report.tracking_code}",
                zone=report.zone,
                place=report.location,
                reports=[report],
                departments=[(department, Priority.NORMAL)],
                user=user,
                category_id=report.category_id,
            )
            return case.tasks.get()
        case = Case.objects.select_for_update().get(pk=link.case_id)
        task = case.tasks.filter(department=department).first()
        if task is not None:
            if not task.is_open:
                _case_reopen_locked(case, user=user, departments=[department.pk])
            return task
        if not case.is_open:
            _case_reopen_locked(case, user=user, departments=[])
        return _task_add(case, department, priority=Priority.NORMAL, user=user, category_id=report.category_id)


def _locked_task(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("case", "department").get(pk=task.pk)


@retry_on_deadlock
def task_assign(
    *,
    task: Task,
    user,
    owner_id: int | None,
    priority: str,
    due_date: dt.date,
    seen_owner_id: int | str | None = "unset",
) -> Task:
    """A coordinator gives the task an owner (a member of its department, or nobody), a priority and a due date.

    Two coordinators assigning at once are serialised by the row lock; with ``seen_owner_id`` (the owner the
    coordinator's page showed) the second is refused rather than silently overwriting the first."""
    if not selectors.can_assign_task(user, task):
        raise PermissionDenied
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Please choose a priority.")})
    if not isinstance(due_date, dt.date):
        raise ValidationError({"due_date": _("Please give a due date.")})
    with transaction.atomic():
        task = _locked_task(task)
        if not task.is_open:
            raise ValidationError({"owner": _("This task is closed.")})
        if seen_owner_id != "unset" and seen_owner_id != task.owner_id:
            raise ValidationError(
                {"owner": _("Someone else assigned this task meanwhile; look at the new owner and try again.")}
            )
        owner = None
        if owner_id is not None:
            owner = (
                get_user_model()
                .objects.filter(pk=owner_id, is_active=True, memberships__department=task.department)
                .first()
            )
            if owner is None:
                raise ValidationError({"owner": _("The owner must be a member of the task's department.")})
        if due_date < task.created_at.date():
            raise ValidationError({"due_date": _("The due date cannot be before the task was opened.")})
        if owner != task.owner:
            task.owner = owner
            _event(task.case, CaseEvent.Action.ASSIGNED, user=user, task=task, department=task.department.code,
                   owner=owner.username if owner else "")  # fmt: skip
            if owner is not None:
                _notify_user(task, owner, "cases/email/task_new", kind="case.task_assigned")
        if priority != task.priority:
            task.priority = priority
            _event(task.case, CaseEvent.Action.PRIORITY, user=user, task=task, department=task.department.code,
                   priority=priority)  # fmt: skip
        if due_date != task.due_date:
            task.due_date = workcalendar.next_working_day(due_date)
            task.escalated_at = None
            _event(task.case, CaseEvent.Action.DUE_DATE, user=user, task=task, department=task.department.code,
                   due_date=task.due_date.isoformat())  # fmt: skip
        task.last_activity_at = timezone.now()
        task.save()
    return task


@retry_on_deadlock
def task_start(*, task: Task, user) -> Task:
    """The department starts work: the task and the case's open reports read "in progress"."""
    if not selectors.can_work_on_task(user, task):
        raise PermissionDenied
    with transaction.atomic():
        task = _locked_task(task)
        if task.status != Task.Status.OPEN:
            return task
        task.status = Task.Status.IN_PROGRESS
        task.last_activity_at = timezone.now()
        task.save(update_fields=["status", "last_activity_at"])
        _event(task.case, CaseEvent.Action.STARTED, user=user, task=task, department=task.department.code)
        _reports_in_step(task.case, Report.Status.IN_PROGRESS, user=user, only_from=Report.OPEN_STATUSES)
    return task


@retry_on_deadlock
def task_note_add(*, task: Task, user, text: str) -> TaskNote:
    """An internal note (never public); it counts as activity, so it holds off the reminder."""
    if not selectors.can_work_on_task(user, task):
        raise PermissionDenied
    text = clean_text(text, model=TaskNote, field="text", key="text")
    if not text:
        raise ValidationError({"text": _("Please write the note.")})
    with transaction.atomic():
        task = _locked_task(task)
        note = TaskNote.objects.create(task=task, author=user, text=text)
        task.last_activity_at = timezone.now()
        task.save(update_fields=["last_activity_at"])
        _event(task.case, CaseEvent.Action.NOTE, user=user, task=task, department=task.department.code)
    return note


def _clean_reason(reason: str, referred_to: str) -> str:
    if reason not in ClosingReason.values:
        raise ValidationError({"reason": _("Please choose how it ended.")})
    referred_to = clean_text(referred_to, model=Task, field="referred_to")
    if reason == ClosingReason.NOT_OURS and not referred_to:
        raise ValidationError({"referred_to": _("Say to whom it was referred.")})
    return referred_to


@retry_on_deadlock
def task_close(*, task: Task, user, reason: str, referred_to: str = "", note: str = "") -> Task:
    """Close a department's task with how it ended (and an optional internal note). When it was the case's
    last open task the case closes too, and its reports with it."""
    if not selectors.can_work_on_task(user, task):
        raise PermissionDenied
    referred_to = _clean_reason(reason, referred_to)
    note = clean_text(note, model=TaskNote, field="text", key="note")
    with transaction.atomic():
        # The case first: two departments closing the last two tasks at once must not both see one left.
        case = Case.objects.select_for_update().get(pk=task.case_id)
        task = _locked_task(task)
        if not task.is_open:
            raise ValidationError({"reason": _("This task is already closed.")})
        now = timezone.now()
        task.status = Task.Status.CLOSED
        task.closing_reason = reason
        task.referred_to = referred_to if reason == ClosingReason.NOT_OURS else ""
        task.closed_at = task.last_activity_at = now
        task.save()
        if note:
            TaskNote.objects.create(task=task, author=user, text=note)
        _event(case, CaseEvent.Action.TASK_CLOSED, user=user, task=task, department=task.department.code,
               reason=reason, referred_to=task.referred_to)  # fmt: skip
        if not case.tasks.open().exists():
            _case_close_locked(case, user=user)
    return task


def case_reason(tasks: list[Task]) -> tuple[str, str]:
    """The case's closing reason from its tasks': fixed only if every task fixed it; partly fixed if some
    did; else not ours, duplicate or no action possible when every task says so; no action possible otherwise."""
    reasons = {t.closing_reason for t in tasks}
    referred = ", ".join(t.referred_to for t in tasks if t.referred_to)
    if reasons == {ClosingReason.FIXED}:
        return ClosingReason.FIXED, ""
    if reasons & {ClosingReason.FIXED, ClosingReason.PARTLY_FIXED}:
        return ClosingReason.PARTLY_FIXED, ""
    if len(reasons) == 1:
        reason = reasons.pop()
        return reason, referred if reason == ClosingReason.NOT_OURS else ""
    return ClosingReason.NO_ACTION, ""


def _case_close_locked(case: Case, *, user) -> None:
    reason, referred_to = case_reason(list(case.tasks.all()))
    case.status = Case.Status.CLOSED
    case.closing_reason = reason
    case.referred_to = referred_to
    case.closed_at = timezone.now()
    case.save()
    _event(case, CaseEvent.Action.CLOSED, user=user, reason=reason, referred_to=referred_to)
    case_reports_in_step(case=case, user=user, note=case.public_note)


def _reports_in_step(
    case: Case, status: str, *, user, note: str = "", only_from=IN_STEP_STATUSES, skip: int | None = None
) -> None:
    """Move the case's reports to ``status`` (their citizens and followers are e-mailed by report_set_status)."""
    reports = case.reports.filter(status__in=only_from).exclude(status=status).exclude(pk=skip).order_by("id")
    token = _CASE_MOVES_REPORTS.set(True)  # the reports' own signal must not move the case back
    try:
        for report in reports:
            report_services.report_set_status(report=report, status=status, public_note=note, user=user)
    finally:
        _CASE_MOVES_REPORTS.reset(token)


@retry_on_deadlock
def case_public_note_set(*, case: Case, user, text: str) -> Case:
    """The city's public note on the case: shown on its reports' pages and e-mailed to their citizens."""
    if not selectors.can_write_public_note(user, case):
        raise PermissionDenied
    text = clean_text(text, model=Case, field="public_note", key="public_note")
    if not text:
        raise ValidationError({"public_note": _("Please write the note.")})
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        case.public_note = text
        case.save(update_fields=["public_note"])
        _event(case, CaseEvent.Action.PUBLIC_NOTE, user=user)
        for report in case.reports.filter(status__in=IN_STEP_STATUSES).order_by("id"):
            report_services.report_set_status(report=report, status=report.status, public_note=text, user=user)
    return case


def _case_reopen_locked(
    case: Case, *, user, departments: list[int] | None = None, why: str = "", skip_report: int | None = None
) -> None:
    """Reopen a closed case: the tasks of ``departments`` (all when None) open again with new due dates and
    their departments are told; the reports read "in progress" again."""
    case.status = Case.Status.OPEN
    case.closing_reason = ""
    case.referred_to = ""
    case.closed_at = None
    case.reopened_count += 1
    case.save()
    _event(case, CaseEvent.Action.REOPENED, user=user, why=why)
    tasks = case.tasks.all() if departments is None else case.tasks.filter(department__in=departments)
    _tasks_reopen(case, tasks, why=why)
    if skip_report is None:
        case_reports_in_step(case=case, user=user)
    else:  # a moderator reopened one report: it keeps the status they gave it
        _reports_in_step(case, Report.Status.IN_PROGRESS, user=user, skip=skip_report)


def _tasks_reopen(case: Case, tasks, *, why: str, user=None) -> None:
    """Open ``tasks`` again with new due dates and tell their departments (the case is locked by the caller)."""
    category_id = case.reports.values_list("category_id", flat=True).first()
    for task in tasks.select_related("department"):
        task.status = Task.Status.OPEN
        task.closing_reason = ""
        task.referred_to = ""
        task.closed_at = None
        task.escalated_at = task.reminded_at = None
        task.last_activity_at = timezone.now()
        task.due_date, task.reminder_days = task_due_date(category_id=category_id, priority=task.priority)
        task.save()
        if user is not None:
            _event(case, CaseEvent.Action.TASK_REOPENED, user=user, task=task, department=task.department.code)
        _notify_task(task, "cases/email/task_reopened", kind="case.task_reopened", extra={"why": why})


@retry_on_deadlock
def case_reopen(*, case: Case, user, why: str = "") -> Case:
    if not selectors.can_write_public_note(user, case):
        raise PermissionDenied
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.is_open:
            raise ValidationError({"case": _("This case is open.")})
        _case_reopen_locked(case, user=user, why=why)
    return case


def alert_case_title(alert) -> str:
    """The default title of a case opened from an alert: its zone and time slot, by name, in the active language."""
    slot = dict(nightslots.slot_choices()).get(alert.slot, alert.slot)
    return _("Alert: %(zone)s, %(slot)s") % {"zone": alert.zone.name, "slot": slot}


@retry_on_deadlock
def case_open_from_alert(*, alert, user, title: str = "", department_ids: list[int] | None = None) -> Case:
    """An officer turns an alert into work: a case on the alert's zone with tasks for the departments chosen
    (by default every department covering the zone)."""
    covering = Department.objects.covering_zone(alert.zone_id)
    if department_ids is not None:
        chosen = list(Department.objects.active().filter(pk__in=department_ids))
        if len(chosen) != len(set(department_ids)):
            raise ValidationError({"departments": _("Choose departments from the list.")})
    else:
        chosen = list(covering)
    title = title or alert_case_title(alert)
    return case_open(
        title=title,
        zone=alert.zone,
        alert=alert,
        user=user,
        departments=[(department, Priority.HIGH) for department in chosen],
    )


def place_departments(*, zone_id: int | None, category_id: int | None = None) -> list[Department]:
    """The departments a case opened on a place is routed to, as a report there would be: the routing rules of
    the category (if one is given; else the rules for any category) in the zone, and every department covering
    the zone (its district council among them). By name."""
    found = {department.pk: department for department, _priority in route(category_id=category_id, zone_id=zone_id)}
    for department in Department.objects.covering_zone(zone_id):
        found.setdefault(department.pk, department)
    return sorted(found.values(), key=lambda d: d.name.lower())


def place_case_title(*, zone: Zone | None, slot: str = "", hotspot: bool = False) -> str:
    """The default title of a case opened on a place (a zone, a hot spot of a time slot, a point), by name."""
    slot_label = dict(nightslots.slot_choices()).get(slot, "") if slot else ""
    name = zone.name if zone is not None else _("a place outside the zones")
    if hotspot:
        if slot_label:
            return _("Hot spot: %(zone)s, %(slot)s") % {"zone": name, "slot": slot_label}
        return _("Hot spot: %(zone)s") % {"zone": name}
    return _("Case in %(zone)s") % {"zone": name}


@retry_on_deadlock
def case_open_at_place(
    *,
    user,
    title: str,
    department_ids: list[int],
    zone: Zone | None = None,
    place: Point | None = None,
    priority: str = Priority.NORMAL,
    category_id: int | None = None,
    alert=None,
) -> Case:
    """An officer opens a case on a place: a zone, a point in it (the zone is then the point's), or an alert's
    zone. One task per department chosen (due in the working calendar by category and priority). Refuses a
    point outside the zone given, a place with neither zone nor point, and departments not in the list."""
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Please choose a priority.")})
    if alert is not None:
        zone = alert.zone
    if place is not None:
        place_zone = Zone.objects.zone_for_point(place)
        if zone is None:
            zone = place_zone
        elif place_zone is None or place_zone.pk != zone.pk:
            raise ValidationError({"place": _("The point is outside the zone; move it or choose its zone.")})
    if zone is None and place is None:
        raise ValidationError({"zone": _("Choose the zone (or give a point) of the case.")})
    chosen = list(Department.objects.active().filter(pk__in=department_ids))
    if len(chosen) != len(set(department_ids)):
        raise ValidationError({"departments": _("Choose departments from the list.")})
    return case_open(
        title=title,
        zone=zone,
        place=place,
        alert=alert,
        user=user,
        category_id=category_id,
        departments=[(department, priority) for department in sorted(chosen, key=lambda d: d.pk)],
        origin="place",
    )


# --- a case and its reports, in step ------------------------------------------------------------------------

# Set while a case moves its own reports, so that their status signal does not move the case back.
_CASE_MOVES_REPORTS: contextvars.ContextVar[bool] = contextvars.ContextVar("cases_moving_reports", default=False)
# A report with one of these statuses is no longer the case's work: it leaves the case.
LEAVING_STATUSES = (Report.Status.DUPLICATE, Report.Status.SPAM, Report.Status.HIDDEN)


def _on_a_place(case: Case) -> bool:
    """An officer opened the case on a place (``case_open_at_place``): the work is the place's, not its reports'."""
    return case.events.filter(action=CaseEvent.Action.OPENED, data__origin="place").exists()


def case_reports_in_step(
    *, user, case: Case | None = None, report: Report | None = None, before: str = "", note: str = ""
) -> None:
    """The one rule that keeps a case and its reports consistent, whichever side moved (docs/architecture.md).

    The case moved (``case`` given, no ``report``): an open case's reports read "in progress", a closed case's
    reports take the status its closing reason gives (fixed → resolved, not ours → referred, ...), with the
    public note; reports a moderator hid, rejected or merged away are left alone.

    A moderator moved a report (``report`` given, ``before`` its old status; called through the reports'
    ``report_status_changed`` signal, inside the moderator's transaction):
    - merged as a duplicate, rejected as spam or hidden: the report leaves its case (the trail says so). A
      duplicate whose original has no case hands its place to the original. A case left with no report, no
      alert and not opened by an officer on a place has nothing to act on: its open tasks close (duplicate, or
      no action possible) and so does it;
    - back to an open status (reopened, or restored from spam or hidden): the case's task of the report's
      department (every task, without one) opens again, and a closed case reopens; a restored report outside
      any case is routed like a new one;
    - to another closed status (resolved, referred, ...): the case notes it; its departments still decide.
    """
    if report is None:
        if case.is_open:
            _reports_in_step(case, Report.Status.IN_PROGRESS, user=user)
        else:
            _reports_in_step(case, REPORT_STATUS_FOR_REASON[case.closing_reason], user=user, note=note)
        return
    if _CASE_MOVES_REPORTS.get() or before == report.status:
        return
    after = report.status
    link = CaseReport.objects.filter(report=report).first()
    if link is None:
        restored = before in Report.NOT_PUBLIC_STATUSES and after in Report.OPEN_STATUSES
        if restored and report.duplicate_of_id is None and report.source != Report.Source.IMPORT:
            report_route(report=report)
        return
    case = Case.objects.select_for_update().get(pk=link.case_id)
    code = report.tracking_code
    if after in LEAVING_STATUSES:
        original = report.duplicate_of if after == Report.Status.DUPLICATE else None
        if original is not None and not CaseReport.objects.filter(report=original).exists():
            link.report = original
            link.save(update_fields=["report"])
            _event(case, CaseEvent.Action.REPORT_LEFT, user=user, report=code, status=after,
                   original=original.tracking_code)  # fmt: skip
            _event(case, CaseEvent.Action.REPORT_ADDED, user=user, report=original.tracking_code)
            return
        link.delete()
        _event(case, CaseEvent.Action.REPORT_LEFT, user=user, report=code, status=after,
               original=original.tracking_code if original else "")  # fmt: skip
        if case.is_open and case.alert_id is None and not case.case_reports.exists() and not _on_a_place(case):
            reason = ClosingReason.DUPLICATE if original is not None else ClosingReason.NO_ACTION
            now = timezone.now()
            for task in case.tasks.open().select_related("department"):
                task.status, task.closing_reason, task.referred_to = Task.Status.CLOSED, reason, ""
                task.closed_at = task.last_activity_at = now
                task.save()
                _event(case, CaseEvent.Action.TASK_CLOSED, user=user, task=task, department=task.department.code,
                       reason=reason, referred_to="")  # fmt: skip
            _case_close_locked(case, user=user)
        return
    _event(case, CaseEvent.Action.REPORT_STATUS, user=user, report=code, status=after)
    if after not in Report.OPEN_STATUSES:
        return
    why = _("A moderator reopened report %(code)s.") % {"code": code}
    tasks = case.tasks.filter(department__code=report.department_id) if report.department_id else case.tasks.none()
    if not tasks.exists():
        tasks = case.tasks.all()
    if not case.is_open:
        _case_reopen_locked(case, user=user, departments=list(tasks.values_list("department", flat=True)), why=why,
                            skip_report=report.pk)  # fmt: skip
    else:
        _tasks_reopen(case, tasks.filter(status=Task.Status.CLOSED), why=why, user=user)


# --- the citizens' questionnaire ------------------------------------------------------------------------------


def fixed_check_token(check: FixedCheck) -> str:
    return signing.dumps(check.pk, salt=FIXED_CHECK_SALT)


def fixed_check_from_token(token: str) -> FixedCheck | None:
    """The questionnaire a signed link names; None for a link that was altered or never issued."""
    try:
        pk = signing.loads(token, salt=FIXED_CHECK_SALT)
    except signing.BadSignature:
        return None
    return FixedCheck.objects.select_related("case", "report").filter(pk=pk).first()


def fixed_checks_send(*, now: dt.datetime | None = None) -> int:
    """Ask "is it fixed?" of every citizen (who left an address) of a case closed at least
    ``OBSERVATORY_QUESTIONNAIRE_DAYS`` ago, once per closure. The number of questionnaires sent."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.OBSERVATORY_QUESTIONNAIRE_DAYS)
    sent = 0
    cases = Case.objects.filter(status=Case.Status.CLOSED, closed_at__lte=cutoff)
    for case in cases.iterator():
        for report in Report.objects.filter(case_link__case=case, contact_consent=True).exclude(contact_email=""):
            with transaction.atomic():
                check, created = FixedCheck.objects.get_or_create(case=case, report=report, closure=case.reopened_count)
                if not created:
                    continue
                link = outbox.absolute_url(reverse("cases:fixed-check", args=[fixed_check_token(check)]))
                outbox.queue_rendered(
                    report.contact_email,
                    "cases/email/fixed_check",
                    {"report": report, "link": link},
                    report.language or settings.LANGUAGE_CODE,
                    kind="case.fixed_check",
                    reference=report.tracking_code,
                )
                sent += 1
    return sent


@retry_on_deadlock
def fixed_check_answer(*, check: FixedCheck, answer: str, comment: str = "") -> FixedCheck:
    """Record the citizen's answer (the first one stands). "No" reopens the case and tells its departments."""
    if answer not in FixedCheck.Answer.values:
        raise ValidationError({"answer": _("Please choose one of the answers.")})
    comment = clean_text(comment, model=FixedCheck, field="comment")
    with transaction.atomic():
        check = FixedCheck.objects.select_for_update().get(pk=check.pk)
        if check.answered_at is not None:
            raise ValidationError({"answer": _("You have already answered. Thank you.")})
        check.answer = answer
        check.comment = comment
        check.answered_at = timezone.now()
        check.save()
        case = Case.objects.select_for_update().get(pk=check.case_id)
        _event(case, CaseEvent.Action.ANSWERED, answer=answer)
        if answer == FixedCheck.Answer.NO and not case.is_open:
            _case_reopen_locked(
                case, user=None, why=_("A citizen says it is not fixed.") + (f" {comment}" if comment else "")
            )
    return check


# --- reminders, escalation, digests, alerts ------------------------------------------------------------------


def tasks_remind(*, now: dt.datetime | None = None) -> int:
    """Remind the department (inbox and owner) of every open task without activity for its reminder days,
    once per quiet spell."""
    now = now or timezone.now()
    count = 0
    for task in Task.objects.open().select_related("case", "department", "owner").iterator():
        quiet_since = task.last_activity_at
        if quiet_since > now - dt.timedelta(days=task.reminder_days):
            continue
        if task.reminded_at is not None and task.reminded_at >= quiet_since:
            continue
        with transaction.atomic():
            locked = Task.objects.select_for_update().get(pk=task.pk)
            if locked.reminded_at is not None and locked.reminded_at >= locked.last_activity_at:
                continue
            locked.reminded_at = now
            locked.save(update_fields=["reminded_at"])
            _event(task.case, CaseEvent.Action.REMINDED, task=task, department=task.department.code)
            _notify_task(task, "cases/email/task_reminder", kind="case.task_reminder")
            count += 1
    return count


def tasks_escalate(*, today: dt.date | None = None) -> int:
    """Tell the coordinators of the department (or its inbox, without coordinators) about every task past its
    due date, once per due date."""
    today = today or timezone.localdate()
    count = 0
    for task in Task.objects.overdue(today).filter(escalated_at__isnull=True).select_related("case", "department"):
        with transaction.atomic():
            locked = Task.objects.select_for_update().get(pk=task.pk)
            if locked.escalated_at is not None:
                continue
            locked.escalated_at = timezone.now()
            locked.save(update_fields=["escalated_at"])
            _event(task.case, CaseEvent.Action.ESCALATED, task=task, department=task.department.code)
            coordinators = DepartmentMembership.objects.filter(
                department=task.department, role=DepartmentMembership.Role.COORDINATOR, user__is_active=True
            ).select_related("user")
            sent = False
            for coordinator in coordinators:
                sent |= _notify_user(
                    task, coordinator.user, "cases/email/task_overdue", kind="case.task_overdue",
                    language=coordinator.language,
                ) is not None  # fmt: skip
            if not sent:
                _notify_inbox(task, "cases/email/task_overdue", kind="case.task_overdue")
            count += 1
    return count


def digests_send() -> int:
    """One e-mail to each member who asked for the daily digest: their department's open tasks, late first."""
    count = 0
    for member in DepartmentMembership.objects.filter(daily_digest=True, user__is_active=True).select_related(
        "user", "department"
    ):
        if not member.user.email:
            continue
        tasks = list(selectors.task_queue(user=member.user, department=member.department)[:50])
        if not tasks:
            continue
        with transaction.atomic():
            outbox.queue_rendered(
                member.user.email,
                "cases/email/digest",
                {
                    "department": member.department,
                    "tasks": tasks,
                    "today": timezone.localdate(),
                    "link": outbox.absolute_url(reverse("cases:queue") + f"?department={member.department.code}"),
                },
                member.language,
                kind="case.digest",
                reference=member.department.code,
            )
        count += 1
    return count


def alerts_notify() -> int:
    """Tell the departments covering an alert's zone about each alert not yet told (once per alert)."""
    from indicators.models import Alert

    from .models import AlertNotice

    count = 0
    for alert in Alert.objects.filter(notice__isnull=True, acknowledged_at__isnull=True).select_related("zone"):
        with transaction.atomic():
            _, created = AlertNotice.objects.get_or_create(alert=alert)
            if not created:
                continue
            link = outbox.absolute_url(reverse("dashboard-alerts"))
            with translation.override(settings.LANGUAGE_CODE):
                slot = str(dict(nightslots.slot_choices()).get(alert.slot, alert.slot))
            for department in Department.objects.covering_zone(alert.zone_id):
                outbox.queue_rendered(
                    department.inbox_email,
                    "cases/email/alert",
                    {"alert": alert, "department": department, "link": link, "slot": slot},
                    settings.LANGUAGE_CODE,
                    kind="case.alert",
                    reference=f"alert {alert.pk}",
                )
            count += 1
    return count


# --- e-mails to staff -----------------------------------------------------------------------------------------


def _task_context(task: Task, extra: dict | None = None) -> dict:
    return {
        "task": task,
        "case": task.case,
        "department": task.department,
        "link": outbox.absolute_url(task.case.get_absolute_url()),
        **(extra or {}),
    }


def _notify_inbox(task: Task, template: str, *, kind: str, extra: dict | None = None):
    return outbox.queue_rendered(
        task.department.inbox_email, template, _task_context(task, extra), settings.LANGUAGE_CODE,
        kind=kind, reference=f"case {task.case_id}",
    )  # fmt: skip


def _notify_user(task: Task, user, template: str, *, kind: str, language: str = "", extra: dict | None = None):
    if not user.email:
        return None
    if not language:
        found = DepartmentMembership.objects.filter(user=user, department=task.department).first()
        language = found.language if found else settings.LANGUAGE_CODE
    return outbox.queue_rendered(
        user.email, template, _task_context(task, extra), language, kind=kind, reference=f"case {task.case_id}"
    )


def _notify_task(task: Task, template: str, *, kind: str, extra: dict | None = None) -> None:
    """The department's inbox and the task's owner (if any, and not the inbox itself)."""
    _notify_inbox(task, template, kind=kind, extra=extra)
    if task.owner is not None and task.owner.email and task.owner.email != task.department.inbox_email:
        _notify_user(task, task.owner, template, kind=kind, extra=extra)
