"""Admin for zones. Boundaries change through `import_zones`, never by hand here,
so geometries are not editable (and no map widget pulls scripts from a CDN). A house number of the civic-number
register can be corrected or added by hand (a door the last import missed), on the project's Leaflet widget."""

from django import forms
from django.contrib import admin
from django.contrib.gis.db import models as gis_models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import CivicNumber, Department, DepartmentMembership, OutboundEmail, Zone
from .widgets import LeafletPointWidget


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


class CivicNumberForm(forms.ModelForm):
    class Meta:
        model = CivicNumber
        fields = ["street_name", "number", "suffix", "point"]

    def clean_street_name(self):
        name = " ".join((self.cleaned_data.get("street_name") or "").split())
        if not name:
            raise forms.ValidationError(_("Write the street's name, as the street register spells it."))
        return name

    def clean_point(self):
        point = self.cleaned_data.get("point")
        if point is not None and not Zone.objects.covering(point).exists():
            raise forms.ValidationError(_("The door is outside every zone of the city: place it within the city."))
        return point


@admin.register(CivicNumber)
class CivicNumberAdmin(admin.ModelAdmin):
    """The register ``import_civic_numbers`` loads; the address search of the forms reads it at once."""

    form = CivicNumberForm
    list_display = ["street_name", "number", "suffix", "created_at"]
    search_fields = ["street_name"]
    ordering = ["street_name", "number", "suffix"]
    formfield_overrides = {gis_models.PointField: {"widget": LeafletPointWidget}}
