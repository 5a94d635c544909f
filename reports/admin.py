"""Admin for the citizen channel: categories are edited here; reports are read here and moderated in the queue.

Reports, their history, audits and abuse flags are read-only in the admin on purpose: every change to a
report goes through the moderation services (reports/services.py), which record who did what and mark
indicators stale. The block list is managed here.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import AbuseFlag, BlockedSender, Category, Report, SafetyAudit, StatusChange


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_it", "name_en", "group", "default_department", "requires_photo", "active"]
    list_filter = ["group", "default_department", "active", "requires_photo"]
    list_editable = ["active"]
    search_fields = ["code", "name_it", "name_en", "keywords"]
    ordering = ["sort_order", "code"]


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_status", "to_status", "public_note", "user"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = [
        "tracking_code",
        "category",
        "status",
        "is_published",
        "zone",
        "night",
        "slot",
        "source",
        "moderate",
    ]
    list_filter = ["status", "is_published", "slot", "source", "department", "category"]
    search_fields = ["tracking_code", "description", "address"]
    date_hierarchy = "occurred_at"
    list_select_related = ["category", "zone"]
    exclude = ["location"]
    inlines = [StatusChangeInline]
    show_full_result_count = False  # counting a million rows on every page is not worth it

    @admin.display(description=_("moderate"))
    def moderate(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("reports:moderation-detail", args=[obj.tracking_code]), _("open")
        )


@admin.register(BlockedSender)
class BlockedSenderAdmin(admin.ModelAdmin):
    list_display = ["kind", "value", "reason", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value", "reason"]


@admin.register(AbuseFlag)
class AbuseFlagAdmin(ReadOnlyAdmin):
    list_display = ["report", "reason", "created_at"]
    search_fields = ["report__tracking_code", "reason"]


@admin.register(SafetyAudit)
class SafetyAuditAdmin(ReadOnlyAdmin):
    list_display = ["tracking_code", "zone", "night", "slot", "lighting", "feeling", "status"]
    list_filter = ["slot", "status"]
    exclude = ["location"]
