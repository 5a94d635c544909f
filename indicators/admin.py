"""Admin for the derived tables: recomputed from raw rows, so read-only."""

from django.contrib import admin

from .models import Alert, HotSpot, Indicator


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
