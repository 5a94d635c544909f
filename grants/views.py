"""Public pages of funded projects (no applicant's personal data ever), the programme summary and the
applications' attachments for grant administrators."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from city.csvexport import csv_response, dict_rows

from . import impact, permissions, selectors, services
from .models import ApplicationAttachment, Call, CommissionMember, Disbursement, Project

GEOJSON_DECIMALS = 6  # about 10 cm: plenty for sites on a city map


def impact_reasons() -> dict[str, str]:
    return {
        "not_started": _("The project has not started yet, or there is no indicator data after its start."),
        "too_recent": _("Fewer than %(nights)d nights of data since the start: too early to say.")
        % {"nights": impact.MIN_POST_NIGHTS},
        "no_treated_data": _("Too few answers in the project's zones before or after the start (at least %(n)d each).")
        % {"n": impact.MIN_ANSWERS},
        "no_treated_weeks": _(
            "Too few full weeks of the index in the project's zones before or after the start (at least %(n)d each)."
        )
        % {"n": impact.MIN_PSI_WEEKS},
        "no_controls": _("Not enough comparable zones without a project to compare with."),
    }


def _map_context(projects) -> dict:
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(p.sites_geojson),
            "properties": {
                "id": p.pk,
                "title": p.title,
                "status": p.get_status_display(),
                "statusCode": p.status,
                "url": p.get_absolute_url(),
            },
        }
        for p in projects
        if p.sites_geojson
    ]
    return {
        "sites": {"type": "FeatureCollection", "features": features},
        "tiles_url": settings.OBSERVATORY_MAP_TILES_URL,
        "tiles_attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
        "centre": settings.OBSERVATORY_CITY_CENTRE,
    }


def project_list(request: HttpRequest) -> HttpResponse:
    projects = list(
        Project.objects.public()
        .with_money()
        .annotate(sites_geojson=AsGeoJSON("sites", precision=GEOJSON_DECIMALS))
        .order_by("call__kind", "start_on", "id")
    )
    ctx = {
        "projects": projects,
        "calls": Call.objects.with_budget().order_by("kind", "opens_on"),
        **_map_context(projects),
    }
    return render(request, "grants/project_list.html", ctx)


def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = (
        Project.objects.public()
        .with_money()
        .annotate(sites_geojson=AsGeoJSON("sites", precision=GEOJSON_DECIMALS))
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise Http404(_("No such project."))
    ctx = {
        "project": project,
        "milestones": list(project.milestones.all()),
        "outputs": list(project.outputs.all()),
        "zones": list(project.zones.order_by("name").values("code", "name")),
        "tranches": list(Disbursement.objects.filter(project=project).values("paid_on", "amount")),
        "impact": impact.impact_for_project(project.pk),
        "reasons": impact_reasons(),
        "method": impact,
        **_map_context([project]),
    }
    return render(request, "grants/project_detail.html", ctx)


@login_required
def programme(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_programme(request.user):
        raise PermissionDenied
    programme_impact = impact.programme_impact()
    titles = dict(Project.objects.values_list("id", "title_en" if request.LANGUAGE_CODE == "en" else "title_it"))
    ctx = {
        "calls": Call.objects.with_budget().order_by("kind", "opens_on"),
        "programme": programme_impact,
        "project_rows": [(titles.get(p.project_id, p.project_id), p) for p in programme_impact.projects],
        "reasons": impact_reasons(),
        "method": impact,
    }
    return render(request, "grants/programme.html", ctx)


UNSAFE_FILENAME_CHARACTERS = re.compile(r'[\x00-\x1f\x7f/\\"]')


def download_name(original_name: str) -> str:
    """The name a browser saves the PDF under: no control characters, quotes or paths; always ``.pdf``."""
    name = UNSAFE_FILENAME_CHARACTERS.sub("_", original_name).strip(" .") or "allegato"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """An application's PDF, for who may read applications' attachments.

    Anyone else who is logged in gets the same 404 as for an attachment that does not exist, so the
    page says nothing about which ids exist. The file is always sent as a download of a PDF, never
    rendered inline, and the browser is told not to guess another type.
    """
    attachment = None
    if permissions.can_download_attachments(request.user):
        attachment = ApplicationAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404(_("No such attachment."))
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("No such attachment.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=download_name(attachment.original_name), content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the published ranking of a call and the register of grants (open data, CC-BY 4.0) ---------------


def _published_call(call_id: int) -> Call:
    call = selectors.published_calls().filter(pk=call_id).first()
    if call is None:
        raise Http404(_("No such call."))
    return call


def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    """A published call and, once approved, its ranking (graduatoria) in three groups."""
    call = _published_call(call_id)
    rows = selectors.graduatoria_rows(call)
    groups = [
        (key, label, [r for r in rows if r["outcome"] == key]) for key, label in selectors.outcome_labels().items()
    ]
    ctx = {"call": call, "groups": groups, "has_ranking": bool(rows), "criteria": list(call.criteria.all())}
    return render(request, "grants/call_detail.html", ctx)


def _open_data_json(meta: dict, records: list[dict]) -> JsonResponse:
    body = {
        **meta,
        "license": selectors.OPEN_DATA_LICENSE,
        "license_url": selectors.OPEN_DATA_LICENSE_URL,
        "generated_at": timezone.now().isoformat(),
        "records": records,
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 1})


def graduatoria_csv(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _published_call(call_id)
    rows = selectors.graduatoria_rows(call)
    if not rows:
        raise Http404(_("The ranking of this call is not published yet."))
    return csv_response(
        f"graduatoria-{call.pk}.csv", selectors.GRADUATORIA_COLUMNS, dict_rows(rows, selectors.GRADUATORIA_COLUMNS)
    )


def graduatoria_json(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _published_call(call_id)
    rows = selectors.graduatoria_rows(call)
    if not rows:
        raise Http404(_("The ranking of this call is not published yet."))
    meta = {
        "call": call.title,
        "approval_act": call.ranking_act_number,
        "approval_act_date": call.ranking_act_date,
        "minimum_score": call.minimum_score,
        "tie_break": _(
            "Higher weighted score first; on a tie the earlier submission, then the lower application number."
        ),
    }
    return _open_data_json(meta, [{k: r[k] for k in selectors.GRADUATORIA_COLUMNS} for r in rows])


def _year(request: HttpRequest) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 1990 < int(value) < 3000 else None


def transparency(request: HttpRequest) -> HttpResponse:
    """Sovvenzioni, contributi, sussidi (D.lgs. 33/2013 art. 26-27): every published grant over the threshold."""
    years = selectors.transparency_years()
    year = _year(request) or (years[0] if years else timezone.localdate().year)
    ctx = {
        "year": year,
        "years": years,
        "records": [selectors.transparency_record(p) for p in selectors.transparency_projects(year)],
        "threshold": Decimal(str(settings.GRANTS_PUBLICATION_THRESHOLD_EUR)),
        "license_url": selectors.OPEN_DATA_LICENSE_URL,
    }
    return render(request, "grants/transparency.html", ctx)


def transparency_csv(request: HttpRequest, year: int) -> HttpResponse:
    records = (selectors.transparency_record(p) for p in selectors.transparency_projects(year))
    return csv_response(
        f"sovvenzioni-{year}.csv", selectors.TRANSPARENCY_COLUMNS, dict_rows(records, selectors.TRANSPARENCY_COLUMNS)
    )


def transparency_json(request: HttpRequest, year: int) -> HttpResponse:
    records = [selectors.transparency_record(p) for p in selectors.transparency_projects(year)]
    meta = {"title": "Sovvenzioni, contributi, sussidi, vantaggi economici (D.lgs. 33/2013 art. 26-27)", "year": year}
    return _open_data_json(meta, records)


@login_required
def commission_declaration(request: HttpRequest, call_id: int) -> HttpResponse:
    """A commission member signs the conflict-of-interest declaration before seeing the call's applications.

    Anyone who is not a member of the call's commission gets a 404, as for a call that does not exist.
    """
    member = CommissionMember.objects.select_related("call").filter(call_id=call_id, evaluator=request.user).first()
    if member is None:
        raise Http404(_("No such call."))
    error = ""
    if request.method == "POST" and member.declared_at is None:
        try:
            member = services.commission_declare(
                call=member.call,
                evaluator=request.user,
                has_conflict=request.POST.get("has_conflict") == "yes",
                declaration=request.POST.get("declaration", ""),
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            if member.may_score:
                return redirect(f"/admin/grants/application/?call__id__exact={member.call_id}")
            return redirect(request.path)
    return render(
        request, "grants/commission_declaration.html", {"member": member, "call": member.call, "error": error}
    )
