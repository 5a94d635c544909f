"""Admin for zones. Boundaries change through `import_zones`, never by hand here,
so geometries are not editable (and no map widget pulls scripts from a CDN)."""

from django.contrib import admin

from . import services
from .models import Zone


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "population", "area_km2"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    exclude = ["geom"]
    readonly_fields = ["area_km2"]

    def save_model(self, request, obj, form, change):
        services.zone_save(zone=obj)

    def delete_model(self, request, obj):
        services.zone_delete(zone=obj)

    def delete_queryset(self, request, queryset):
        for zone in queryset:
            services.zone_delete(zone=zone)
