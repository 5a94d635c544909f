from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "contact", "created_at", "revoked_at")
    readonly_fields = ("prefix", "created_at")
    search_fields = ("name", "prefix", "contact")
    actions = ["revoke_keys"]

    def save_model(self, request, obj, form, change):
        if not change:
            key = obj.set_new_key()
            messages.warning(
                request, _("The new key is %(key)s — copy it now, it will not be shown again.") % {"key": key}
            )
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke_keys(self, request, queryset):
        for key in queryset:
            key.revoke()
