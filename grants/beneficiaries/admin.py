"""The grants office gives a user access to an organisation's projects in the beneficiaries' area."""

from __future__ import annotations

from django.contrib import admin

from .models import OrganisationMember


@admin.register(OrganisationMember)
class OrganisationMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "granted_at", "granted_by"]
    list_select_related = ["user", "organisation", "granted_by"]
    search_fields = ["user__username", "user__email", "organisation__name", "organisation__tax_code"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["organisation"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        obj.fiscal_number = (obj.fiscal_number or "").strip().upper()
        super().save_model(request, obj, form, change)


class OrganisationMemberInline(admin.TabularInline):
    """On the organisation's page: who acts for it in the beneficiaries' area."""

    model = OrganisationMember
    extra = 0
    fields = ["user", "fiscal_number", "granted_at"]
    readonly_fields = ["granted_at"]
    raw_id_fields = ["user"]
