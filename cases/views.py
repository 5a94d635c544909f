"""The cases pages: a department's queue (and "assigned to me", and what is late), a case with its tasks and
trail, turning an alert into a case, and the citizens' "is it fixed?" page. Thin: forms parse, services write."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from city import nightslots
from city.models import Department, Zone
from city.roles import OFFICER, has_role, role_required
from indicators.models import Alert
from reports.models import Category

from . import selectors, services
from .forms import CasePlaceForm, FixedCheckForm, PublicNoteForm, TaskAssignForm, TaskCloseForm, TaskNoteForm
from .models import Case, FixedCheck, Priority, Task

# The window of the citizens' "is it fixed?" answers the queue shows per department.
SATISFACTION_DAYS = 90


def _staff_only(request: HttpRequest) -> None:
    if not selectors.is_case_staff(request.user):
        raise PermissionDenied


@require_safe
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The open tasks of the user's departments (or one of them), "assigned to me", or only the late ones."""
    _staff_only(request)
    memberships = selectors.memberships_of(request.user)
    officer = has_role(request.user, OFFICER)
    choosable = list(Department.objects.active()) if officer else [m.department for m in memberships]
    department = None
    code = request.GET.get("department", "")
    if code:
        department = next((d for d in choosable if d.code == code), None)
        if department is None:
            raise Http404
    mine = request.GET.get("mine") == "1"
    overdue = request.GET.get("overdue") == "1"
    tasks = list(selectors.task_queue(user=request.user, department=department, mine=mine, overdue=overdue)[:200])
    councils = [m.department for m in memberships if m.department.kind == Department.Kind.DISTRICT_COUNCIL]
    today = timezone.localdate()
    codes = {d.code for d in choosable}
    satisfaction = [
        row
        for row in selectors.satisfaction(zone_ids=None, start=today - dt.timedelta(days=SATISFACTION_DAYS), end=today)
        if row["code"] in codes
    ]
    ctx = {
        "tasks": tasks,
        "departments": choosable,
        "department": department,
        "mine": mine,
        "overdue": overdue,
        "overdue_counts": selectors.overdue_counts([d.pk for d in choosable]),
        "satisfaction": satisfaction,
        "satisfaction_days": SATISFACTION_DAYS,
        "council_cases": [
            (council, list(selectors.zone_cases(department=council)[:100]))
            for council in councils
            if department is None or department == council
        ],
    }
    return render(request, "cases/queue.html", ctx)


def _case_or_404(request: HttpRequest, case_id: int) -> Case:
    _staff_only(request)
    try:
        case = selectors.case_detail(case_id)
    except Case.DoesNotExist:
        raise Http404 from None
    if not selectors.can_see_case(request.user, case):
        raise PermissionDenied
    return case


def _detail_page(request: HttpRequest, case: Case, *, status: int = 200, forms: dict | None = None) -> HttpResponse:
    user = request.user
    User = get_user_model()
    tasks = []
    for task in case.tasks.all():
        can_assign = selectors.can_assign_task(user, task)
        members = User.objects.filter(memberships__department=task.department, is_active=True).order_by("username")
        given = (forms or {}).get(task.pk, {})
        tasks.append(
            {
                "task": task,
                "can_work": selectors.can_work_on_task(user, task),
                "can_assign": can_assign,
                "assign_form": given.get("assign")
                or TaskAssignForm(
                    members=members if can_assign else (),
                    initial={
                        "owner": task.owner_id,
                        "priority": task.priority,
                        "due_date": task.due_date,
                        "seen_owner": task.owner_id or "",
                    },
                    prefix=f"t{task.pk}",
                ),
                "note_form": given.get("note") or TaskNoteForm(prefix=f"t{task.pk}"),
                "close_form": given.get("close") or TaskCloseForm(prefix=f"t{task.pk}"),
            }
        )
    first_report = next(iter(case.reports.all()), None)
    ctx = {
        "case": case,
        "tasks": tasks,
        "trail": selectors.case_trail(case),
        "follow_up": selectors.follow_up_date(case),
        "can_public_note": selectors.can_write_public_note(user, case),
        "public_note_form": (forms or {}).get("public_note")
        or PublicNoteForm(initial={"public_note": case.public_note}),
        "reply_templates": selectors.reply_templates(
            category_id=first_report.category_id if first_report else None,
            status=first_report.status if first_report else "",
        ),
        "is_moderator": has_role(user, "moderator"),
        "alert_slot_label": dict(nightslots.slot_choices()).get(case.alert.slot, case.alert.slot) if case.alert else "",
    }
    return render(request, "cases/case_detail.html", ctx, status=status)


@require_safe
@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _detail_page(request, _case_or_404(request, case_id))


def _refused(request: HttpRequest, case: Case, error: ValidationError, *, forms: dict | None = None) -> HttpResponse:
    for field_messages in error.message_dict.values():
        for message in field_messages:
            messages.error(request, message)
    return _detail_page(request, selectors.case_detail(case.pk), status=400, forms=forms)


def _form_refused(request: HttpRequest, case: Case, form, *, forms: dict) -> HttpResponse:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
    return _detail_page(request, case, status=400, forms=forms)


TASK_ACTIONS = ("assign", "start", "note", "close")


@require_POST
@login_required
def task_action(request: HttpRequest, case_id: int, task_id: int, action: str) -> HttpResponse:
    if action not in TASK_ACTIONS:
        raise Http404
    case = _case_or_404(request, case_id)
    task = get_object_or_404(Task, pk=task_id, case=case)
    prefix = f"t{task.pk}"
    allowed = selectors.can_assign_task if action == "assign" else selectors.can_work_on_task
    if not allowed(request.user, task):
        raise PermissionDenied
    try:
        if action == "assign":
            members = get_user_model().objects.filter(memberships__department=task.department, is_active=True)
            form = TaskAssignForm(request.POST, members=members, prefix=prefix)
            if not form.is_valid():
                return _form_refused(request, case, form, forms={task.pk: {"assign": form}})
            services.task_assign(
                task=task,
                user=request.user,
                owner_id=form.cleaned_data["owner"],
                priority=form.cleaned_data["priority"],
                due_date=form.cleaned_data["due_date"],
                seen_owner_id=form.seen_owner_id(),
            )
            messages.success(request, _("Task assigned."))
        elif action == "start":
            services.task_start(task=task, user=request.user)
            messages.success(request, _("Work started."))
        elif action == "note":
            form = TaskNoteForm(request.POST, prefix=prefix)
            if not form.is_valid():
                return _form_refused(request, case, form, forms={task.pk: {"note": form}})
            services.task_note_add(task=task, user=request.user, text=form.cleaned_data["text"])
            messages.success(request, _("Note added."))
        elif action == "close":
            form = TaskCloseForm(request.POST, prefix=prefix)
            if not form.is_valid():
                return _form_refused(request, case, form, forms={task.pk: {"close": form}})
            services.task_close(task=task, user=request.user, **form.cleaned_data)
            messages.success(request, _("Task closed."))
    except ValidationError as error:
        return _refused(request, case, error)
    return redirect(case.get_absolute_url())


@require_POST
@login_required
def case_public_note(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if not selectors.can_write_public_note(request.user, case):
        raise PermissionDenied
    form = PublicNoteForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, case, form, forms={"public_note": form})
    try:
        services.case_public_note_set(case=case, user=request.user, text=form.cleaned_data["public_note"])
    except ValidationError as error:
        return _refused(request, case, error)
    messages.success(request, _("Public note saved; the citizens following it are told."))
    return redirect(case.get_absolute_url())


@require_POST
@login_required
def case_reopen(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if not selectors.can_write_public_note(request.user, case):
        raise PermissionDenied
    try:
        services.case_reopen(case=case, user=request.user)
    except ValidationError as error:
        return _refused(request, case, error)
    messages.success(request, _("Case reopened."))
    return redirect(case.get_absolute_url())


def _place_point(query) -> Point | None:
    """The point a link names (``lat`` and ``lon``), or None when it names none or a malformed one."""
    try:
        lat, lon = float(query.get("lat", "")), float(query.get("lon", ""))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Point(lon, lat, srid=4326)


def _place_case_page(request: HttpRequest, *, alert: Alert | None = None) -> HttpResponse:
    """The case form on a place, for the zone page, a hot spot, an alert or a point: pre-filled with the zone
    (and point), a title and the departments routing gives the place; POST opens the case."""
    departments = list(Department.objects.active())
    zones = list(Zone.objects.order_by("name", "code").values_list("code", "name"))
    categories = list(Category.objects.filter(active=True))
    kwargs = {"departments": departments, "zones": zones, "categories": categories}
    if request.method == "POST":
        form = CasePlaceForm(request.POST, **kwargs)
        if form.is_valid():
            data = form.cleaned_data
            zone = None
            if alert is None and data["zone"]:
                zone = Zone.objects.defer("geom").get(code=data["zone"])
            try:
                case = services.case_open_at_place(
                    user=request.user,
                    title=data["title"],
                    department_ids=data["departments"],
                    zone=zone,
                    place=form.point(),
                    priority=data["priority"] or (Priority.HIGH if alert else Priority.NORMAL),
                    category_id=data["category"],
                    alert=alert,
                )
            except ValidationError as error:
                for field_messages in error.message_dict.values():
                    for message in field_messages:
                        form.add_error(None, message)
            else:
                messages.success(request, _("Case opened from the alert.") if alert else _("Case opened."))
                return redirect(case.get_absolute_url())
        status = 400
        zone = alert.zone if alert else Zone.objects.defer("geom").filter(code=request.POST.get("zone", "")).first()
    else:
        point = _place_point(request.GET)
        if alert is not None:
            zone = alert.zone
        elif request.GET.get("zone"):
            zone = Zone.objects.defer("geom").with_codes([request.GET["zone"]]).first()
            if zone is None:
                raise Http404
        else:
            zone = Zone.objects.zone_for_point(point) if point is not None else None
        slot = request.GET.get("slot", "")
        category_id = request.GET.get("category", "")
        category_id = int(category_id) if category_id.isdigit() else None
        if alert is not None:
            title, priority = services.alert_case_title(alert), Priority.HIGH
        else:
            title = services.place_case_title(zone=zone, slot=slot, hotspot=request.GET.get("from") == "hotspot")
            priority = Priority.NORMAL
        routed = services.place_departments(zone_id=zone.pk if zone else None, category_id=category_id)
        form = CasePlaceForm(
            initial={
                "title": title,
                "zone": zone.code if zone else "",
                "lat": round(point.y, 6) if point else None,
                "lon": round(point.x, 6) if point else None,
                "category": category_id,
                "priority": priority,
                "departments": [d.pk for d in routed],
            },
            **kwargs,
        )
        status = 200
    if alert is not None:
        existing = list(alert.cases.all())
    else:
        existing = list(Case.objects.open().filter(zone=zone)[:10]) if zone else []
    ctx = {
        "alert": alert,
        "zone": zone,
        "slot_label": dict(nightslots.slot_choices()).get(alert.slot, alert.slot) if alert else "",
        "form": form,
        "existing": existing,
    }
    return render(request, "cases/case_new.html", ctx, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(OFFICER)
def case_new(request: HttpRequest) -> HttpResponse:
    """An officer opens a case on a place: ``?zone=CODE`` (the zone page, a hot spot with ``from=hotspot`` and
    ``slot``), ``?lat=&lon=`` (a point; its zone is found)."""
    return _place_case_page(request)


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(OFFICER)
def case_from_alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    """An officer opens a case from an alert, with tasks pre-filled from the departments covering its zone."""
    alert = get_object_or_404(Alert.objects.select_related("zone"), pk=alert_id)
    return _place_case_page(request, alert=alert)


@require_http_methods(["GET", "HEAD", "POST"])
def fixed_check(request: HttpRequest, token: str) -> HttpResponse:
    """The citizen's "is it fixed?" page, reached by the signed link in their e-mail (no login)."""
    check = services.fixed_check_from_token(token)
    if check is None:
        raise Http404
    status = 200
    if request.method == "POST" and check.answered_at is None:
        form = FixedCheckForm(request.POST)
        if form.is_valid():
            try:
                check = services.fixed_check_answer(check=check, **form.cleaned_data)
            except ValidationError as error:
                for field_messages in error.message_dict.values():
                    for message in field_messages:
                        form.add_error(None, message)
                status = 400
        else:
            status = 400
    else:
        form = FixedCheckForm()
    ctx = {"check": check, "report": check.report, "form": form, "answers": FixedCheck.Answer}
    return render(request, "cases/fixed_check.html", ctx, status=status)
