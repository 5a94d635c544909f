"""The applicants' area in the admin: a call's online rules and documents on the call's page, and the
online applications (drafts and submissions) read only, with their protocol numbers."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    ApplicantAccount,
    ApplicationDraft,
    AttachmentType,
    CallOnline,
    Declaration,
    DraftAttachment,
    DraftBudgetLine,
    DraftDeclaration,
    DraftSite,
    DraftTeamMember,
)


class CallOnlineInline(admin.StackedInline):
    model = CallOnline
    extra = 0
    max_num = 1


class AttachmentTypeInline(admin.TabularInline):
    model = AttachmentType
    extra = 0


class DeclarationInline(admin.TabularInline):
    """The self-declarations the call asks for; the standard ones are added when the call first takes
    applications online (``services.declarations_default_create``), and the office edits them here."""

    model = Declaration
    extra = 0


class ReadOnlyInline(admin.TabularInline):
    """What the applicant wrote, as it wrote it: the office reads it, never edits it."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class BudgetLineInline(ReadOnlyInline):
    model = DraftBudgetLine
    fields = ["description", "requested", "co_financing"]


class SiteInline(ReadOnlyInline):
    model = DraftSite
    fields = ["name", "address", "zone", "point"]


class TeamInline(ReadOnlyInline):
    model = DraftTeamMember
    fields = ["full_name", "role", "organisation", "hours"]


class DeclarationMadeInline(ReadOnlyInline):
    model = DraftDeclaration
    fields = ["text", "declared_at"]


class DraftAttachmentInline(ReadOnlyInline):
    model = DraftAttachment
    fields = ["kind", "original_name", "size", "sha256", "uploaded_at"]


@admin.register(ApplicationDraft)
class ApplicationDraftAdmin(admin.ModelAdmin):
    list_display = ["__str__", "call", "org_name", "status", "protocol_number", "submitted_at"]
    list_filter = ["status", "call"]
    search_fields = ["protocol_number", "org_name", "org_tax_code", "title"]
    inlines = [SiteInline, TeamInline, BudgetLineInline, DraftAttachmentInline, DeclarationMadeInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["zones"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApplicantAccount)
class ApplicantAccountAdmin(admin.ModelAdmin):
    list_display = ["full_name", "user", "language", "verified_at"]
    search_fields = ["full_name", "user__email"]
    readonly_fields = ["user", "verified_at"]
