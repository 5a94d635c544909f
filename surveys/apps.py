from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    """Perceived-safety surveys: instruments, campaigns, invitations, weighting and small-area estimates."""

    name = "surveys"
    verbose_name = _("Surveys")
