from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Grants and funded projects")

    def ready(self) -> None:
        from .beneficiaries import tasks  # noqa: F401  (registers the report reminders' beat task)
