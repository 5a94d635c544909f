"""The monthly brief for staff: the page, and the same brief as a PDF download."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from city.roles import DASHBOARD_ROLES, role_required
from indicators import selectors as indicators

from . import rendering
from .forms import BriefForm
from .selectors import brief_build, months_back


def _default_month():
    """The last complete month with data: the month before the latest night's (or before today)."""
    latest = indicators.latest_night() or timezone.localdate()
    return months_back(latest.replace(day=1), 1)


def _form(request: HttpRequest) -> BriefForm:
    data = request.GET.copy()
    data.setdefault("month", f"{_default_month():%Y-%m}")
    data.setdefault("language", translation.get_language() or "it")
    return BriefForm(data)


@role_required(*DASHBOARD_ROLES)
def brief_page(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return render(request, "briefs/brief.html", {"form": form}, status=400)
    month, scope = form.cleaned_data["month"], form.cleaned_data["scope"]
    brief = brief_build(month=month, scope=scope)
    ctx = {"form": form, **rendering.brief_context(brief), "query": request.GET.urlencode()}
    return render(request, "briefs/brief.html", ctx)


@role_required(*DASHBOARD_ROLES)
def brief_pdf(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return render(request, "briefs/brief.html", {"form": form}, status=400)
    month, scope = form.cleaned_data["month"], form.cleaned_data["scope"]
    language = form.cleaned_data["language"] or translation.get_language()
    pdf = rendering.brief_pdf(month=month, scope=scope, language=language)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = rendering.brief_filename(month=month, scope=scope, language=language)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
