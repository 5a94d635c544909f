"""The indicators' read API: what pages, exports, the API and the impact estimates read.

Every read of the indicator table outside the engine's own stages goes through here, always at the
current method version (``Indicator.objects.current()``). Each function is one query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Avg, F, FloatField, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest, NullIf, Round, TruncMonth, TruncWeek

from . import registry
from . import statistics as st
from .models import Alert, HotSpot, Indicator

NIGHT = Indicator.PeriodKind.NIGHT
WEEK = Indicator.PeriodKind.WEEK


@dataclass(frozen=True)
class ZoneValue:
    value: float | None
    lower: float | None
    upper: float | None
    n: int
    coverage: float | None
    grade: str
    numerator: float | None = None


def _n_weighted_mean():
    """Nights pooled: the n-weighted mean of the nightly values (a night without n counts once)."""
    weight = Greatest("n", Value(1))
    return Sum(F("value") * weight, output_field=FloatField()) / NullIf(Sum(weight), 0)


def _pooled_share(metric: str, value, n, numerator) -> tuple[float | None, float | None, float | None]:
    """Shares pool k/n exactly (Wilson interval); other metrics keep their mean, without an interval."""
    if metric == registry.SHARE_FEELING_SAFE and n:
        lower, upper = st.wilson_interval(round(numerator), n)
        return numerator / n, lower, upper
    return value, None, None


def zone_values(
    *, metric: str, slot: str, period_kind: str | None, first: dt.date, last: dt.date
) -> dict[int, ZoneValue]:
    """Value per zone id of a metric for a slot and a stored period, or for nights pooled (period_kind None)."""
    rows = Indicator.objects.current().metric(metric).slot(slot)
    if period_kind:
        return {
            zone_id: ZoneValue(*rest)
            for zone_id, *rest in rows.period(period_kind, first).values_list(
                "zone_id", "value", "lower", "upper", "n", "coverage", "grade", "numerator"
            )
        }
    pooled = (
        rows.nights(first, last)
        .values("zone_id")
        .annotate(mean=_n_weighted_mean(), total=Sum("n"), k=Sum("numerator"), cover=Avg("coverage"))
        .values_list("zone_id", "mean", "total", "k", "cover")
    )
    out = {}
    for zone_id, value, n, numerator, coverage in pooled:
        value, lower, upper = _pooled_share(metric, value, n, numerator)
        out[zone_id] = ZoneValue(value, lower, upper, n, coverage, "", numerator)
    return out


def night_sums(
    *, metrics: list[str], slot: str, first: dt.date, last: dt.date, previous: tuple[dt.date, dt.date]
) -> dict[str, tuple[float, int, float]]:
    """Per metric: (sum of numerators, sum of n) over [first, last] and the sum of numerators over ``previous``."""
    now, before = Q(period_start__range=(first, last)), Q(period_start__range=previous)
    rows = (
        Indicator.objects.current()
        .metric(*metrics)
        .slot(slot)
        .filter(period_kind=NIGHT, period_start__range=(previous[0], last))
        .values("metric")
        .annotate(
            k=Coalesce(Sum("numerator", filter=now), 0.0),
            total=Coalesce(Sum("n", filter=now), 0),
            k_before=Coalesce(Sum("numerator", filter=before), 0.0),
        )
        .values_list("metric", "k", "total", "k_before")
    )
    return {metric: (float(k), int(n), float(k_before)) for metric, k, n, k_before in rows}


def zone_weekly_rows(*, zone_id: int, metrics: list[str], first: dt.date, last: dt.date) -> list[tuple]:
    """(week start, slot, metric, value, lower, upper, n, grade) of one zone's weekly rows, in order."""
    return list(
        Indicator.objects.current()
        .metric(*metrics)
        .filter(zone_id=zone_id, period_kind=WEEK, period_start__range=(first, last))
        .order_by("period_start", "slot", "metric")
        .values_list("period_start", "slot", "metric", "value", "lower", "upper", "n", "grade")
    )


def zone_slot_rows(
    *, zone_id: int, metrics: list[str], period_kind: str | None, first: dt.date, last: dt.date
) -> list[tuple]:
    """(slot, metric, value, lower, upper, n, grade) of one zone, every slot: a stored period or nights pooled."""
    rows = Indicator.objects.current().metric(*metrics).filter(zone_id=zone_id)
    if period_kind:
        return list(
            rows.period(period_kind, first).values_list("slot", "metric", "value", "lower", "upper", "n", "grade")
        )
    pooled = (
        rows.nights(first, last)
        .values("slot", "metric")
        .annotate(mean=_n_weighted_mean(), total=Sum("n"), k=Sum("numerator"))
        .values_list("slot", "metric", "mean", "total", "k")
    )
    out = []
    for slot, metric, value, n, numerator in pooled:
        value, lower, upper = _pooled_share(metric, value, n, numerator)
        out.append((slot, metric, value, lower, upper, n, ""))
    return out


def zones_period_values(
    *, zone_ids: list[int], metrics: list[str], slot: str, period_kind: str, start: dt.date
) -> dict[str, dict[int, ZoneValue]]:
    """metric -> zone id -> value, for a few zones in one stored period and slot."""
    values: dict[str, dict[int, ZoneValue]] = {m: {} for m in metrics}
    rows = (
        Indicator.objects.current()
        .metric(*metrics)
        .slot(slot)
        .period(period_kind, start)
        .filter(zone_id__in=zone_ids)
        .values_list("zone_id", "metric", "value", "lower", "upper", "n", "coverage", "grade", "numerator")
    )
    for zone_id, metric, *rest in rows:
        values[metric][zone_id] = ZoneValue(*rest)
    return values


def city_weekly_trend(*, first_night: dt.date, last_night: dt.date) -> list[tuple[dt.date, str, int, int]]:
    """City-wide (week start, slot, n, feeling safe) rows, pooled from the nightly shares."""
    rows = (
        Indicator.objects.current()
        .metric(registry.SHARE_FEELING_SAFE)
        .nights(first_night, last_night, with_value=False)
        .annotate(week=TruncWeek("period_start"))
        .values("week", "slot")
        .annotate(total=Sum("n"), k=Round(Sum("numerator")))
        .order_by("week", "slot")
        .values_list("week", "slot", "total", "k")
    )
    return [(week, slot, n, int(k)) for week, slot, n, k in rows]


def latest_night() -> dt.date | None:
    """The last night with a share feeling safe computed at the current method version."""
    return (
        Indicator.objects.current()
        .metric(registry.SHARE_FEELING_SAFE)
        .filter(period_kind=NIGHT)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .first()
    )


def group_component_scores(*, period_kind: str, period_start: dt.date, slot: str) -> tuple[list[int], np.ndarray]:
    """(zone ids, zones x components scores 0-100) of one group, normalised as the composite does."""
    components = registry.COMPONENTS
    by_metric = {c.metric: j for j, c in enumerate(components)}
    rows = list(
        Indicator.objects.current()
        .metric(*by_metric)
        .slot(slot)
        .period(period_kind, period_start)
        .filter(value__isnull=False)
        .order_by("zone_id")
        .values_list("zone_id", "metric", "value")
    )
    zones = sorted({r[0] for r in rows})
    index = {z: i for i, z in enumerate(zones)}
    values = np.full((len(zones), len(components)), np.nan)
    for zone, metric, value in rows:
        values[index[zone], by_metric[metric]] = value
    scores = np.full(values.shape, np.nan)
    for j, component in enumerate(components):
        column = values[:, j]
        low = high = None
        if component.bounds is None and np.isfinite(column).any():
            low, high = float(np.nanmin(column)), float(np.nanmax(column))
        scores[:, j] = st.normalise(column, component, low, high)
    return zones, scores


def share_counts_around(
    *, first: dt.date, start: dt.date, last: dt.date
) -> dict[tuple[int, str], tuple[int, int, int, int]]:
    """(zone, slot) -> (answers, feeling safe) before ``start`` and from it on, nights in [first, last]."""
    before, after = Q(period_start__lt=start), Q(period_start__gte=start)
    rows = (
        Indicator.objects.current()
        .metric(registry.SHARE_FEELING_SAFE)
        .nights(first, last, with_value=False)
        .values("zone_id", "slot")
        .annotate(
            pre_n=Coalesce(Sum("n", filter=before), 0),
            pre_k=Coalesce(Round(Sum("numerator", filter=before)), 0.0),
            post_n=Coalesce(Sum("n", filter=after), 0),
            post_k=Coalesce(Round(Sum("numerator", filter=after)), 0.0),
        )
        .values_list("zone_id", "slot", "pre_n", "pre_k", "post_n", "post_k")
    )
    return {(zone, slot): (int(a), int(b), int(c), int(d)) for zone, slot, a, b, c, d in rows}


def weekly_index_windows(
    *, first: dt.date, start: dt.date, last: dt.date, after_dark: str, day_slot: str
) -> list[tuple]:
    """Per (zone, slot), the weekly index of the full weeks wholly before ``start`` and wholly after it.

    Rows: (zone, slot, weeks before, mean before, variance before, n before, the same after). The
    ``after_dark`` slot pools each week's mean over every slot but ``day_slot`` first. Kept in SQL:
    the sample variances and the week-by-week pooling are one pass there.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH weeks AS (
                SELECT zone_id, slot, period_start, value, n, period_start >= %(start)s AS post
                FROM {Indicator._meta.db_table}
                WHERE metric = %(metric)s AND method_version = %(version)s AND period_kind = 'week'
                  AND value IS NOT NULL AND period_start >= %(first)s AND period_start + 6 <= %(last)s
                  AND (period_start + 6 < %(start)s OR period_start >= %(start)s)
            ), pooled AS (
                SELECT zone_id, slot, post, value, n FROM weeks
                UNION ALL
                SELECT zone_id, %(after_dark)s, post, avg(value), sum(n) FROM weeks WHERE slot <> %(day)s
                GROUP BY zone_id, period_start, post
            )
            SELECT zone_id, slot,
                   count(*) FILTER (WHERE NOT post), avg(value) FILTER (WHERE NOT post),
                   var_samp(value) FILTER (WHERE NOT post), coalesce(sum(n) FILTER (WHERE NOT post), 0)::int,
                   count(*) FILTER (WHERE post), avg(value) FILTER (WHERE post),
                   var_samp(value) FILTER (WHERE post), coalesce(sum(n) FILTER (WHERE post), 0)::int
            FROM pooled GROUP BY zone_id, slot
            """,
            {
                "start": start,
                "first": first,
                "last": last,
                "metric": registry.PSI,
                "version": registry.METHOD_VERSION,
                "after_dark": after_dark,
                "day": day_slot,
            },
        )
        return cursor.fetchall()


# --- the monthly brief's reads (a scope of zones, or the city when zone_ids is None) --------------------


def _in_scope(rows, zone_ids: list[int] | None):
    return rows if zone_ids is None else rows.filter(zone_id__in=zone_ids)


def monthly_share_counts(*, zone_ids: list[int] | None, first: dt.date, last: dt.date) -> list[tuple]:
    """(month, slot, n, feeling safe) pooled from the nightly shares of the scope's zones, in order."""
    rows = (
        _in_scope(Indicator.objects.current().metric(registry.SHARE_FEELING_SAFE), zone_ids)
        .nights(first, last, with_value=False)
        .annotate(month=TruncMonth("period_start"))
        .values("month", "slot")
        .annotate(total=Coalesce(Sum("n"), 0), k=Coalesce(Round(Sum("numerator")), 0.0))
        .order_by("month", "slot")
        .values_list("month", "slot", "total", "k")
    )
    return [(month, slot, int(n), int(k)) for month, slot, n, k in rows]


def monthly_index_rows(*, zone_ids: list[int] | None, first: dt.date, last: dt.date) -> list[tuple]:
    """(month, slot, zone id, value, lower, upper, n) of the stored monthly index of the scope's zones."""
    return list(
        _in_scope(Indicator.objects.current().metric(registry.PSI), zone_ids)
        .filter(period_kind=Indicator.PeriodKind.MONTH, period_start__range=(first, last), value__isnull=False)
        .order_by("period_start", "slot", "zone_id")
        .values_list("period_start", "slot", "zone_id", "value", "lower", "upper", "n")
    )


def hotspots_as_of(*, zone_ids: list[int] | None, last: dt.date) -> list[HotSpot]:
    """The significant hot and cold spots of the latest rolling window that ends by ``last`` (with zones)."""
    current = HotSpot.objects.filter(method_version=registry.METHOD_VERSION, period_kind="rolling28")
    latest = (
        current.filter(period_start__lte=last - dt.timedelta(days=27))
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .first()
    )
    if latest is None:
        return []
    rows = _in_scope(current.filter(period_start=latest).exclude(cluster=HotSpot.Cluster.NONE), zone_ids)
    return list(rows.select_related("zone").order_by("cluster", "gi_p", "zone__code"))


def alerts_between(*, zone_ids: list[int] | None, first: dt.date, last: dt.date) -> list[Alert]:
    """Alerts whose current window ends inside [first, last] (with zones and who acknowledged them)."""
    rows = Alert.objects.filter(method_version=registry.METHOD_VERSION, window_end__range=(first, last))
    return list(_in_scope(rows, zone_ids).select_related("zone", "acknowledged_by").order_by("-window_end", "p_value"))
