"""Public pages of funded projects (no applicant's personal data ever), the programme summary and the
applications' attachments for grant administrators."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import impact, permissions
from .models import ApplicationAttachment, Call, Disbursement, Project

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
