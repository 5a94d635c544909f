"""Interventions in the admin: recorded through the same service as the staff page, zones computed from the place."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.gis.db import models as gis_models
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Intervention


@admin.register(Intervention)
class InterventionAdmin(admin.ModelAdmin):
    # The place as WKT or GeoJSON text, like the staff page: Django's stock map widget loads OpenLayers from a
    # CDN, which the observatory never does (city/widgets.py draws points only; a place may be a line or an area).
    formfield_overrides = {gis_models.GeometryField: {"widget": forms.Textarea(attrs={"rows": 4})}}
    list_display = ["what", "kind", "start_on", "end_on", "night_time", "zone_codes", "cancelled"]
    list_filter = ["kind", "night_time", "cancelled"]
    search_fields = ["what", "partner", "notes"]
    date_hierarchy = "start_on"
    readonly_fields = ["zone_codes", "recorded_by", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("zones")

    @admin.display(description=_("zones"))
    def zone_codes(self, obj):
        return ", ".join(z.code for z in obj.zones.all())

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        obj.save()
        if hasattr(obj, "grant_project"):
            return  # a funded project's zones are the grants' (its sites and their buffer): edit it there
        if not services.intervention_zones_assign(intervention=obj):
            messages.warning(request, _("The place is outside every zone of the city: no zone is treated."))
