from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Intersectoral work: routing rules, cases with one task per department, deadlines, notifications."""

    name = "cases"
    verbose_name = _("Cases")
