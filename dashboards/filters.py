"""The dashboards' filters: metric, slot, period and map layers, read from the query string.

Every page and its exports parse the same ``Filters`` (a view can be bookmarked and shared); a
value the page cannot use is replaced by its default and reported in ``errors``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from city import dateguard, nightslots
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
    """Filters from the query string; anything unknown falls back to a default and says why in ``errors``.

    The custom range's dates go through the one date-range guard (``city.dateguard``), so a
    range in year 1 or 9999 falls back to the rolling window with a notice instead of overflowing the
    date arithmetic of the previous period, the trend and the hot spots.
    """
    anchor = anchor or engine.anchor_night()
    f = Filters()
    errors = f.errors
    metric = params.get("metric", f.metric)
    f.metric = metric if metric in METRICS else (errors.append(_("Unknown indicator: shown the index.")) or f.metric)
    slot = params.get("slot", f.slot)
    if slot in nightslots.slot_codes():
        f.slot = slot
    else:
        errors.append(_("Unknown time of day: shown the night."))
    period = params.get("period", f.period)
    if period in PERIODS:
        f.period = period
    else:
        errors.append(_("Unknown period: shown the last 28 nights."))
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
        first, last = _custom_range(params, errors)
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


def _custom_range(params, errors: list[str]) -> tuple[dt.date | None, dt.date | None]:
    """The custom range's dates, each None (and its reason in ``errors``) when missing or refused by the guard."""
    dates = []
    for name, label in (("from", _("From (custom)")), ("to", _("To (custom)"))):
        raw = params.get(name) or ""
        try:
            dates.append(dateguard.parse_date(raw, field=name, label=label) if raw else None)
        except ValidationError as error:
            errors.extend(error.message_dict[name])
            dates.append(None)
    return dates[0], dates[1]


def parse_zone_codes(params, errors: list[str]) -> list[str]:
    """The zone codes to compare (``?zones=A,B``): at most MAX_COMPARE, none holding a NUL; why in ``errors``."""
    codes = [c.strip() for c in params.get("zones", "").split(",") if c.strip()]
    if any("\x00" in c for c in codes):
        errors.append(_("A zone code cannot contain a NUL character; those were left out."))
        codes = [c for c in codes if "\x00" not in c]
    if len(codes) > MAX_COMPARE:
        errors.append(_("At most %(n)d zones can be compared at once; shown the first %(n)d.") % {"n": MAX_COMPARE})
    return codes[:MAX_COMPARE]
