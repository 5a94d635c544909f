"""Stage 3 and 5, report rates: the counts per cell (zeros included), then Marshall's global
empirical Bayes per (period, slot, unit) group."""

from __future__ import annotations

import numpy as np

from .. import registry
from .. import statistics as st
from .base import (
    COLUMNS,
    METHOD_VERSION,
    RATE_PER_RESIDENTS,
    REPORT_RATE,
    UNIT_KM2,
    UNIT_RESIDENTS,
    copy_in_arrays,
    copy_out_arrays,
    delete_groups_without,
    finite_or_nan,
    upsert,
)


@registry.computes(registry.STAGE_REPORT_RATES, "report rates (counts, empirical Bayes)")
def report_rates(cursor, *, full: bool, target: str) -> None:
    """The stage: counts per cell, then their empirical-Bayes smoothing."""
    count_reports(cursor, target=target)
    smooth_report_rates(cursor, full=full, target=target)


def count_reports(cursor, *, target: str) -> None:
    """_rate_counts: report counts of every zone of every touched (period, slot) group, zeros included.

    Empirical Bayes needs the zones with no report too. The touched cells get their fresh count;
    the other zones of the group keep the count already stored (or zero).
    """
    denominator = f"CASE WHEN z.population > 0 THEN z.population::float / {RATE_PER_RESIDENTS} ELSE z.area_km2 END"
    unit = f"CASE WHEN z.population > 0 THEN '{UNIT_RESIDENTS}' WHEN z.area_km2 > 0 THEN '{UNIT_KM2}' ELSE '' END"
    cursor.execute(
        f"""
        CREATE TEMP TABLE _rate_counts ON COMMIT DROP AS
        SELECT row_number() OVER () AS rid, z.id AS zone_id, g.period_kind, g.period_start, g.slot,
               coalesce(r.n, CASE WHEN c.zone_id IS NULL THEN i.numerator END, 0)::int AS x,
               {denominator} AS denominator, {unit} AS unit
        FROM _groups g CROSS JOIN observatory_zone z
        LEFT JOIN _cells c ON c.zone_id = z.id AND c.period_kind = g.period_kind AND c.period_start = g.period_start
        LEFT JOIN _cell_reports r ON r.zone_id = z.id AND r.period_kind = g.period_kind
             AND r.period_start = g.period_start AND r.slot = g.slot
        LEFT JOIN {target} i ON c.zone_id IS NULL AND i.zone_id = z.id AND i.period_kind = g.period_kind
             AND i.period_start = g.period_start AND i.slot = g.slot AND i.metric = %s AND i.method_version = %s
        """,
        [REPORT_RATE, METHOD_VERSION],
    )


def smooth_report_rates(cursor, *, full: bool, target: str) -> None:
    """Marshall's global EB per (period, slot, unit) group over every zone of the affected groups.

    A group with no report anywhere in the city has no rate (its rows are deleted, not zeroed).
    """
    rid, group, x, p = copy_out_arrays(
        cursor,
        """
        SELECT rid, dense_rank() OVER (ORDER BY period_kind COLLATE "C", period_start, slot COLLATE "C",
                                       unit COLLATE "C") - 1, x::float8,
               coalesce(denominator, 'NaN')::float8
        FROM _rate_counts
        """,
        "iiff",
    )
    cursor.execute(
        """
        CREATE TEMP TABLE _rate_values (rid bigint, value float8, lower float8, upper float8) ON COMMIT DROP
        """
    )
    if len(rid):
        smoothed, lower, upper = st.eb_marshall_grouped(x, p, group)
        keep = np.bincount(group, x)[group] > 0
        copy_in_arrays(
            cursor,
            "_rate_values",
            ["rid", "value", "lower", "upper"],
            [rid[keep], *(finite_or_nan(a[keep]) for a in (smoothed, lower, upper))],
            "ifff",
        )
    cursor.execute(
        """
        CREATE TEMP TABLE _rate ON COMMIT DROP AS
            SELECT r.zone_id, r.period_kind, r.period_start, r.slot, nullif(v.value, 'NaN') AS value, r.x,
                   nullif(v.lower, 'NaN') AS lower, nullif(v.upper, 'NaN') AS upper,
                   CASE WHEN r.denominator > 0 THEN r.x / r.denominator END AS raw, r.denominator, r.unit
            FROM _rate_counts r JOIN _rate_values v USING (rid)
        """
    )
    delete_groups_without(cursor, REPORT_RATE, "_rate", full=full)
    cursor.execute(
        f"""
        INSERT INTO {target} {COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, %s, %s, value, x, x, lower, upper,
               raw, denominator, unit, NULL, '', now()
        FROM _rate ORDER BY zone_id, period_kind, period_start, slot
        {upsert(full)}
        """,
        [REPORT_RATE, METHOD_VERSION],
    )
