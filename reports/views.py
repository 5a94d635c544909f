"""Citizen pages: the report form and the tracking page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from .forms import ReportForm
from .models import Report
from .services import report_submit


def report_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                report = report_submit(
                    category=form.cleaned_data["category"],
                    location=form.location(),
                    perceived_safety=form.cleaned_data["perceived_safety"],
                    occurred_at=form.cleaned_data["occurred_at"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as error:
                for message in error.message_dict.get("location", []):
                    form.add_error("latitude", message)
            else:
                return redirect(report)
    else:
        form = ReportForm(initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)})
    ctx = {
        "form": form,
        "centre": settings.OBSERVATORY_CITY_CENTRE,
        "tiles_url": settings.OBSERVATORY_MAP_TILES_URL,
        "tiles_attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
    }
    return render(request, "reports/report_form.html", ctx, status=400 if form.errors else 200)


def report_status(request: HttpRequest, code: str) -> HttpResponse:
    report = get_object_or_404(Report.objects.select_related("category", "zone"), tracking_code=code.upper())
    return render(request, "reports/report_status.html", {"report": report})
