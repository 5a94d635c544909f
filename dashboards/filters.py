"""The dashboards' filters: metric, slot, period and map layers, read from the query string.

Every page and its exports parse the same ``Filters`` (a view can be bookmarked and shared); a
value the page cannot use is replaced by its default and reported in ``errors``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from city import nightslots
from indicators import engine, registry

MAX_CUSTOM_NIGHTS = 366
MAX_COMPARE = 6

PERIODS = {
    "last_night": gettext_lazy("Last night"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "rolling28": gettext_lazy("Rolling 28 nights"),
    "custom": gettext_lazy("Custom range"),
}
# The metrics a page may show and their directions: the component registry's.
METRICS = registry.METRIC_LABELS
SAFER_IF_HIGHER = registry.SAFER_IF_HIGHER
LAYERS = ("hotspots", "projects", "sensors", "reports")


@dataclass
class Filters:
    metric: str = registry.PSI
    slot: str = "night"
    period: str = "rolling28"
    first_night: dt.date = dt.date.min
    last_night: dt.date = dt.date.min
    layers: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def period_kind(self) -> str | None:
        """The stored period the filter reads, or None for a custom range (pooled from nights)."""
        return {"last_night": "night", "week": "week", "month": "month", "rolling28": "rolling28"}.get(self.period)

    @property
    def previous(self) -> tuple[dt.date, dt.date]:
        """The period of the same length just before this one."""
        length = (self.last_night - self.first_night).days + 1
        return self.first_night - dt.timedelta(days=length), self.first_night - dt.timedelta(days=1)

    def query(self, **extra) -> str:

        params = {"metric": self.metric, "slot": self.slot, "period": self.period}
        if self.period == "custom":
            params.update({"from": self.first_night.isoformat(), "to": self.last_night.isoformat()})
        if self.layers:
            params["layers"] = ",".join(self.layers)
        params.update(extra)
        return urlencode(params)


def parse_filters(params, *, anchor: dt.date | None = None) -> Filters:
    """Filters from the query string; anything unknown falls back to a default and says why."""
    anchor = anchor or engine.anchor_night()
    f = Filters()
    errors = f.errors
    metric = params.get("metric", f.metric)
    f.metric = metric if metric in METRICS else (errors.append(_("Unknown indicator: shown the index.")) or f.metric)
    slot = params.get("slot", f.slot)
    f.slot = slot if slot in nightslots.slot_codes() else "night"
    period = params.get("period", f.period)
    f.period = period if period in PERIODS else "rolling28"
    chosen = params.get("layers", "").split(",") + (params.getlist("layer") if hasattr(params, "getlist") else [])
    f.layers = [layer for layer in LAYERS if layer in chosen]
    if f.period == "last_night":
        f.first_night = f.last_night = anchor
    elif f.period == "week":
        f.first_night = anchor - dt.timedelta(days=anchor.weekday())
        f.last_night = f.first_night + dt.timedelta(days=6)
    elif f.period == "month":
        f.first_night = anchor.replace(day=1)
        f.last_night = (f.first_night + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    elif f.period == "custom":
        first, last = _date(params.get("from")), _date(params.get("to"))
        if first is None or last is None or first > last or (last - first).days >= MAX_CUSTOM_NIGHTS:
            errors.append(
                _("A custom range needs a start and an end date, in order, at most %(n)d nights apart.")
                % {"n": MAX_CUSTOM_NIGHTS}
            )
            f.period = "rolling28"
        else:
            f.first_night, f.last_night = first, last
    if f.period == "rolling28":
        f.first_night, f.last_night = anchor - dt.timedelta(days=registry.ROLLING_NIGHTS - 1), anchor
    return f


def _date(value: str | None) -> dt.date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


# --- zone values and the choropleth ---------------------------------------------------------------
