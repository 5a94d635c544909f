"""Admin for zones and the derived tables. Boundaries change through `import_zones`, never by hand here,
so geometries are not editable (and no map widget pulls scripts from a CDN)."""

from django.contrib import admin

from .auth import AdminLoginForm
from .models import Alert, HotSpot, Indicator, Zone

# The admin's login refuses what no account can have, as the staff login page does (observatory.auth).
admin.site.login_form = AdminLoginForm


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "population", "area_km2"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    exclude = ["geom"]
    readonly_fields = ["area_km2"]


class DerivedAdmin(admin.ModelAdmin):
    """Derived data: recomputed from raw rows, so read-only."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(DerivedAdmin):
    list_display = ["zone", "metric", "period_kind", "period_start", "slot", "value", "n", "method_version"]
    list_filter = ["metric", "period_kind", "slot", "method_version"]
    list_select_related = ["zone"]


@admin.register(HotSpot)
class HotSpotAdmin(DerivedAdmin):
    list_select_related = ["zone"]


@admin.register(Alert)
class AlertAdmin(DerivedAdmin):
    list_select_related = ["zone"]
