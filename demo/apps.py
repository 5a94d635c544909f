from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Synthetic data and measurements: the seeders, the benchmark and the dashboards' load generator."""

    name = "demo"
    verbose_name = _("Demo and benchmarks")
