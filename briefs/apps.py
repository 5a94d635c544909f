from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BriefsConfig(AppConfig):
    """The monthly intersectoral brief, as a page and as a PDF rendered on the server."""

    name = "briefs"
    verbose_name = _("Monthly brief")
