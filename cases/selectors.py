"""Reads on intersectoral work: the departments' queues, the overdue view, a case's trail in the reader's
language, and the monthly figures (cases by department, citizens' satisfaction) the brief prints."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from city.i18n import english_active
from city.models import Department, DepartmentMembership
from city.roles import OFFICER, has_role
from reports.models import Report

from .models import Case, CaseEvent, ClosingReason, FixedCheck, Priority, Task


def _names(department_ids) -> dict[int, dict]:
    return {
        d.pk: {"department_id": d.pk, "code": d.code, "name": d.name, "kind": d.kind}
        for d in Department.objects.filter(pk__in=department_ids)
    }


def _zone_clause(zone_ids: list[int] | None, column: str) -> tuple[str, list]:
    if zone_ids is None:
        return "", []
    return f" AND {column} = ANY(%s)", [list(zone_ids)]


def case_figures(*, zone_ids: list[int] | None, start: dt.date, end: dt.date) -> list[dict]:
    """Per department with any task in cases of the zones (``None``: the whole city), for the days ``start`` to
    ``end`` (local dates, both included): tasks opened, tasks closed, tasks overdue at the end of the period
    (still open then and past their due date), the median days from opening to closing of the tasks closed,
    and the cases reopened in the period that the department had a task in. Sorted by department name."""
    tz = settings.TIME_ZONE
    zone_sql, zone_params = _zone_clause(zone_ids, "c.zone_id")
    sql = f"""
        WITH t AS (
            SELECT t.department_id, t.case_id,
                   (t.created_at AT TIME ZONE %s)::date AS opened_on,
                   (t.closed_at AT TIME ZONE %s)::date AS closed_on,
                   t.due_date, t.created_at, t.closed_at
            FROM cases_task t JOIN cases_case c ON c.id = t.case_id
            WHERE TRUE {zone_sql}
        ), reopened AS (
            SELECT DISTINCT t.department_id, e.case_id, e.id
            FROM cases_caseevent e JOIN t ON t.case_id = e.case_id
            WHERE e.action = 'reopened' AND (e.created_at AT TIME ZONE %s)::date BETWEEN %s AND %s
        )
        SELECT d.department_id,
               count(*) FILTER (WHERE opened_on BETWEEN %s AND %s),
               count(*) FILTER (WHERE closed_on BETWEEN %s AND %s),
               count(*) FILTER (WHERE opened_on <= %s AND due_date < %s AND (closed_on IS NULL OR closed_on > %s)),
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM closed_at - created_at) / 86400.0
               ) FILTER (WHERE closed_on BETWEEN %s AND %s),
               (SELECT count(*) FROM reopened r WHERE r.department_id = d.department_id)
        FROM t d
        GROUP BY d.department_id
    """
    params = [tz, tz, *zone_params, tz, start, end, start, end, start, end, end, end, end, start, end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = _names([row[0] for row in rows])
    figures = [
        {
            **names[department_id],
            "opened": opened,
            "closed": closed,
            "overdue": overdue,
            "median_days_to_close": round(median, 1) if median is not None else None,
            "reopened": reopened,
        }
        for department_id, opened, closed, overdue, median, reopened in rows
    ]
    return sorted(figures, key=lambda row: row["name"].lower())


def satisfaction(*, zone_ids: list[int] | None, start: dt.date, end: dt.date) -> list[dict]:
    """Per department, the citizens' answers to "is it fixed?" given from ``start`` to ``end`` (local dates,
    both included) about cases the department had a task in: yes, partly, no, and the share answering yes
    (``None`` without answers; ``answers`` says on how many it rests)."""
    tz = settings.TIME_ZONE
    zone_sql, zone_params = _zone_clause(zone_ids, "c.zone_id")
    sql = f"""
        SELECT t.department_id,
               count(*) FILTER (WHERE f.answer = 'yes'),
               count(*) FILTER (WHERE f.answer = 'partly'),
               count(*) FILTER (WHERE f.answer = 'no')
        FROM cases_fixedcheck f
        JOIN cases_case c ON c.id = f.case_id
        JOIN cases_task t ON t.case_id = c.id
        WHERE f.answered_at IS NOT NULL AND f.answer <> ''
          AND (f.answered_at AT TIME ZONE %s)::date BETWEEN %s AND %s {zone_sql}
        GROUP BY t.department_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [tz, start, end, *zone_params])
        rows = cursor.fetchall()
    names = _names([row[0] for row in rows])
    figures = []
    for department_id, yes, partly, no in rows:
        answers = yes + partly + no
        figures.append(
            {
                **names[department_id],
                "yes": yes,
                "partly": partly,
                "no": no,
                "answers": answers,
                "share_fixed": yes / answers if answers else None,
            }
        )
    return sorted(figures, key=lambda row: row["name"].lower())


# --- who sees what -------------------------------------------------------------------------------------------


def memberships_of(user) -> list[DepartmentMembership]:
    if not user.is_authenticated:
        return []
    return list(user.memberships.select_related("department").order_by("department__name_it"))


def is_case_staff(user) -> bool:
    """Whether the cases pages are for ``user`` at all: officers, superusers and department people."""
    return has_role(user, OFFICER) or bool(user.is_authenticated and user.is_active and user.memberships.exists())


def can_see_case(user, case: Case) -> bool:
    return Case.objects.visible_to(user).filter(pk=case.pk).exists()


def membership(user, department_id: int) -> DepartmentMembership | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return DepartmentMembership.objects.filter(user=user, department_id=department_id).first()


def can_work_on_task(user, task: Task) -> bool:
    """Members and coordinators of the task's department (and superusers) add notes, start and close it."""
    return bool(user.is_authenticated and (user.is_superuser or membership(user, task.department_id)))


def can_assign_task(user, task: Task) -> bool:
    """Only a coordinator of the task's department (or a superuser) chooses its owner, priority and due date."""
    if user.is_authenticated and user.is_superuser:
        return True
    found = membership(user, task.department_id)
    return bool(found and found.is_coordinator)


def can_write_public_note(user, case: Case) -> bool:
    """Whoever works on one of the case's tasks, and officers, may write the public note."""
    if has_role(user, OFFICER):
        return True
    return bool(
        user.is_authenticated and user.memberships.filter(department__tasks__case=case).exists()  # type: ignore[attr-defined]
    )


# --- queues ---------------------------------------------------------------------------------------------------


def task_queue(*, user, department: Department | None = None, mine: bool = False, overdue: bool = False) -> QuerySet:
    """The open tasks a department person works on: their departments' (or one of them), or only those
    assigned to them; with ``overdue`` only those past their due date. Oldest due date first."""
    # The queue shows the zone's name, never its boundary: a city's multipolygons (and the case's point) would
    # be read, sent and turned into GEOS objects for up to 200 rows, and DISTINCT would compare them.
    tasks = (
        Task.objects.open()
        .select_related("case", "case__zone", "department", "owner")
        .defer("case__zone__geom", "case__place")
    )
    if department is not None:
        tasks = tasks.filter(department=department)
    elif not has_role(user, OFFICER):
        tasks = tasks.filter(department__memberships__user=user)
    if mine:
        tasks = tasks.filter(owner=user)
    if overdue:
        tasks = tasks.overdue()
    return tasks.order_by("due_date", "id").distinct()


def zone_cases(*, department: Department) -> QuerySet:
    """The open cases in a district council's zones (what the council follows, whether it has a task or not)."""
    return (
        Case.objects.open()
        .filter(zone__departments=department)
        .select_related("zone")
        .prefetch_related(Prefetch("tasks", queryset=Task.objects.select_related("department")))
        .distinct()
        .order_by("-created_at")
    )


def case_detail(case_id: int) -> Case:
    return (
        Case.objects.select_related("zone", "alert", "owner")
        .prefetch_related(
            Prefetch("tasks", queryset=Task.objects.select_related("department", "owner").prefetch_related("notes")),
            "reports",
        )
        .get(pk=case_id)
    )


def follow_up_date(case: Case) -> dt.date | None:
    """The next date someone must act by: the earliest due date of the case's open tasks."""
    dates = [task.due_date for task in case.tasks.all() if task.is_open]
    return min(dates) if dates else None


def cases_of_alerts(alert_ids: list[int]) -> dict[int, Case]:
    """The latest case opened from each alert, with its tasks, for the alerts page (one query per relation)."""
    if not alert_ids:
        return {}
    cases = (
        Case.objects.filter(alert_id__in=alert_ids)
        .select_related("owner")
        .prefetch_related(Prefetch("tasks", queryset=Task.objects.select_related("department")))
        .order_by("alert_id", "-created_at")
    )
    found: dict[int, Case] = {}
    for case in cases:
        found.setdefault(case.alert_id, case)
    return found


# --- the audit trail, in the reader's language --------------------------------------------------------------------


def _label(choices, value: str) -> str:
    return str(dict(choices.choices).get(value, value)) if value else ""


def describe_event(event: CaseEvent, departments: dict[str, str]) -> str:
    """One sentence for an event of the trail, in the active language: departments, statuses and reasons by
    name, never by code."""
    data = event.data or {}
    department = departments.get(data.get("department", ""), data.get("department", ""))
    action = event.get_action_display()
    if event.action in (CaseEvent.Action.TASK_ADDED, CaseEvent.Action.STARTED, CaseEvent.Action.REMINDED):
        return f"{action}: {department}"
    if event.action == CaseEvent.Action.ASSIGNED:
        return _("%(action)s: %(department)s → %(owner)s") % {
            "action": action,
            "department": department,
            "owner": data.get("owner") or _("nobody"),
        }
    if event.action == CaseEvent.Action.PRIORITY:
        return f"{action}: {department}, {_label(Priority, data.get('priority', ''))}"
    if event.action == CaseEvent.Action.DUE_DATE:
        return f"{action}: {department}, {data.get('due_date', '')}"
    if event.action in (CaseEvent.Action.TASK_CLOSED, CaseEvent.Action.CLOSED):
        text = f"{action}: {department + ', ' if department else ''}{_label(ClosingReason, data.get('reason', ''))}"
        if data.get("referred_to"):
            text += " → " + data["referred_to"]
        return text
    if event.action == CaseEvent.Action.ESCALATED:
        return f"{action}: {department}"
    if event.action == CaseEvent.Action.ANSWERED:
        return f"{action}: {_label(FixedCheck.Answer, data.get('answer', ''))}"
    if event.action == CaseEvent.Action.REPORT_ADDED:
        return f"{action}: {data.get('report', '')}"
    if event.action in (CaseEvent.Action.REPORT_LEFT, CaseEvent.Action.REPORT_STATUS):
        text = f"{action}: {data.get('report', '')}, {_label(Report.Status, data.get('status', ''))}"
        if data.get("original"):
            text += " → " + data["original"]
        return text
    if event.action == CaseEvent.Action.TASK_REOPENED:
        return f"{action}: {department}"
    if event.action == CaseEvent.Action.NOTE and department:
        return f"{action}: {department}"
    return action


def case_trail(case: Case) -> list[dict]:
    """The case's audit trail, oldest first: when, who, and what in the reader's language."""
    events = list(case.events.select_related("actor").order_by("created_at", "id"))
    codes = {e.data.get("department") for e in events if isinstance(e.data, dict) and e.data.get("department")}
    departments = {d.code: d.name for d in Department.objects.filter(code__in=codes)}
    return [
        {"at": e.created_at, "who": e.actor.username if e.actor else "", "what": describe_event(e, departments)}
        for e in events
    ]


def department_names() -> dict[str, str]:
    return {d.code: d.name for d in Department.objects.all()}


def overdue_counts(department_ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    rows = (
        Task.objects.overdue()
        .filter(department__in=department_ids)
        .values("department")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["department"]: row["n"] for row in rows}


def with_expected_due(reports: QuerySet) -> QuerySet:
    """Annotate ``expected_due`` on reports: the latest due date among the open tasks of the report's open case
    (None without one), in one subquery for the whole list."""
    due = (
        Task.objects.open()
        .filter(case__case_reports__report=OuterRef("pk"), case__status=Case.Status.OPEN)
        .order_by("-due_date")
        .values("due_date")[:1]
    )
    return reports.annotate(expected_due=Subquery(due))


def due_datetime(due: dt.date | None) -> dt.datetime | None:
    """The end of a due date in the city's time zone (what Open311's ``expected_datetime`` gives)."""
    if due is None:
        return None
    return timezone.make_aware(dt.datetime.combine(due, dt.time(23, 59, 59)))


def reply_templates(*, category_id: int | None, status: str = "") -> list:
    from .models import ReplyTemplate

    templates = ReplyTemplate.objects.filter(Q(category_id=category_id) | Q(category__isnull=True))
    if status:
        templates = templates.filter(Q(status=status) | Q(status=""))
    return list(templates.order_by("category", "title_it"))


def language_suffix() -> str:
    return "en" if english_active() else "it"
