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
import json
import math

import numpy as np
from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from city import nightslots, webmap
from city.i18n import in_language
from city.models import Zone
from grants.models import Project
from indicators import registry
from indicators import selectors as indicator_selectors
from indicators import statistics as st
from indicators.models import Alert, HotSpot
from indicators.selectors import ZoneValue
from reports.models import INDICATOR_EXCLUDED_STATUSES, PerceivedSafety, Report
from reports.privacy import snapped_sql
from sensors.models import Sensor
from surveys import labels as sources
from surveys import representative

from .caching import cached_by_data
from .filters import METRICS, SAFER_IF_HIGHER, Filters

MAP_GEOMETRY_TOLERANCE = 0.0002  # degrees, about 20 m: plenty for a city-wide choropleth
MIN_MAP_ZOOM, MAX_MAP_ZOOM = webmap.MIN_ZOOM, webmap.MAX_ZOOM  # the bounds every map shares (city.webmap)
RECENT_REPORTS = 10
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
BACKLOG_CAP = 1_000
# What counts as feeling safe is the reports model's rule (very or fairly safe).
FEELING_SAFE = [int(v) for v in PerceivedSafety.feeling_safe()]


def zone_values(f: Filters, *, metric: str | None = None) -> dict[int, ZoneValue]:
    """Value per zone id of a metric for the filters' slot and period (one query)."""
    return indicator_selectors.zone_values(
        metric=metric or f.metric, slot=f.slot, period_kind=f.period_kind, first=f.first_night, last=f.last_night
    )


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
    if metric == registry.SHARE_FEELING_SAFE:
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
    zoom = webmap.clamp_zoom(zoom)
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


def filter_key(f: Filters) -> tuple:
    return (f.metric, f.slot, f.period, f.first_night, f.last_night)


def zone_table(f: Filters) -> tuple[list[dict], list[dict]]:
    """(rows, classes): one row per zone with value, interval, n, coverage, grade, colour and opacity."""
    return cached_by_data("zone-table", filter_key(f), lambda: _zone_table(f))


def _zone_table(f: Filters) -> tuple[list[dict], list[dict]]:
    values = zone_values(f)
    shares = values if f.metric == registry.SHARE_FEELING_SAFE else zone_values(f, metric=registry.SHARE_FEELING_SAFE)
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
                "source": sources.metric_source(f.metric),
                "share_feeling_safe": _round(share.value if share else None),
                "share_feeling_safe_source": str(sources.REPORTERS),
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
    return indicator_selectors.night_sums(
        metrics=[registry.REPORT_RATE, registry.SHARE_FEELING_SAFE], slot=f.slot, first=f.first_night,
        last=f.last_night, previous=f.previous,
    )  # fmt: skip


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
    reports_now, _n, reports_before = by_metric.get(registry.REPORT_RATE, (0.0, 0, 0.0))
    feeling_safe, answers, _p = by_metric.get(registry.SHARE_FEELING_SAFE, (0.0, 0, 0.0))
    share = feeling_safe / answers if answers else None
    return {
        "reports": round(reports_now),
        "reports_previous": round(reports_before),
        "reports_change": (reports_now - reports_before) / reports_before if reports_before else None,
        # The share of reporters who felt safe: what reporters met, never set against a national survey.
        "share_feeling_safe": share,
        "share_interval": st.wilson_interval(round(feeling_safe), answers) if answers else (None, None),
        "answers": answers,
        **survey_kpis(),
        "sensors_active": sensors_active,
        "sensors_healthy": sensors_healthy,
        "sensor_zone_coverage": zones_with_sensors / zones if zones else None,
        "moderation_backlog": min(backlog, BACKLOG_CAP),
        "moderation_backlog_capped": backlog > BACKLOG_CAP,
        "open_alerts": open_alerts,
    }


def survey_kpis() -> dict:
    """The representative city share (latest weighted survey) and the national figure collected the same way."""
    survey = representative.city_share()
    reference = representative.reference_for(survey.collection) if survey and not survey.suppressed else None
    return {
        "survey": survey,
        "reference": reference,
        "reference_source": sources.reference_source(reference) if reference else "",
        "reporters_source": str(sources.REPORTERS),
        "survey_vs_reference": survey.value - reference.value if reference and survey.value is not None else None,
    }


# --- layers -----------------------------------------------------------------------------------------


def hotspot_rows(f: Filters, *, zone_id: int | None = None) -> list[dict]:
    """Hot spots of the filters' slot for the period (a custom range reads the rolling window at its end)."""
    kind = f.period_kind or "rolling28"
    start = f.first_night if f.period_kind else f.last_night - dt.timedelta(days=registry.ROLLING_NIGHTS - 1)
    qs = HotSpot.objects.filter(
        slot=f.slot, period_kind=kind, period_start=start, method_version=registry.METHOD_VERSION
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
    return max(60 * webmap.metres_per_pixel(zoom), settings.OBSERVATORY_PRIVACY_GRID_M * 2)


def report_clusters(f: Filters, *, zoom: int) -> list[dict]:
    """Reports of the period and slot counted per grid cell (privacy-snapped points first), in SQL."""
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
                   avg((perceived_safety = ANY(%s))::int)
            FROM cells GROUP BY cell ORDER BY count(*) DESC LIMIT 2000
            """,
            [*snap_params, cluster_grid_m(zoom), f.first_night, f.last_night, f.slot,
             list(INDICATOR_EXCLUDED_STATUSES), FEELING_SAFE],
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
            "acknowledged_note": a.acknowledged_note,
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
    rows = indicator_selectors.zone_weekly_rows(zone_id=zone.pk, metrics=metrics, first=first, last=last_night)
    labels = {code: str(label) for code, label in nightslots.slot_choices()}
    return [
        {"week": w.isoformat(), "slot": s, "slot_label": labels.get(s, s), "metric": m, "value": _round(v),
         "lower": _round(lo), "upper": _round(hi), "n": n, "grade": g, "source": sources.metric_source(m)}
        for w, s, m, v, lo, hi, n, g in rows
    ]  # fmt: skip


def zone_slot_comparison(zone: Zone, f: Filters) -> list[dict]:
    """Every metric of the zone for every slot in the filters' period: day against the night slots."""
    metrics = list(METRICS)
    rows = indicator_selectors.zone_slot_rows(
        zone_id=zone.pk, metrics=metrics, period_kind=f.period_kind, first=f.first_night, last=f.last_night
    )
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
                 "n": r[5] if r else 0, "grade": r[6] if r else "", "source": sources.metric_source(metric)}
            )  # fmt: skip
    return out


def category_breakdown(zone: Zone, f: Filters) -> list[dict]:
    """Reports of the zone per category in the period and slot (bounded by the zone/night/slot index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.code, c.name_it, c.name_en, count(*), avg((r.perceived_safety = ANY(%s))::int)
            FROM reports_report r JOIN reports_category c ON c.id = r.category_id
            WHERE r.zone_id = %s AND r.night BETWEEN %s AND %s AND r.slot = %s AND r.status <> ALL(%s)
            GROUP BY c.code, c.name_it, c.name_en ORDER BY count(*) DESC, c.code
            """,
            [FEELING_SAFE, zone.pk, f.first_night, f.last_night, f.slot, list(INDICATOR_EXCLUDED_STATUSES)],
        )
        return [
            {"category": code, "name": in_language(name_it, name_en), "reports": count,
             "share_feeling_safe": _round(share), "source": str(sources.REPORTERS)}
            for code, name_it, name_en, count, share in cursor.fetchall()
        ]  # fmt: skip


def recent_reports(zone: Zone, *, limit: int = RECENT_REPORTS) -> list[dict]:
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
    if f.period_kind:
        values = indicator_selectors.zones_period_values(
            zone_ids=ids, metrics=list(METRICS), slot=f.slot, period_kind=f.period_kind, start=f.first_night
        )
    else:
        values = {m: zone_values(f, metric=m) for m in METRICS}
    rows = []
    for metric in METRICS:
        for z in zones:
            v = values[metric].get(z.pk)
            rows.append(
                {"metric": metric, "code": z.code, "name": z.name, "value": _round(v.value if v else None),
                 "lower": _round(v.lower if v else None), "upper": _round(v.upper if v else None),
                 "n": v.n if v else 0, "grade": v.grade if v else "",
                 "label": format_value(metric, v.value if v else None), "source": sources.metric_source(metric)}
            )  # fmt: skip
    return rows
