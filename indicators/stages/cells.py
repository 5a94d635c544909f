"""Stage 1, cells: from the touched (zone, night) pairs to every (zone, period) cell and (period,
slot) group they change, and the raw reports and audits aggregated once per (zone, night, slot)."""

from __future__ import annotations

import datetime as dt

from city import nightslots
from reports.models import INDICATOR_EXCLUDED_STATUSES, PerceivedSafety

from .base import (
    AUDIT_FEELS_SAFE_MIN,
    AUDIT_PARAMETERS,
    METHOD_VERSION,
    PSI,
    REPORT_RATE,
    ROLLING_NIGHTS,
    SHARE_FEELING_SAFE,
)

# --- the SQL stage: raw rows -> night aggregates -> period cells -----------------------------------


def prepare_cells(cursor, anchor: dt.date) -> None:
    """From _touched (zone, night) build _cells: every (zone, period) whose value the nights change."""
    cursor.execute(
        """
        CREATE TEMP TABLE _windows ON COMMIT DROP AS
            SELECT DISTINCT period_start AS start FROM observatory_indicator
            WHERE metric = ANY(%s) AND period_kind = 'rolling28' AND method_version = %s
            UNION SELECT %s::date;
        CREATE TEMP TABLE _cells ON COMMIT DROP AS
            SELECT DISTINCT zone_id, 'night'::text AS period_kind, night AS period_start, night AS period_end
            FROM _touched
            UNION SELECT DISTINCT zone_id, 'week', date_trunc('week', night)::date, date_trunc('week', night)::date + 6
            FROM _touched
            UNION SELECT DISTINCT zone_id, 'month', date_trunc('month', night)::date,
                   (date_trunc('month', night) + interval '1 month - 1 day')::date
            FROM _touched
            UNION SELECT DISTINCT t.zone_id, 'rolling28', w.start, w.start + %s
            FROM _touched t JOIN _windows w ON t.night BETWEEN w.start AND w.start + %s;
        CREATE INDEX ON _cells (zone_id, period_start, period_end);
        CREATE TEMP TABLE _groups ON COMMIT DROP AS
            SELECT DISTINCT c.period_kind, c.period_start, s.slot FROM _cells c CROSS JOIN unnest(%s::text[]) s(slot);
        ANALYZE _cells; ANALYZE _groups;
        """,
        [
            [SHARE_FEELING_SAFE, REPORT_RATE, PSI],
            METHOD_VERSION,
            anchor - dt.timedelta(days=ROLLING_NIGHTS - 1),
            ROLLING_NIGHTS - 1,
            ROLLING_NIGHTS - 1,
            nightslots.slot_codes(),
        ],
    )


def aggregate_nights(cursor, *, full: bool) -> None:
    """Aggregate raw reports and audits once per (zone, night, slot) for the nights the cells need."""
    if full:
        nights_join = ""
    else:
        cursor.execute(
            """
            CREATE TEMP TABLE _nights ON COMMIT DROP AS
                SELECT DISTINCT zone_id, generate_series(period_start, period_end, interval '1 day')::date AS night
                FROM _cells;
            ANALYZE _nights;
            """
        )
        nights_join = "JOIN _nights t ON t.zone_id = {a}.zone_id AND t.night = {a}.night"
    excluded = list(INDICATOR_EXCLUDED_STATUSES)
    score = "(" + " + ".join(f"a.{p}" for p in AUDIT_PARAMETERS) + ")::float / 9"
    audit_columns = ", ".join(
        f"sum({expr})::float AS s_{name}, sum(({expr})^2)::float AS ss_{name}"
        for name, expr in [("score", score), *((p, f"a.{p}") for p in AUDIT_PARAMETERS)]
    )
    cursor.execute(
        f"""
        CREATE TEMP TABLE _night_reports ON COMMIT DROP AS
            SELECT r.zone_id, r.night, r.slot, count(*)::int AS n,
                   count(*) FILTER (WHERE r.perceived_safety = ANY(%s))::int AS k
            FROM reports_report r {nights_join.format(a="r")}
            WHERE r.zone_id IS NOT NULL AND r.status <> ALL(%s::text[])
            GROUP BY r.zone_id, r.night, r.slot;
        CREATE TEMP TABLE _night_audits ON COMMIT DROP AS
            SELECT a.zone_id, a.night, a.slot, count(*)::int AS n,
                   count(*) FILTER (WHERE a.feeling >= %s)::int AS k, {audit_columns}
            FROM reports_safetyaudit a {nights_join.format(a="a")}
            WHERE a.zone_id IS NOT NULL AND a.status <> ALL(%s::text[])
            GROUP BY a.zone_id, a.night, a.slot;
        CREATE INDEX ON _night_reports (zone_id, night);
        CREATE INDEX ON _night_audits (zone_id, night);
        ANALYZE _night_reports; ANALYZE _night_audits;
        """,
        [list(PerceivedSafety.feeling_safe()), excluded, AUDIT_FEELS_SAFE_MIN, excluded],
    )
    sums = ", ".join(f"sum(a.s_{n}) AS s_{n}, sum(a.ss_{n}) AS ss_{n}" for n in ("score", *AUDIT_PARAMETERS))
    cursor.execute(
        f"""
        CREATE TEMP TABLE _cell_reports ON COMMIT DROP AS
            SELECT c.zone_id, c.period_kind, c.period_start, r.slot, sum(r.n)::int AS n, sum(r.k)::int AS k
            FROM _cells c JOIN _night_reports r
              ON r.zone_id = c.zone_id AND r.night BETWEEN c.period_start AND c.period_end
            GROUP BY c.zone_id, c.period_kind, c.period_start, r.slot;
        CREATE TEMP TABLE _cell_audits ON COMMIT DROP AS
            SELECT c.zone_id, c.period_kind, c.period_start, a.slot, sum(a.n)::int AS n, sum(a.k)::int AS k, {sums}
            FROM _cells c JOIN _night_audits a
              ON a.zone_id = c.zone_id AND a.night BETWEEN c.period_start AND c.period_end
            GROUP BY c.zone_id, c.period_kind, c.period_start, a.slot;
        """
    )
