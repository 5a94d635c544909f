"""Citizen pages (report form, tracking page, abuse flag, safety audit, public map) and the moderation queue."""

from __future__ import annotations

import datetime as dt
import math
import mimetypes
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST, require_safe

from city.i18n import sql_in_language
from city.protected_media import protected_file_response
from city.roles import MODERATOR, has_role, role_required

from . import places, selectors, services
from . import public_map as public_map_module
from .forms import (
    FORM_FIELD_FOR,
    AbuseForm,
    AssignForm,
    AuditForm,
    BulkActionForm,
    MergeForm,
    NearbyForm,
    PointQueryForm,
    PublishForm,
    QueueFilterForm,
    ReportForm,
    StatusForm,
    StreetQueryForm,
    TrackingLookupForm,
)
from .models import Category, PerceivedSafety, Report, StatusChange, normalise_tracking_code
from .privacy import snapped_sql
from .ratelimit import client_ip, rate_limit_refund, rate_limit_take
from .selectors import QueueFilters

PUBLIC_HISTORY_ACTIONS = (
    StatusChange.Action.SUBMIT,
    StatusChange.Action.PUBLISH,
    StatusChange.Action.STATUS,
    StatusChange.Action.MERGE,
    StatusChange.Action.JOIN,
)


def _report_or_404(queryset, code: str) -> Report:
    if "\x00" in code:  # PostgreSQL refuses NUL in text; a code never has one
        raise Http404
    return get_object_or_404(queryset, tracking_code=normalise_tracking_code(code))


@require_safe
def report_lookup(request: HttpRequest) -> HttpResponse:
    """The way back to a report: type its tracking code (case, spaces and separators forgiven) and land on its
    page. An unknown code comes back on the same page with a 404 that says what to check."""
    form = TrackingLookupForm(request.GET or None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            report = Report.objects.filter(tracking_code=form.cleaned_data["code"]).first()
            if report is not None:
                return redirect(report)
            form.add_error("code", form.not_found_message())
            status = 404
        else:
            status = 400
    return render(request, "reports/report_lookup.html", {"lookup_form": form}, status=status)


def _map_ctx() -> dict:
    return {
        "centre": settings.OBSERVATORY_CITY_CENTRE,
        "tiles_url": settings.OBSERVATORY_MAP_TILES_URL,
        "tiles_attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
    }


def _render_form(request: HttpRequest, template: str, ctx: dict, form, wait_seconds: int = 0) -> HttpResponse:
    """A citizen's form as it came back: 400 with its errors, or 429 when it was fine but over the submission
    limit, then with everything typed kept, a message saying when to send it, and a Retry-After header."""
    if wait_seconds:
        ctx = {**ctx, "rate_limited": _rate_limited_message(wait_seconds, photo=bool(request.FILES))}
        response = render(request, template, ctx, status=429)
        response["Retry-After"] = str(wait_seconds)
        return response
    return render(request, template, ctx, status=400 if form.errors else 200)


def _rate_limited_message(wait_seconds: int, *, photo: bool) -> str:
    at = timezone.localtime(timezone.now() + dt.timedelta(seconds=wait_seconds))
    minutes = max(1, math.ceil(wait_seconds / 60))
    message = ngettext(
        "Many submissions came from your connection in a short time, so this one is not sent yet. What you "
        "typed is kept below: you can send it from %(time)s, in about %(minutes)s minute.",
        "Many submissions came from your connection in a short time, so this one is not sent yet. What you "
        "typed is kept below: you can send it from %(time)s, in about %(minutes)s minutes.",
        minutes,
    ) % {"time": date_format(at, "TIME_FORMAT"), "minutes": minutes}
    if photo:
        message += " " + _("Browsers do not keep a chosen photo: please choose it again before sending.")
    return message


def _apply_errors(form, error: ValidationError, category: Category | None = None) -> None:
    for field, field_messages in error.message_dict.items():
        if field.startswith("attribute[") and field.endswith("]") and category is not None:
            target = form.question_field_name(category, field[len("attribute[") : -1])
        else:
            target = FORM_FIELD_FOR.get(field, field)
        if target is not None and target not in form.fields:
            target = None
        for message in field_messages:
            form.add_error(target, message)


def report_new(request: HttpRequest) -> HttpResponse:
    """The citizen's form. Before a report is saved the citizen sees the published open reports of the same kind
    nearby and may add their experience to one of them instead: the script lists them as the pin moves; without
    JavaScript the first post with coordinates comes back once with the list (the "possible duplicates" step).
    Of unpublished reports the page says only that there may be some (services.reports_nearby_public)."""
    nearby: services.PublicNearby | None = None
    duplicates_step = False
    wait_seconds = 0
    if request.method == "POST":
        ip = client_ip(request)
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            category, location = data["category"], form.location()
            original = None
            if form.join_code():
                # Only a published report can be joined; any other code gets the same answer as an unknown one.
                original = Report.objects.public().filter(tracking_code=form.join_code()).first()
                if original is None:
                    form.add_error("join", services.join_refused_message())
            elif data["offer_duplicates"] and not form.join_offered() and location is not None:
                nearby = services.reports_nearby_public(category=category, location=location)
                duplicates_step = bool(nearby.reports)
            # Only a report really sent counts against the limit: not a form with errors, not the duplicates step.
            if not form.errors and not duplicates_step:
                wait_seconds = rate_limit_take(ip)
            if not form.errors and not duplicates_step and not wait_seconds:
                try:
                    report = services.report_submit(
                        category=category,
                        location=location,
                        zone=data["zone"],
                        address=data["address"],
                        perceived_safety=data["perceived_safety"],
                        occurred_at=data["occurred_at"],
                        description=data["description"],
                        photo=data["photo"],
                        attributes=form.attribute_answers(category),
                        contact_email=data["contact_email"],
                        contact_consent=data["contact_consent"],
                        submitter_ip=ip,
                        duplicate_of=original,
                    )
                except ValidationError as error:
                    rate_limit_refund(ip)
                    _apply_errors(form, error, category)
                else:
                    return redirect(report.get_absolute_url() + "?new=1")
        category, location = form.cleaned_data.get("category"), form.location()
        if nearby is None and category is not None and location is not None:
            # Whenever the form comes back, the possible duplicates of its place and category come with it.
            nearby = services.reports_nearby_public(category=category, location=location)
    else:
        form = ReportForm(initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)})
    nearby_items = [_nearby_item(other) for other in nearby.reports] if nearby else []
    chosen = (form["join"].value() or "").strip().upper() if form.is_bound else ""
    ctx = {
        "form": form,
        "moments": places.recent_moments(),
        "nearby": nearby_items,
        "unpublished_nearby": bool(nearby and nearby.unpublished),
        "duplicates_step": duplicates_step,
        "photo_dropped": duplicates_step and bool(request.FILES.get("photo")),
        "join_chosen": chosen if chosen in {item["tracking_code"] for item in nearby_items} else ReportForm.NEW_REPORT,
        "place_confirmation": _place_confirmation(form),
        "contact_retention_days": settings.OBSERVATORY_CONTACT_RETENTION_DAYS,
        **_map_ctx(),
    }
    return _render_form(request, "reports/report_form.html", ctx, form, wait_seconds)


@require_GET
def reports_nearby_json(request: HttpRequest) -> JsonResponse:
    """Possible duplicates for the form's script: the published open reports of the category near the pin, at
    their snapped places, and whether unpublished ones exist (a yes or no). Bad parameters: 400, by field."""
    form = NearbyForm(request.GET)
    if not form.is_valid():
        errors = form.errors.get_json_data()
        return JsonResponse({field: [e["message"] for e in found] for field, found in errors.items()}, status=400)
    nearby = services.reports_nearby_public(category=form.cleaned_data["category"], location=form.location())
    return JsonResponse(
        {
            "reports": [_nearby_item(report) for report in nearby.reports],
            "unpublished_nearby": nearby.unpublished,
            "unpublished_display": _unpublished_display() if nearby.unpublished else "",
        }
    )


def _form_errors_json(form) -> JsonResponse:
    errors = form.errors.get_json_data()
    return JsonResponse({field: [e["message"] for e in found] for field, found in errors.items()}, status=400)


# The layers change only when zones or streets are imported: browsers may keep them a while.
LAYERS_MAX_AGE = 300


@require_GET
def map_layers(request: HttpRequest) -> HttpResponse:
    """The maps' own layers (city boundary, zones with names, districts, streets) as GeoJSON: no tiles needed."""
    response = HttpResponse(places.map_layers_geojson(), content_type="application/geo+json")
    response["Cache-Control"] = f"public, max-age={LAYERS_MAX_AGE}"
    return response


@require_GET
def place_where(request: HttpRequest) -> JsonResponse:
    """The pin's place in words (zone and district, nearest street), for the forms' live confirmation."""
    form = PointQueryForm(request.GET)
    if not form.is_valid():
        return _form_errors_json(form)
    return JsonResponse(places.place_in_words(form.location()))


@require_GET
def street_search(request: HttpRequest) -> JsonResponse:
    """Streets of the city's register resembling what was typed (accents and case ignored), best first."""
    form = StreetQueryForm(request.GET)
    if not form.is_valid():
        return _form_errors_json(form)
    text = form.cleaned_data["q"]
    return JsonResponse({"streets": places.street_suggestions(text), "address": places.address_found(text)})


def _unpublished_display() -> str:
    return _(
        "Other reports of this kind near here are waiting for a moderator. If yours is the same, send it anyway: "
        "the city merges duplicates."
    )


def _public_distance_m(report: Report) -> int:
    """A published report's distance as the public sees it: measured from its snapped place and rounded to the
    privacy grid (at least one cell), so it never says more than the snapped place does."""
    grid = settings.OBSERVATORY_PRIVACY_GRID_M
    return int(max(1, round(report.distance.m / grid)) * grid)


def _nearby_item(report: Report) -> dict:
    """One possible duplicate, as the form lists it (server-rendered and through nearby.json alike): a published
    report, annotated by services.reports_nearby_public."""
    metres = _public_distance_m(report)
    added = report.added or 0
    return {
        "tracking_code": report.tracking_code,
        "url": report.get_absolute_url(),
        "category": report.category.name,
        "occurred_at": timezone.localtime(report.occurred_at).isoformat(),
        "occurred_at_display": date_format(timezone.localtime(report.occurred_at), "SHORT_DATETIME_FORMAT"),
        "status": report.get_status_display(),
        "added": added,
        "added_display": ngettext("%(n)s person already added to it", "%(n)s people already added to it", added)
        % {"n": added},
        "distance_m": metres,
        "distance_display": _("about %(metres)s m away") % {"metres": metres},
        "join_label": _("This is what I saw: add my experience to %(code)s") % {"code": report.tracking_code},
    }


def report_status(request: HttpRequest, code: str) -> HttpResponse:
    report = _report_or_404(Report.objects.select_related("category", "zone", "duplicate_of"), code)
    history = report.history.filter(action__in=PUBLIC_HISTORY_ACTIONS).order_by("created_at", "id")
    is_new = request.GET.get("new") == "1"
    # A citizen who added their experience to an open report follows that report from here; the report another
    # was merged into is named only while the public may see it.
    joined = report.duplicate_of if report.duplicate_of is not None and report.duplicate_of.is_public else None
    ctx = {
        "report": report,
        "history": history,
        "is_new": is_new,
        "joined": joined,
        "joined_by_citizen": joined is not None and any(c.action == StatusChange.Action.JOIN for c in history),
        "added_count": Report.objects.added_to(report).count(),
        "public": report.is_public,
        "nearby": services.reports_nearby_public(
            category=report.category, location=report.location, exclude_id=report.pk
        )
        if is_new and report.is_open
        else None,
    }
    return render(request, "reports/report_status.html", ctx)


# A photo a moderator hides leaves shared caches within ten minutes.
PUBLIC_PHOTO_MAX_AGE = 600


@require_safe
def report_photo(request: HttpRequest, code: str) -> HttpResponse:
    """A report's photo (stored as a JPEG of its pixels only). Anyone may see it once the report is published,
    unless a moderator hid it; moderators may see any, for the moderation page. Every other request, whether
    the code is unknown, the report unpublished, the photo hidden or absent, gets the same 404."""
    report = None
    if "\x00" not in code and len(code) <= Report._meta.get_field("tracking_code").max_length:
        report = Report.objects.filter(tracking_code=code.upper()).exclude(photo="").first()
    if report is None:
        raise Http404
    if report.photo_is_public:
        cache_control = f"public, max-age={PUBLIC_PHOTO_MAX_AGE}"
    elif has_role(request.user, MODERATOR):
        cache_control = "private, no-store"
    else:
        raise Http404
    content_type, _encoding = mimetypes.guess_type(report.photo.name)
    if content_type not in {"image/jpeg", "image/png", "image/webp"}:
        raise Http404
    return protected_file_response(report.photo.name, content_type=content_type, cache_control=cache_control)


def report_abuse(request: HttpRequest, code: str) -> HttpResponse:
    report = _report_or_404(Report.objects.all(), code)
    form = AbuseForm(request.POST or None)
    wait_seconds = 0
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        wait_seconds = rate_limit_take(ip)
        if not wait_seconds:
            try:
                services.report_flag_abuse(report=report, reason=form.cleaned_data["reason"], submitter_ip=ip)
            except ValidationError as error:
                rate_limit_refund(ip)
                _apply_errors(form, error)
            else:
                messages.success(request, _("Thank you: a moderator will look at this report."))
                return redirect(report)
    return _render_form(request, "reports/report_abuse.html", {"report": report, "form": form}, form, wait_seconds)


def audit_new(request: HttpRequest) -> HttpResponse:
    """The walker's safety audit, with the report form's place picker (pin, my position, zone list, street)."""
    wait_seconds = 0
    if request.method == "POST":
        form = AuditForm(request.POST)
        ip = client_ip(request)
        if form.is_valid():
            wait_seconds = rate_limit_take(ip)
        if form.is_valid() and not wait_seconds:
            data = form.cleaned_data
            errors: dict[str, list[str]] = {}
            location, _zone = services.place_resolve(
                location=form.location(), zone=data["zone"], address=data["address"], errors=errors
            )
            try:
                if errors:
                    raise ValidationError(errors)
                audit = services.audit_submit(
                    location=location,
                    occurred_at=data["occurred_at"],
                    scores={p: data[p] for p in services.SafetyAudit.PARAMETERS},
                    comment=data["comment"],
                )
            except ValidationError as error:
                rate_limit_refund(ip)
                _apply_errors(form, error)
            else:
                messages.success(request, _("Thank you: your audit %(code)s is saved.") % {"code": audit.tracking_code})
                return redirect("reports:audit-new")
    else:
        form = AuditForm(initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)})
    ctx = {"form": form, "moments": places.recent_moments(), "place_confirmation": _place_confirmation(form),
           **_map_ctx()}  # fmt: skip
    return _render_form(request, "reports/audit_form.html", ctx, form, wait_seconds)


def _place_confirmation(form) -> str:
    """The place a returning form's pin stands for, in words (the script updates it as the pin moves)."""
    if not form.is_bound or not hasattr(form, "cleaned_data"):
        return ""
    location = form.location()
    return places.place_in_words(location)["text"] if location is not None else ""


# --- public map ------------------------------------------------------------------------------------

PUBLIC_MAP_LIMIT = 5000


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def public_map(request: HttpRequest) -> HttpResponse:
    """The public map: filters, legend, clusters drawn by the script, the list of what is in view, and a paged
    list of the same reports that works without JavaScript."""
    form = public_map_module.PublicMapForm(request.GET or None)
    filters = form.filters()
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "form": form,
        "page": public_map_module.public_report_page(filters, _page_number(request)),
        "query": query.urlencode(),
        "levels": [(value, str(label)) for value, label in PerceivedSafety.choices],
        "map_labels": {
            "levels": {str(value): str(label) for value, label in PerceivedSafety.choices},
            "statuses": {value: str(label) for value, label in Report.Status.choices},
        },
        **_map_ctx(),
    }
    return render(request, "reports/public_map.html", ctx, status=400 if form.errors else 200)


# Clusters change with moderation: shared caches keep them briefly, the server's cache until the next change.
CLUSTERS_MAX_AGE = 30


@require_GET
def public_map_clusters(request: HttpRequest) -> HttpResponse:
    """Published reports clustered per grid cell for the zoom (GeoJSON), with the page's filters. Bad filters
    or zoom: 400 with the reasons, by field, in the page's language."""
    form = public_map_module.PublicMapForm(request.GET)
    zoom = request.GET.get("zoom", "13")
    errors = {} if form.is_valid() else {f: [e["message"] for e in v] for f, v in form.errors.get_json_data().items()}
    if not (zoom.isdigit() and len(zoom) <= 2):
        errors["zoom"] = [_("The zoom must be a whole number.")]
    if errors:
        return JsonResponse(errors, status=400)
    body = public_map_module.public_clusters_geojson(form.filters(), zoom=int(zoom))
    response = HttpResponse(body, content_type="application/geo+json")
    response["Cache-Control"] = f"public, max-age={CLUSTERS_MAX_AGE}"
    return response


@require_GET
def public_map_geojson(request: HttpRequest) -> HttpResponse:
    """Published reports as GeoJSON at their snapped location, newest first, built in one query."""
    snap, params = snapped_sql("r.location")
    from django.db import connection

    name_column = sql_in_language("c.name_it", "c.name_en")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(f), '[]'::json))::text
            FROM (
                SELECT json_build_object(
                    'type', 'Feature',
                    'geometry', ST_AsGeoJSON({snap}, 6)::json,
                    'properties', json_build_object(
                        'tracking_code', r.tracking_code, 'category', {name_column}, 'status', r.status,
                        'night', r.night, 'slot', r.slot, 'perceived_safety', r.perceived_safety)
                ) AS f
                FROM reports_report r JOIN reports_category c ON c.id = r.category_id
                WHERE r.is_published AND r.status <> ALL(%s::text[])
                ORDER BY r.occurred_at DESC
                LIMIT %s
            ) t
            """,
            [*params, list(Report.NOT_PUBLIC_STATUSES), PUBLIC_MAP_LIMIT],
        )
        body = cursor.fetchone()[0]
    return HttpResponse(body, content_type="application/geo+json")


# --- moderation ------------------------------------------------------------------------------------

QUEUE_PAGE_SIZE = 50


def _queue_form(query) -> QueueFilterForm:
    form = QueueFilterForm(query)
    form.is_valid()
    return form


def _queue_filters(query) -> QueueFilters:
    """The queue's filters from a query string; a value that does not validate is left out (the default)."""
    form = _queue_form(query)
    if form.is_valid():
        return form.filters()
    for name in form.errors:
        form.cleaned_data.pop(name, None)
    return QueueFilterForm.filters(form)


@role_required(MODERATOR)
def moderation_queue(request: HttpRequest) -> HttpResponse:
    """New (unpublished, submitted) reports first, oldest first by default; search and filters from the query."""
    form = _queue_form(request.GET)
    if not form.is_valid():
        return render(request, "reports/moderation_queue.html", {"filter_form": form, "page": None}, status=400)
    filters = form.filters()
    page = Paginator(selectors.moderation_queue(filters), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "page": page,
        "show": filters.show,
        "filter_form": form,
        "query": query.urlencode(),
        "bulk_form": BulkActionForm(),
    }
    return render(request, "reports/moderation_queue.html", ctx)


@require_POST
@role_required(MODERATOR)
def moderation_bulk(request: HttpRequest) -> HttpResponse:
    """One action on the ticked reports, all or none (one transaction); spam first asks to confirm."""
    form = BulkActionForm(request.POST)
    queue_query = request.POST.get("queue", "")
    back = reverse("reports:moderation") + (f"?{queue_query}" if queue_query else "")
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        for error in form.errors.get("department", []):
            messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    reports = data["reports"]
    if data["action"] == "spam" and not data["confirm"]:
        ctx = {"reports": reports, "queue": queue_query, "back": back}
        return render(request, "reports/moderation_bulk_confirm.html", ctx)
    try:
        with transaction.atomic():
            for report in reports:
                if data["action"] == "publish":
                    services.report_publish(report=report, user=request.user)
                elif data["action"] == "assign":
                    services.report_assign(report=report, department=data["department"], user=request.user)
                else:
                    services.report_reject_spam(report=report, user=request.user)
    except ValidationError as error:
        for field_messages in error.message_dict.values():
            for message in field_messages:
                messages.error(request, message)
        messages.error(request, _("Nothing was changed."))
        return redirect(back)
    done = {"publish": _("Published"), "assign": _("Assigned"), "spam": _("Rejected as spam")}[data["action"]]
    messages.success(
        request,
        ngettext("%(done)s: %(n)d report.", "%(done)s: %(n)d reports.", len(reports))
        % {"done": done, "n": len(reports)},
    )
    return redirect(back)


@role_required(MODERATOR)
def moderation_detail(request: HttpRequest, code: str) -> HttpResponse:
    report = _report_or_404(Report.objects.select_related("category", "zone", "duplicate_of"), code)
    return _moderation_page(request, report)


def _moderation_page(
    request: HttpRequest, report: Report, *, refused: bool = False, form: forms.Form | None = None
) -> HttpResponse:
    """The moderation page of ``report``. After a refused action it answers 400, the reasons among the page's
    messages, with the action's ``form`` as the moderator filled it, so that nothing typed is lost."""
    forms_shown = {
        "publish_form": PublishForm(initial={"public_description": report.public_description or report.description}),
        "merge_form": MergeForm(),
        "assign_form": AssignForm(initial={"department": report.department_id}),
        "status_form": StatusForm(initial={"status": report.status}),
    }
    for name, shown in forms_shown.items():
        if form is not None and type(form) is type(shown):
            forms_shown[name] = form
    queue_query = request.GET.get("queue", request.POST.get("queue", ""))
    ctx = {
        "report": report,
        "queue": queue_query,
        "next_report": selectors.next_in_queue(_queue_filters(QueryDict(queue_query)), after=report),
        "map": {
            "lat": report.location.y,
            "lon": report.location.x,
            "tiles_url": settings.OBSERVATORY_MAP_TILES_URL,
            "tiles_attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
        },
        "history": report.history.select_related("user"),
        "flags": report.abuse_flags.order_by("-created_at"),
        "answers": report.category.answers_display(report.attributes),
        "added": Report.objects.added_to(report).order_by("created_at", "id"),
        "nearby": services.reports_nearby_for_moderators(
            category=report.category, location=report.location, exclude_id=report.pk
        ),
        **forms_shown,
    }
    return render(request, "reports/moderation_detail.html", ctx, status=400 if refused else 200)


MODERATION_ACTIONS = {
    "publish": PublishForm,
    "spam": None,
    "merge": MergeForm,
    "assign": AssignForm,
    "status": StatusForm,
    "hide-photo": None,
}


@require_POST
@role_required(MODERATOR)
def moderation_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    if action not in MODERATION_ACTIONS:
        raise Http404
    report = _report_or_404(Report.objects.all(), code)
    form_class = MODERATION_ACTIONS[action]
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return _moderation_page(request, report, refused=True, form=form)
    data = form.cleaned_data if form is not None else {}
    user = request.user
    try:
        if action == "publish":
            services.report_publish(report=report, user=user, public_description=data["public_description"])
            messages.success(request, _("Published."))
        elif action == "spam":
            services.report_reject_spam(report=report, user=user)
            messages.success(request, _("Rejected as spam."))
        elif action == "merge":
            services.report_merge(report=report, into=data["into"], user=user, public_note=data["public_note"])
            messages.success(request, _("Merged as a duplicate."))
        elif action == "assign":
            services.report_assign(report=report, department=data["department"], user=user)
            messages.success(request, _("Assigned."))
        elif action == "status":
            services.report_set_status(report=report, status=data["status"], public_note=data["public_note"], user=user)
            messages.success(request, _("Status changed."))
        elif action == "hide-photo":
            services.report_hide_photo(report=report, user=user)
            messages.success(request, _("Photo hidden."))
    except ValidationError as error:
        for field_messages in error.message_dict.values():
            for message in field_messages:
                messages.error(request, message)
        report.refresh_from_db()
        return _moderation_page(request, report, refused=True, form=form)
    queue_query = request.POST.get("queue", "")
    if request.POST.get("next") == "queue":
        return redirect(reverse("reports:moderation") + (f"?{queue_query}" if queue_query else ""))
    if request.POST.get("next") == "next":  # "... and open the next report" of the same queue
        following = selectors.next_in_queue(_queue_filters(QueryDict(queue_query)), after=report)
        if following is None:
            messages.info(request, _("The queue is empty."))
            return redirect(reverse("reports:moderation") + (f"?{queue_query}" if queue_query else ""))
        report = following
    back_to = request.POST.get("back_to", "")
    if action == "merge" and back_to == data["into"].tracking_code:  # "merge into this" from the original's page
        report = data["into"]
    url = reverse("reports:moderation-detail", args=[report.tracking_code])
    return redirect(url + (f"?{urlencode({'queue': queue_query})}" if queue_query else ""))
