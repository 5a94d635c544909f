from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CityConfig(AppConfig):
    """The base every app stands on: zones, night slots, bilingual text, roles, stale markers."""

    name = "city"
    verbose_name = _("City")
