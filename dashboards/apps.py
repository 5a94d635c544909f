from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """The officers' pages: filters, selectors, charts, cache, exports, views."""

    name = "dashboards"
    verbose_name = _("Dashboards")
