"""Admin for routing rules, response targets, reply templates, and a read-mostly view of cases and tasks."""

from django.contrib import admin

from .models import Case, CaseEvent, FixedCheck, ReplyTemplate, ResponseTarget, RoutingRule, Task


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "zone", "department", "priority", "active"]
    list_filter = ["active", "priority", "department", "category"]
    autocomplete_fields = ["zone", "department"]


@admin.register(ResponseTarget)
class ResponseTargetAdmin(admin.ModelAdmin):
    list_display = ["category", "priority", "answer_days", "reminder_days"]
    list_filter = ["priority"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ["title_it", "title_en", "category", "status"]
    list_filter = ["category", "status"]
    search_fields = ["title_it", "title_en", "text_it", "text_en"]


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    fields = ["department", "owner", "priority", "due_date", "status", "closing_reason", "referred_to"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ["created_at", "actor", "action", "data"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Cases change through the cases pages (which keep reports in step and e-mail people); here they are read."""

    list_display = ["id", "title", "zone", "status", "closing_reason", "created_at", "closed_at", "reopened_count"]
    list_filter = ["status", "closing_reason"]
    search_fields = ["title"]
    readonly_fields = [f.name for f in Case._meta.fields]
    inlines = [TaskInline, CaseEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(FixedCheck)
class FixedCheckAdmin(admin.ModelAdmin):
    list_display = ["report", "case", "sent_at", "answer", "answered_at"]
    list_filter = ["answer"]
    readonly_fields = [f.name for f in FixedCheck._meta.fields]

    def has_add_permission(self, request):
        return False
