"""Read-side selectors of the officers' dashboards: one function per table or map layer.

Pages and their CSV/GeoJSON exports call the same selector with the same ``Filters``, so an export
always matches what the page shows. Everything reads the derived tables (indicators, hot spots,
alerts) except a few bounded queries on raw rows: a zone's recent reports (LIMIT), its category
breakdown over one period (index on zone, night, slot) and the report clusters (grouped in SQL on
a grid of the zoom's size, from privacy-snapped points; never one feature per report).

Colour classes (docs/methodology.md, "Dashboard"): five quantile classes of the values shown
(numpy quantiles, equal counts per class; fewer classes when there are fewer distinct values),
ColorBrewer RdYlBu ordered so red is always the less safe end. Uncertainty: fill opacity follows
the confidence grade (A 0.85, B 0.65, C 0.45, D 0.25) or, without a grade, n (n/30, capped).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from . import dateguard, indicators, nightslots
from . import statistics as st
from .i18n import english_active
from .models import Alert, HotSpot, Zone

ISTAT_FEELING_SAFE = 0.76  # ISTAT BES 2022-23: share of people feeling very or fairly safe walking alone after dark
MAP_GEOMETRY_TOLERANCE = 0.0002  # degrees, about 20 m: plenty for a city-wide choropleth
MIN_MAP_ZOOM, MAX_MAP_ZOOM = 8, 18  # zooms outside are simplified as at the nearest of these
RECENT_REPORTS = 10
MAX_CUSTOM_NIGHTS = 366
MAX_COMPARE = 6
TREND_WEEKS = 26
MIN_CONFIDENT_N = 30
GRADE_OPACITY = {"A": 0.85, "B": 0.65, "C": 0.45, "D": 0.25}
# RdYlBu, red = less safe.
PALETTE = {
    1: ["#4575b4"],
    2: ["#d73027", "#4575b4"],
    3: ["#d73027", "#fee090", "#4575b4"],
    4: ["#d73027", "#fc8d59", "#91bfdb", "#4575b4"],
    5: ["#d73027", "#fc8d59", "#fee090", "#91bfdb", "#4575b4"],
}
NO_DATA_COLOUR = "#bbbbbb"
# Derived data cached under the indicator data version (a recompute moves it on); the timeout only
# bounds how long entries of old versions linger in Redis.
DATA_CACHE_SECONDS = 6 * 3600
# A zone page's sensors, projects, alerts and hot-spot status: read afresh at most this often (and
# at once after a recompute or an acknowledgement, which move the data version on).
LIVE_CACHE_SECONDS = 15
BACKLOG_CAP = 1_000
T = TypeVar("T")

PERIODS = {
    "last_night": gettext_lazy("Last night"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "rolling28": gettext_lazy("Rolling 28 nights"),
    "custom": gettext_lazy("Custom range"),
}
METRICS = {
    indicators.PSI: gettext_lazy("Perceived Safety Index (0-100)"),
    indicators.SHARE_FEELING_SAFE: gettext_lazy("Share feeling safe"),
    indicators.REPORT_RATE: gettext_lazy("Report rate"),
    indicators.AUDIT_SCORE: gettext_lazy("Audit score (0-3)"),
    "illuminance_median": gettext_lazy("Illuminance (median)"),
    "footfall_median": gettext_lazy("Footfall (median)"),
    "noise_median": gettext_lazy("Noise (median)"),
}
# Higher value = safer? (the composite's own directions; the index itself is 'safer = higher').
SAFER_IF_HIGHER = {indicators.PSI: True, **{c.metric: c.higher_is_safer for c in st.COMPONENTS}}
LAYERS = ("hotspots", "projects", "sensors", "reports")


@dataclass
class Filters:
    metric: str = indicators.PSI
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
        from urllib.parse import urlencode

        params = {"metric": self.metric, "slot": self.slot, "period": self.period}
        if self.period == "custom":
            params.update({"from": self.first_night.isoformat(), "to": self.last_night.isoformat()})
        if self.layers:
            params["layers"] = ",".join(self.layers)
        params.update(extra)
        return urlencode(params)


def parse_filters(params, *, anchor: dt.date | None = None) -> Filters:
    """Filters from the query string; anything unknown falls back to a default and says why in ``errors``.

    The custom range's dates go through the one date-range guard (``observatory.dateguard``), so a
    range in year 1 or 9999 falls back to the rolling window with a notice instead of overflowing the
    date arithmetic of the previous period, the trend and the hot spots.
    """
    anchor = anchor or indicators.anchor_night()
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
        f.first_night, f.last_night = anchor - dt.timedelta(days=indicators.ROLLING_NIGHTS - 1), anchor
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


# --- zone values and the choropleth ---------------------------------------------------------------


@dataclass(frozen=True)
class ZoneValue:
    value: float | None
    lower: float | None
    upper: float | None
    n: int
    coverage: float | None
    grade: str
    numerator: float | None = None


def zone_values(f: Filters, *, metric: str | None = None) -> dict[int, ZoneValue]:
    """Value per zone id of a metric for the filters' slot and period (one query)."""
    metric = metric or f.metric
    with connection.cursor() as cursor:
        if f.period_kind:
            cursor.execute(
                """
                SELECT zone_id, value, lower, upper, n, coverage, grade, numerator FROM observatory_indicator
                WHERE metric = %s AND method_version = %s AND period_kind = %s AND period_start = %s AND slot = %s
                """,
                [metric, indicators.METHOD_VERSION, f.period_kind, f.first_night, f.slot],
            )
            return {r[0]: ZoneValue(*r[1:]) for r in cursor.fetchall()}
        # Custom range: nights pooled. Shares pool k/n exactly (Wilson interval); other metrics are the
        # n-weighted mean of the nightly values, without an interval.
        cursor.execute(
            """
            SELECT zone_id, sum(value * greatest(n, 1)) / nullif(sum(greatest(n, 1)), 0), sum(n)::int,
                   sum(numerator), avg(coverage)
            FROM observatory_indicator
            WHERE metric = %s AND method_version = %s AND period_kind = 'night' AND slot = %s
              AND period_start BETWEEN %s AND %s AND value IS NOT NULL
            GROUP BY zone_id
            """,
            [metric, indicators.METHOD_VERSION, f.slot, f.first_night, f.last_night],
        )
        out = {}
        for zone_id, value, n, numerator, coverage in cursor.fetchall():
            lower = upper = None
            if metric == indicators.SHARE_FEELING_SAFE and n:
                value = numerator / n
                lower, upper = st.wilson_interval(round(numerator), n)
            out[zone_id] = ZoneValue(value, lower, upper, n, coverage, "", numerator)
        return out


def classify(values: list[float], *, safer_if_higher: bool = True) -> list[dict]:
    """Quantile classes (at most 5) with colours: [{'low', 'high', 'colour', 'label'}], low to high value."""
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if not finite.size:
        return []
    k = min(5, len(np.unique(finite)))
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, k + 1)))
    if len(edges) == 1:
        edges = np.array([edges[0], edges[0]])
    colours = PALETTE[len(edges) - 1]
    if not safer_if_higher:
        colours = list(reversed(colours))
    return [{"low": float(edges[i]), "high": float(edges[i + 1]), "colour": colours[i]} for i in range(len(edges) - 1)]


def colour_for(value: float | None, classes: list[dict]) -> str:
    if value is None or not classes:
        return NO_DATA_COLOUR
    for c in classes:
        if value <= c["high"]:
            return c["colour"]
    return classes[-1]["colour"]


def opacity_for(v: ZoneValue | None) -> float:
    if v is None or v.value is None:
        return 0.2
    if v.grade in GRADE_OPACITY:
        return GRADE_OPACITY[v.grade]
    return round(0.25 + 0.6 * min(1.0, (v.n or 0) / MIN_CONFIDENT_N), 2)


def format_value(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    if metric == indicators.SHARE_FEELING_SAFE:
        return f"{100 * value:.0f}%"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def tolerance_for_zoom(zoom: int | None) -> float:
    """Simplification tolerance in degrees: about half a screen pixel at that web-map zoom.

    Without a zoom (exports, tables), the fixed city-wide tolerance (about 20 m).
    """
    if zoom is None:
        return MAP_GEOMETRY_TOLERANCE
    zoom = max(MIN_MAP_ZOOM, min(MAX_MAP_ZOOM, zoom))
    return 360.0 / (256 * 2**zoom) / 2


def zone_geometries(zoom: int | None = None) -> dict[int, dict]:
    """Zone geometries as GeoJSON dicts, simplified for the zoom, cached until zones change."""
    tolerance = tolerance_for_zoom(zoom)
    key = f"zone-geometries:{tolerance:.3e}:" + _zones_version()
    cached = cache.get(key)
    if cached is not None:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, code, name, population,
                   ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(geom, %s)), 6)
            FROM observatory_zone ORDER BY id
            """,
            [tolerance],
        )
        geometries = {
            zone_id: {"code": code, "name": name, "population": population, "geometry": json.loads(geojson)}
            for zone_id, code, name, population, geojson in cursor.fetchall()
        }
    cache.set(key, geometries, timeout=24 * 3600)
    return geometries


def _zones_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(id), 0), coalesce(extract(epoch FROM max(updated_at)), 0)"
            " FROM observatory_zone"
        )
        count, id_sum, updated = cursor.fetchone()
    return f"{count}-{id_sum}-{updated}"


def cached_by_data(name: str, parts: tuple, build: Callable[[], T], *, timeout: int = DATA_CACHE_SECONDS) -> T:
    """``build()``, cached under the indicator data version: fresh after every recompute, shared by workers.

    Only derived data read from the indicator tables (and the reports a recompute was marked for)
    goes here; live counts (backlog, alerts) and anything a person just changed are read each time.
    """
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:24]
    key = f"dashboard:{name}:{indicators.data_version()}:{get_language()}:{digest}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=timeout)
    return value


def fragment_key(name: str, parts: tuple) -> str:
    """A key for a template fragment ({% cache %}) built only from derived data: moves with the data version."""
    raw = repr((name, indicators.data_version(), get_language(), parts))
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def filter_key(f: Filters) -> tuple:
    return (f.metric, f.slot, f.period, f.first_night, f.last_night)


def zone_table(f: Filters) -> tuple[list[dict], list[dict]]:
    """(rows, classes): one row per zone with value, interval, n, coverage, grade, colour and opacity."""
    return cached_by_data("zone-table", filter_key(f), lambda: _zone_table(f))


def _zone_table(f: Filters) -> tuple[list[dict], list[dict]]:
    values = zone_values(f)
    shares = (
        values if f.metric == indicators.SHARE_FEELING_SAFE else zone_values(f, metric=indicators.SHARE_FEELING_SAFE)
    )
    classes = classify([v.value for v in values.values()], safer_if_higher=SAFER_IF_HIGHER.get(f.metric, True))
    rows = []
    for zone_id, zone in zone_geometries().items():
        v = values.get(zone_id)
        share = shares.get(zone_id)
        rows.append(
            {
                "zone_id": zone_id,
                "code": zone["code"],
                "name": zone["name"],
                "population": zone["population"],
                "metric": f.metric,
                "slot": f.slot,
                "first_night": f.first_night.isoformat(),
                "last_night": f.last_night.isoformat(),
                "value": _round(v.value if v else None),
                "lower": _round(v.lower if v else None),
                "upper": _round(v.upper if v else None),
                "n": (v.n if v else 0) or 0,
                "coverage": _round(v.coverage if v else None),
                "grade": v.grade if v else "",
                "share_feeling_safe": _round(share.value if share else None),
                "colour": colour_for(v.value if v else None, classes),
                "opacity": opacity_for(v),
                "label": format_value(f.metric, v.value if v else None),
            }
        )
    return rows, classes


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


def zone_features(f: Filters, *, zoom: int | None = None) -> dict:
    rows, classes = zone_table(f)
    geometries = zone_geometries(zoom)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": r["code"], "geometry": geometries[r["zone_id"]]["geometry"], "properties": r}
            for r in rows
        ],
        "properties": {
            "metric": f.metric,
            "slot": f.slot,
            "period": f.period,
            "first_night": f.first_night.isoformat(),
            "last_night": f.last_night.isoformat(),
            "legend": legend(f.metric, classes),
        },
    }


def legend(metric: str, classes: list[dict]) -> list[dict]:
    return [
        {"colour": c["colour"], "label": f"{format_value(metric, c['low'])} – {format_value(metric, c['high'])}"}
        for c in classes
    ]


# --- KPI cards --------------------------------------------------------------------------------------


def _indicator_kpis(f: Filters) -> dict[str, tuple[float, int, float]]:
    """Reports (now, previous period) and answers feeling safe, from the nightly indicator rows."""
    prev_first, prev_last = f.previous
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT metric,
                   coalesce(sum(numerator) FILTER (WHERE period_start BETWEEN %s AND %s), 0),
                   coalesce(sum(n) FILTER (WHERE period_start BETWEEN %s AND %s), 0),
                   coalesce(sum(numerator) FILTER (WHERE period_start BETWEEN %s AND %s), 0)
            FROM observatory_indicator
            WHERE metric = ANY(%s) AND method_version = %s AND period_kind = 'night' AND slot = %s
              AND period_start BETWEEN %s AND %s
            GROUP BY metric
            """,
            [f.first_night, f.last_night, f.first_night, f.last_night, prev_first, prev_last,
             [indicators.REPORT_RATE, indicators.SHARE_FEELING_SAFE], indicators.METHOD_VERSION, f.slot,
             prev_first, f.last_night],
        )  # fmt: skip
        return {m: (float(num), int(n), float(prev)) for m, num, n, prev in cursor.fetchall()}


def kpis(f: Filters) -> dict:
    """The overview's cards: indicator sums (cached by data version), then live sensor, backlog and alert counts."""
    by_metric = cached_by_data("kpis", filter_key(f), lambda: _indicator_kpis(f))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE active AND removed_on IS NULL),
                   count(*) FILTER (WHERE active AND removed_on IS NULL AND NOT silent),
                   count(DISTINCT zone_id) FILTER (WHERE active AND removed_on IS NULL AND NOT silent),
                   (SELECT count(*) FROM observatory_zone)
            FROM sensors_sensor
            """
        )
        sensors_active, sensors_healthy, zones_with_sensors, zones = cursor.fetchone()
        # Counted up to a cap: past it the card says "more than", and the count stays a few milliseconds.
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM reports_report WHERE status = 'submitted' AND NOT is_published"
            " LIMIT %s) t",
            [BACKLOG_CAP + 1],
        )  # index on (status, -created_at)
        backlog = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM observatory_alert WHERE acknowledged_at IS NULL")
        open_alerts = cursor.fetchone()[0]
    reports_now, _n, reports_before = by_metric.get(indicators.REPORT_RATE, (0.0, 0, 0.0))
    feeling_safe, answers, _p = by_metric.get(indicators.SHARE_FEELING_SAFE, (0.0, 0, 0.0))
    share = feeling_safe / answers if answers else None
    return {
        "reports": round(reports_now),
        "reports_previous": round(reports_before),
        "reports_change": (reports_now - reports_before) / reports_before if reports_before else None,
        "share_feeling_safe": share,
        "share_interval": st.wilson_interval(round(feeling_safe), answers) if answers else (None, None),
        "answers": answers,
        "istat": ISTAT_FEELING_SAFE,
        "share_vs_istat": share - ISTAT_FEELING_SAFE if share is not None else None,
        "sensors_active": sensors_active,
        "sensors_healthy": sensors_healthy,
        "sensor_zone_coverage": zones_with_sensors / zones if zones else None,
        "moderation_backlog": min(backlog, BACKLOG_CAP),
        "moderation_backlog_capped": backlog > BACKLOG_CAP,
        "open_alerts": open_alerts,
    }


# --- layers -----------------------------------------------------------------------------------------


def hotspot_rows(f: Filters, *, zone_id: int | None = None) -> list[dict]:
    """Hot spots of the filters' slot for the period (a custom range reads the rolling window at its end)."""
    kind = f.period_kind or "rolling28"
    start = f.first_night if f.period_kind else f.last_night - dt.timedelta(days=indicators.ROLLING_NIGHTS - 1)
    qs = HotSpot.objects.filter(
        slot=f.slot, period_kind=kind, period_start=start, method_version=indicators.METHOD_VERSION
    ).select_related("zone")
    qs = qs.filter(zone_id=zone_id) if zone_id is not None else qs.exclude(cluster=HotSpot.Cluster.NONE)
    return [
        {
            "zone_id": h.zone_id,
            "code": h.zone.code,
            "name": h.zone.name,
            "slot": h.slot,
            "period_kind": h.period_kind,
            "period_start": h.period_start.isoformat(),
            "cluster": h.cluster,
            "cluster_label": str(h.get_cluster_display()),
            "psi": _round(h.value, 2),
            "gi_z": _round(h.gi_z, 3),
            "gi_q": _round(h.gi_q, 4),
            "moran_i": _round(h.moran_i, 3),
            "moran_q": _round(h.moran_q, 4),
            "quadrant": h.moran_quadrant,
        }
        for h in qs.order_by("cluster", "gi_q", "zone__code")
    ]


def hotspot_features(f: Filters) -> dict:
    rows = hotspot_rows(f)
    geometries = zone_geometries()
    return _collection(
        [{"type": "Feature", "geometry": geometries[r["zone_id"]]["geometry"], "properties": r} for r in rows]
    )


def project_rows(*, zone_id: int | None = None) -> list[dict]:
    """Funded project sites (grants), with the zones they touch: the same public rows /projects/ shows."""
    from django.contrib.gis.db.models.functions import AsGeoJSON

    from grants.models import Project

    qs = Project.objects.public().annotate(sites_geojson=AsGeoJSON("sites", precision=6)).order_by("start_on", "id")
    if zone_id is not None:
        qs = qs.filter(zones=zone_id)
    return [
        {
            "id": p.pk,
            "title": p.title,
            "status": str(p.get_status_display()),
            "start_on": p.start_on.isoformat(),
            "end_on": p.end_on.isoformat(),
            "granted_amount": str(p.granted_amount),
            "url": p.get_absolute_url(),
            "geometry": json.loads(p.sites_geojson) if p.sites_geojson else None,
        }
        for p in qs
    ]


def project_features() -> dict:
    rows = project_rows()
    return _collection(
        [
            {
                "type": "Feature",
                "geometry": r["geometry"],
                "properties": {k: v for k, v in r.items() if k != "geometry"},
            }
            for r in rows
            if r["geometry"]
        ]
    )


def sensor_rows(*, zone_id: int | None = None) -> list[dict]:
    from sensors.models import Sensor

    qs = Sensor.objects.select_related("kind").filter(removed_on__isnull=True).order_by("external_id")
    if zone_id is not None:
        qs = qs.filter(zone_id=zone_id)
    return [
        {
            "external_id": s.external_id,
            "name": s.name,
            "kind": s.kind.code,
            "active": s.active,
            "silent": s.silent,
            "health": "silent" if s.silent else ("ok" if s.active and s.last_seen_at else "no_data"),
            "last_seen_at": timezone.localtime(s.last_seen_at).strftime("%Y-%m-%d %H:%M") if s.last_seen_at else "",
            "lon": round(s.location.x, 6),
            "lat": round(s.location.y, 6),
        }
        for s in qs
    ]


def sensor_features() -> dict:
    return _collection(
        [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}, "properties": r}
            for r in sensor_rows()
        ]
    )


def cluster_grid_m(zoom: int) -> float:
    """Cluster cell in Web-Mercator metres: about 60 screen pixels, never below the privacy grid."""
    from django.conf import settings

    zoom = max(8, min(18, zoom))
    return max(60 * 156543.03 / 2**zoom, settings.OBSERVATORY_PRIVACY_GRID_M * 2)


def report_clusters(f: Filters, *, zoom: int) -> list[dict]:
    """Reports of the period and slot counted per grid cell (privacy-snapped points first), in SQL."""
    from reports.models import INDICATOR_EXCLUDED_STATUSES
    from reports.privacy import snapped_sql

    snapped, snap_params = snapped_sql("location")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH cells AS (
                SELECT ST_SnapToGrid(ST_Transform({snapped}, 3857), %s) AS cell, perceived_safety
                FROM reports_report
                WHERE night BETWEEN %s AND %s AND slot = %s AND status <> ALL(%s)
            )
            SELECT ST_X(ST_Transform(cell, 4326)), ST_Y(ST_Transform(cell, 4326)), count(*),
                   avg((perceived_safety >= 3)::int)
            FROM cells GROUP BY cell ORDER BY count(*) DESC LIMIT 2000
            """,
            [*snap_params, cluster_grid_m(zoom), f.first_night, f.last_night, f.slot,
             list(INDICATOR_EXCLUDED_STATUSES)],
        )  # fmt: skip
        return [
            {"lon": round(x, 6), "lat": round(y, 6), "count": count, "share_feeling_safe": _round(share)}
            for x, y, count, share in cursor.fetchall()
        ]


def report_cluster_features(f: Filters, *, zoom: int) -> dict:
    return _collection(
        [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}, "properties": r}
            for r in report_clusters(f, zoom=zoom)
        ]
    )


def nightslots_label(code: str) -> str:
    return str(dict(nightslots.slot_choices()).get(code, code))


def _without(row: dict, key: str) -> dict:
    return {k: v for k, v in row.items() if k != key}


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


# --- alerts -------------------------------------------------------------------------------------------


def alert_rows(*, status: str = "open", zone_id: int | None = None) -> list[dict]:
    qs = Alert.objects.select_related("zone", "acknowledged_by")
    if status == "open":
        qs = qs.filter(acknowledged_at__isnull=True)
    elif status == "acknowledged":
        qs = qs.filter(acknowledged_at__isnull=False)
    if zone_id is not None:
        qs = qs.filter(zone_id=zone_id)
    return [
        {
            "id": a.pk,
            "zone_code": a.zone.code,
            "zone_name": a.zone.name,
            "slot": a.slot,
            "slot_label": nightslots_label(a.slot),
            "metric": a.metric,
            "metric_label": str(METRICS.get(a.metric, a.metric)),
            "window_start": a.window_start.isoformat(),
            "window_end": a.window_end.isoformat(),
            "baseline": _round(a.baseline),
            "current": _round(a.current),
            "baseline_n": a.baseline_n,
            "current_n": a.current_n,
            "p_value": _round(a.p_value, 6),
            "q_value": _round(a.q_value, 6),
            "acknowledged_by": a.acknowledged_by.get_username() if a.acknowledged_by else "",
            "acknowledged_at": timezone.localtime(a.acknowledged_at).strftime("%Y-%m-%d %H:%M")
            if a.acknowledged_at
            else "",
        }
        for a in qs.order_by("-window_end", "p_value", "id")[:500]
    ]


# --- zone page and compare ----------------------------------------------------------------------------


def zone_series(zone: Zone, *, last_night: dt.date, metric: str | None = None, weeks: int = TREND_WEEKS) -> list[dict]:
    """Weekly values of one zone for every slot: one metric, or the index and every component."""
    first = last_night - dt.timedelta(days=7 * weeks)
    metrics = [metric] if metric else list(METRICS)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT period_start, slot, metric, value, lower, upper, n, grade FROM observatory_indicator
            WHERE zone_id = %s AND period_kind = 'week' AND method_version = %s AND metric = ANY(%s)
              AND period_start BETWEEN %s AND %s
            ORDER BY period_start, slot, metric
            """,
            [zone.pk, indicators.METHOD_VERSION, metrics, first, last_night],
        )
        labels = {code: str(label) for code, label in nightslots.slot_choices()}
        return [
            {"week": w.isoformat(), "slot": s, "slot_label": labels.get(s, s), "metric": m, "value": _round(v),
             "lower": _round(lo), "upper": _round(hi), "n": n, "grade": g}
            for w, s, m, v, lo, hi, n, g in cursor.fetchall()
        ]  # fmt: skip


def zone_slot_comparison(zone: Zone, f: Filters) -> list[dict]:
    """Every metric of the zone for every slot in the filters' period: day against the night slots."""
    metrics = list(METRICS)
    with connection.cursor() as cursor:
        if f.period_kind:
            cursor.execute(
                """
                SELECT slot, metric, value, lower, upper, n, grade FROM observatory_indicator
                WHERE zone_id = %s AND period_kind = %s AND period_start = %s AND method_version = %s
                  AND metric = ANY(%s)
                """,
                [zone.pk, f.period_kind, f.first_night, indicators.METHOD_VERSION, metrics],
            )
            rows = cursor.fetchall()
        else:  # a custom range: the nights pooled as zone_values pools them, every slot and metric at once
            cursor.execute(
                """
                SELECT slot, metric, sum(value * greatest(n, 1)) / nullif(sum(greatest(n, 1)), 0), sum(n)::int,
                       sum(numerator)
                FROM observatory_indicator
                WHERE zone_id = %s AND period_kind = 'night' AND method_version = %s AND metric = ANY(%s)
                  AND period_start BETWEEN %s AND %s AND value IS NOT NULL
                GROUP BY slot, metric
                """,
                [zone.pk, indicators.METHOD_VERSION, metrics, f.first_night, f.last_night],
            )
            rows = []
            for slot, metric, value, n, numerator in cursor.fetchall():
                lower = upper = None
                if metric == indicators.SHARE_FEELING_SAFE and n:
                    value = numerator / n
                    lower, upper = st.wilson_interval(round(numerator), n)
                rows.append((slot, metric, value, lower, upper, n, ""))
    by_key = {(r[0], r[1]): r for r in rows}
    labels = {code: str(label) for code, label in nightslots.slot_choices()}
    out = []
    for metric in metrics:
        for slot in nightslots.slot_codes():
            r = by_key.get((slot, metric))
            out.append(
                {"metric": metric, "metric_label": str(METRICS[metric]), "slot": slot,
                 "slot_label": labels[slot], "value": _round(r[2]) if r else None,
                 "lower": _round(r[3]) if r else None, "upper": _round(r[4]) if r else None,
                 "n": r[5] if r else 0, "grade": r[6] if r else ""}
            )  # fmt: skip
    return out


def category_breakdown(zone: Zone, f: Filters) -> list[dict]:
    """Reports of the zone per category in the period and slot (bounded by the zone/night/slot index)."""
    from reports.models import INDICATOR_EXCLUDED_STATUSES

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.code, c.name_it, c.name_en, count(*), avg((r.perceived_safety >= 3)::int)
            FROM reports_report r JOIN reports_category c ON c.id = r.category_id
            WHERE r.zone_id = %s AND r.night BETWEEN %s AND %s AND r.slot = %s AND r.status <> ALL(%s)
            GROUP BY c.code, c.name_it, c.name_en ORDER BY count(*) DESC, c.code
            """,
            [zone.pk, f.first_night, f.last_night, f.slot, list(INDICATOR_EXCLUDED_STATUSES)],
        )
        english = english_active()
        return [
            {"category": code, "name": name_en if english else name_it, "reports": count,
             "share_feeling_safe": _round(share)}
            for code, name_it, name_en, count, share in cursor.fetchall()
        ]  # fmt: skip


def recent_reports(zone: Zone, *, limit: int = RECENT_REPORTS) -> list[dict]:
    from reports.models import Report

    qs = (
        Report.objects.filter(zone=zone)
        .exclude(status__in=Report.NOT_PUBLIC_STATUSES)
        .select_related("category")
        .only("tracking_code", "occurred_at", "slot", "perceived_safety", "status", "category")
        .order_by("-night", "-occurred_at")[:limit]  # the (zone, night, slot) index, read backwards
    )
    return [
        {"tracking_code": r.tracking_code,
         "occurred_at": timezone.localtime(r.occurred_at).strftime("%Y-%m-%d %H:%M"),
         "slot": r.slot, "category": str(r.category), "perceived_safety": r.get_perceived_safety_display(),
         "status": str(r.get_status_display())}
        for r in qs
    ]  # fmt: skip


def compare_rows(zones: list[Zone], f: Filters) -> list[dict]:
    """Every metric for each of the zones, for the filters' slot and period."""
    ids = [z.pk for z in zones]
    values = {m: zone_values(f, metric=m) for m in METRICS} if not f.period_kind else None
    if f.period_kind:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT zone_id, metric, value, lower, upper, n, coverage, grade, numerator
                FROM observatory_indicator
                WHERE zone_id = ANY(%s) AND period_kind = %s AND period_start = %s AND slot = %s
                  AND method_version = %s AND metric = ANY(%s)
                """,
                [ids, f.period_kind, f.first_night, f.slot, indicators.METHOD_VERSION, list(METRICS)],
            )
            values = {m: {} for m in METRICS}
            for zone_id, metric, *rest in cursor.fetchall():
                values[metric][zone_id] = ZoneValue(*rest)
    rows = []
    for metric in METRICS:
        for z in zones:
            v = values[metric].get(z.pk)
            rows.append(
                {"metric": metric, "code": z.code, "name": z.name, "value": _round(v.value if v else None),
                 "lower": _round(v.lower if v else None), "upper": _round(v.upper if v else None),
                 "n": v.n if v else 0, "grade": v.grade if v else "",
                 "label": format_value(metric, v.value if v else None)}
            )  # fmt: skip
    return rows


# --- exports --------------------------------------------------------------------------------------------


def csv_columns(rows: list[dict]) -> list[str]:
    """The columns of a table's CSV: its rows' keys, in order (none for an empty table)."""
    return list(rows[0]) if rows else []
