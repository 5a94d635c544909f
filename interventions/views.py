"""Staff pages of the interventions register: the list, a form to record one, and one intervention with its effect."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from city.roles import DASHBOARD_ROLES, role_required

from . import impact, selectors, services
from .forms import InterventionForm
from .models import Intervention


@role_required(*DASHBOARD_ROLES)
def intervention_list(request: HttpRequest) -> HttpResponse:
    ctx = {"rows": selectors.intervention_rows()}
    return render(request, "interventions/intervention_list.html", ctx)


@role_required(*DASHBOARD_ROLES)
def intervention_new(request: HttpRequest) -> HttpResponse:
    form = InterventionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            intervention = services.intervention_record(
                what=data["what"], kind=data["kind"], partner=data["partner"], place=data["place"],
                start_on=data["start_on"], end_on=data["end_on"], night_time=data["night_time"],
                cost=data["cost"], notes=data["notes"], recorded_by=request.user, department=data["department"],
                case=data["case"],
            )  # fmt: skip
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error("latitude" if field == "place" else field if field in form.fields else None, messages)
        else:
            return redirect(intervention)
    status = 400 if request.method == "POST" else 200
    ctx = {
        "form": form,
        "centre": settings.OBSERVATORY_CITY_CENTRE,
        "tiles_url": settings.OBSERVATORY_MAP_TILES_URL,
        "tiles_attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
    }
    return render(request, "interventions/intervention_form.html", ctx, status=status)


@role_required(*DASHBOARD_ROLES)
def intervention_detail(request: HttpRequest, pk: int) -> HttpResponse:
    intervention = get_object_or_404(
        Intervention.objects.select_related("department", "case").prefetch_related("zones"), pk=pk
    )
    ctx = {
        "intervention": intervention,
        "impact": impact.impact_for_intervention(intervention.pk),
        "reasons": impact.reason_texts(),
    }
    return render(request, "interventions/intervention_detail.html", ctx)
