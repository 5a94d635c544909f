"""Admin for zones. Boundaries change through `import_zones`, never by hand here,
so geometries are not editable (and no map widget pulls scripts from a CDN)."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Department, DepartmentMembership, OutboundEmail, Zone


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


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """What the observatory owes people by e-mail: read-only, with a resend action for given-up messages."""

    list_display = ["created_at", "kind", "to", "subject", "attempts", "sent_at", "given_up"]
    list_filter = ["kind", "given_up", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject", "reference"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Try sending again now"))
    def retry_now(self, request, queryset):
        queryset.filter(sent_at__isnull=True).update(given_up=False, next_attempt_at=timezone.now())


class DepartmentMembershipInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """Departments, district councils, police districts and partners: data an administrator keeps."""

    list_display = ["code", "name_it", "name_en", "kind", "inbox_email", "head", "parent", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name_it", "name_en", "inbox_email"]
    filter_horizontal = ["zones"]
    autocomplete_fields = ["head", "parent"]
    inlines = [DepartmentMembershipInline]


@admin.register(DepartmentMembership)
class DepartmentMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role", "daily_digest", "language"]
    list_filter = ["role", "department", "daily_digest"]
    search_fields = ["user__username", "user__email", "department__name_it", "department__name_en"]
    autocomplete_fields = ["user", "department"]
