from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterventionsConfig(AppConfig):
    """What the city did in a place (a lamp repaired, patrols added, a funded project) and its measured effect."""

    name = "interventions"
    verbose_name = _("Interventions")
