from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    """The public open-data catalogue: datasets as CSV and GeoJSON under CC-BY 4.0, and DCAT-AP_IT metadata."""

    name = "opendata"
    verbose_name = _("Open data")
