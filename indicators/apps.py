from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from city.stale import zone_nights_marked_stale


class IndicatorsConfig(AppConfig):
    """The indicator engine; it listens for the base's stale markers and queues their recompute."""

    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        from .tasks import queue_stale_recompute_on_commit

        zone_nights_marked_stale.connect(queue_stale_recompute_on_commit, dispatch_uid="indicators-stale-recompute")
