"""The sensor registry in the admin: kinds, sensors, their health, and token rotation shown once."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.gis.db import models as gis_models
from django.utils.translation import gettext_lazy as _

from city.widgets import LeafletPointWidget

from . import services
from .models import Sensor, SensorKind


@admin.register(SensorKind)
class SensorKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name_it", "name_en", "unit", "valid_min", "valid_max", "expected_interval_seconds",
                    "indicator_metric"]  # fmt: skip
    search_fields = ["code", "name_it", "name_en", "observed_property"]


@admin.register(Sensor)
class SensorAdmin(admin.ModelAdmin):
    # The map uses the Leaflet in static/ (GeoDjango's GISModelAdmin loads OpenLayers from a CDN).
    formfield_overrides = {gis_models.PointField: {"widget": LeafletPointWidget}}
    list_display = [
        "external_id",
        "name",
        "kind",
        "zone",
        "active",
        "removed_on",
        "last_seen_at",
        "silent",
        "has_token",
    ]
    list_filter = ["silent", "active", "kind", ("removed_on", admin.EmptyFieldListFilter)]
    search_fields = ["external_id", "name", "zone__code", "zone__name"]
    list_select_related = ["kind", "zone"]
    readonly_fields = ["zone", "last_seen_at", "silent", "silent_since", "token_created_at", "created_at"]
    actions = ["rotate_token", "revoke_token"]

    @admin.display(boolean=True, description=_("token"))
    def has_token(self, sensor: Sensor) -> bool:
        return sensor.has_token

    def save_model(self, request, obj: Sensor, form, change):
        if change:
            services.sensor_update(sensor=obj)
            return
        sensor, token = services.sensor_register(
            kind=obj.kind,
            location=obj.location,
            external_id=obj.external_id or None,
            name=obj.name,
            installed_on=obj.installed_on,
            active=obj.active,
        )
        obj.pk, obj.zone, obj.token_hash = sensor.pk, sensor.zone, sensor.token_hash
        self._show_token(request, sensor, token)

    def _show_token(self, request, sensor: Sensor, token: str) -> None:
        messages.warning(
            request,
            _("Token of sensor %(sensor)s (id %(id)s), shown only this once: %(token)s")
            % {"sensor": sensor.external_id, "id": sensor.id, "token": token},
        )

    @admin.action(description=_("Rotate the token (the new one is shown once)"))
    def rotate_token(self, request, queryset):
        for sensor in queryset:
            self._show_token(request, sensor, services.sensor_token_rotate(sensor=sensor))

    @admin.action(description=_("Revoke the token"))
    def revoke_token(self, request, queryset):
        for sensor in queryset:
            services.sensor_token_revoke(sensor=sensor)
        messages.success(request, _("%(count)d token(s) revoked.") % {"count": queryset.count()})
