"""The applicants' area in the admin: a call's online rules and documents on the call's page, and the
online applications (drafts and submissions) read only, with their protocol numbers."""

from __future__ import annotations

from django.contrib import admin

from .models import ApplicantAccount, ApplicationDraft, AttachmentType, CallOnline, DraftAttachment, DraftBudgetLine


class CallOnlineInline(admin.StackedInline):
    model = CallOnline
    extra = 0
    max_num = 1


class AttachmentTypeInline(admin.TabularInline):
    model = AttachmentType
    extra = 0


class BudgetLineInline(admin.TabularInline):
    model = DraftBudgetLine
    extra = 0
    can_delete = False
    readonly_fields = ["description", "requested", "co_financing"]

    def has_add_permission(self, request, obj=None):
        return False


class DraftAttachmentInline(admin.TabularInline):
    model = DraftAttachment
    extra = 0
    can_delete = False
    fields = ["kind", "original_name", "size", "sha256", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApplicationDraft)
class ApplicationDraftAdmin(admin.ModelAdmin):
    list_display = ["__str__", "call", "org_name", "status", "protocol_number", "submitted_at"]
    list_filter = ["status", "call"]
    search_fields = ["protocol_number", "org_name", "org_tax_code", "title"]
    inlines = [BudgetLineInline, DraftAttachmentInline]

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
