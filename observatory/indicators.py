"""Indicator engine: derived data per zone x slot x period, recomputable at any time from raw rows.

Writes mark (zone, night) stale in their own transaction; ``recompute_stale`` recomputes only the
periods containing those nights (the night, its ISO week, its month, and the rolling 28-night
windows over it) with set-based SQL: raw rows are aggregated once per (zone, night, slot), then
rolled up to the periods with ``INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE``. The
statistics SQL cannot do (empirical Bayes rates, the composite index) run in numpy over the
already-aggregated rows of the affected (period, slot) groups. Every write is keyed by (zone,
period, slot, metric, method version), and recomputes take one advisory lock, so running twice,
or twice at once, gives the same tables. The method is docs/methodology.md, version METHOD_VERSION.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from reports.models import SafetyAudit

from . import ddl, nightslots
from . import statistics as st
from .statistics import Z_95, wilson_interval

logger = logging.getLogger(__name__)

METHOD_VERSION = "2.0"
SHARE_FEELING_SAFE = "share_feeling_safe"
REPORT_RATE = "report_rate"
AUDIT_SCORE = "audit_score"
PSI = "psi"
SENSOR_METRICS = ("illuminance", "footfall", "noise")  # sensors.models.IndicatorMetric values
ROLLING_NIGHTS = 28
LOCK_KEY = "observatory.indicators"
LIVE_TABLE = "observatory_indicator"  # Indicator._meta.db_table
BUILD_TABLE = "observatory_indicator_build"  # a full rebuild's new table, swapped in at commit
# The audit's parameters and what counts as feeling safe are the audit model's rules, stated once there.
AUDIT_PARAMETERS = SafetyAudit.PARAMETERS
AUDIT_FEELS_SAFE_MIN = SafetyAudit.FEELS_SAFE_MIN
RATE_PER_RESIDENTS = 10_000
UNIT_RESIDENTS = "per_10k_residents"
UNIT_KM2 = "per_km2"

Progress = Callable[[str, int, int], None]


def audit_metric(parameter: str) -> str:
    return f"audit_{parameter}"


def sensor_metric(kind: str) -> str:
    return f"{kind}_median"


def metric_codes() -> list[str]:
    """Every metric the engine writes to the indicator table (what an API filter may ask for)."""
    return [SHARE_FEELING_SAFE, REPORT_RATE, AUDIT_SCORE, *(audit_metric(p) for p in AUDIT_PARAMETERS),
            *(sensor_metric(k) for k in SENSOR_METRICS), PSI]  # fmt: skip


def anchor_night(now: dt.datetime | None = None) -> dt.date:
    """The last complete night: the rolling 28-night window ends here."""
    return nightslots.night_of(now or timezone.now()) - dt.timedelta(days=1)


def psi_weights() -> dict[str, float]:
    return st.parse_weights(getattr(settings, "OBSERVATORY_PSI_WEIGHTS", None))


# --- staleness -------------------------------------------------------------------------------------


CITIZENS = "citizens"  # reports and safety audits changed
SENSORS = "sensors"  # sensor readings changed
STALE_SOURCES = (CITIZENS, SENSORS)


def mark_stale(zone_nights: Iterable[tuple[int, dt.date]], *, source: str = CITIZENS) -> None:
    """Record (zone, night) pairs whose indicators must be recomputed, and queue the recompute.

    ``source`` says what changed (citizens' reports and audits, or sensor readings): a recompute
    after reports alone does not re-read the readings. Call inside the transaction that writes the
    raw rows: the markers commit or roll back with them, and the Celery task is queued only after
    commit. If the broker is down the markers stay, and the beat schedule's periodic recompute
    picks them up.
    """
    if source not in STALE_SOURCES:
        raise ValueError(f"unknown stale source {source!r}")
    pairs = sorted({(int(z), n) for z, n in zone_nights if z is not None})
    if not pairs:
        return
    citizens, sensors = source == CITIZENS, source == SENSORS
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO observatory_stalezonenight AS s (zone_id, night, marked_at, citizens, sensors)
            SELECT zone_id, night, now(), %s, %s FROM unnest(%s::bigint[], %s::date[]) AS t(zone_id, night)
            ON CONFLICT (zone_id, night) DO UPDATE
            SET citizens = s.citizens OR EXCLUDED.citizens, sensors = s.sensors OR EXCLUDED.sensors
            WHERE NOT (s.citizens >= EXCLUDED.citizens AND s.sensors >= EXCLUDED.sensors)
            """,
            [citizens, sensors, [p[0] for p in pairs], [p[1] for p in pairs]],
        )
    transaction.on_commit(_queue_stale_recompute)


# --- the data version: what derived pages cache against ---------------------------------------------

DATA_VERSION_KEY = "observatory:indicator-data-version"


def data_version() -> str:
    """A token that changes whenever a recompute commits: pages cache derived data under it.

    Kept in the shared cache (Redis) without expiry; if the cache was emptied a new token starts,
    which only means the next pages are built afresh.
    """
    version = cache.get(DATA_VERSION_KEY)
    if version is None:
        cache.add(DATA_VERSION_KEY, uuid.uuid4().hex[:16], timeout=None)
        version = cache.get(DATA_VERSION_KEY)
    return version


def bump_data_version() -> None:
    try:
        cache.set(DATA_VERSION_KEY, uuid.uuid4().hex[:16], timeout=None)
    except Exception:  # cache down: pages fall back to building afresh once it is back (new token)
        logger.warning("could not move the indicator data version on", exc_info=True)


def _queue_stale_recompute() -> None:
    from .tasks import recompute_stale_indicators

    try:
        recompute_stale_indicators.delay()
    except Exception:  # broker down: the stale markers are committed and beat will catch up
        logger.warning("could not queue the stale-indicator recompute; beat will pick it up", exc_info=True)


# --- the SQL stage: raw rows -> night aggregates -> period cells -----------------------------------


def _sensors_available(cursor) -> bool:
    """Sensor medians need the sensors app's tables (built by another issue): skipped until they exist."""
    cursor.execute(
        "SELECT to_regclass('sensors_reading') IS NOT NULL AND to_regclass('sensors_sensorkind') IS NOT NULL"
    )
    return bool(cursor.fetchone()[0])


def _prepare_cells(cursor, anchor: dt.date) -> None:
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


def _aggregate_nights(cursor, *, full: bool) -> None:
    """Aggregate raw reports and audits once per (zone, night, slot) for the nights the cells need."""
    from reports.models import INDICATOR_EXCLUDED_STATUSES, PerceivedSafety

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


_UPSERT_CLAUSE = """
    ON CONFLICT (zone_id, period_kind, period_start, slot, metric, method_version) DO UPDATE
    SET value = EXCLUDED.value, numerator = EXCLUDED.numerator, n = EXCLUDED.n, lower = EXCLUDED.lower,
        upper = EXCLUDED.upper, raw_value = EXCLUDED.raw_value, denominator = EXCLUDED.denominator,
        unit = EXCLUDED.unit, coverage = EXCLUDED.coverage, grade = EXCLUDED.grade,
        computed_at = EXCLUDED.computed_at
"""


def _upsert(full: bool) -> str:
    """Keyed upserts into the live table; a full rebuild inserts into an empty table with no key yet."""
    return "" if full else _UPSERT_CLAUSE


_COLUMNS = (
    "(zone_id, period_kind, period_start, slot, metric, method_version, value, numerator, n, lower, upper,"
    " raw_value, denominator, unit, coverage, grade, computed_at)"
)


def _delete_cells_without(cursor, metrics: list[str], source: str, *, full: bool, cells: str = "_cells") -> None:
    """Delete the touched cells' rows of ``metrics`` that ``source`` (zone, period, slot, metric) no longer has."""
    if full:
        return  # a full rebuild writes into an empty table
    cursor.execute(
        f"""
        DELETE FROM {LIVE_TABLE} i USING {cells} c
        WHERE i.zone_id = c.zone_id AND i.period_kind = c.period_kind AND i.period_start = c.period_start
          AND i.method_version = %s AND i.metric = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM ({source}) s WHERE s.zone_id = i.zone_id AND s.period_kind = i.period_kind
                          AND s.period_start = i.period_start AND s.slot = i.slot AND s.metric = i.metric)
        """,
        [METHOD_VERSION, metrics],
    )


def _write_shares_and_audits(cursor, *, full: bool, target: str) -> None:
    """Share feeling safe (reports + audits, Wilson interval) and audit means (t interval)."""
    share_source = f"""
        SELECT coalesce(r.zone_id, a.zone_id) AS zone_id, coalesce(r.period_kind, a.period_kind) AS period_kind,
               coalesce(r.period_start, a.period_start) AS period_start, coalesce(r.slot, a.slot) AS slot,
               '{SHARE_FEELING_SAFE}'::text AS metric,
               coalesce(r.n, 0) + coalesce(a.n, 0) AS n, coalesce(r.k, 0) + coalesce(a.k, 0) AS k
        FROM _cell_reports r FULL JOIN _cell_audits a
          ON a.zone_id = r.zone_id AND a.period_kind = r.period_kind AND a.period_start = r.period_start
         AND a.slot = r.slot
    """
    _delete_cells_without(cursor, [SHARE_FEELING_SAFE], share_source, full=full)
    cursor.execute(
        f"""
        INSERT INTO {target} {_COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, metric, %s, k::float / n, k, n,
               greatest(0, {st.wilson_sql("k", "n", "-")}), least(1, {st.wilson_sql("k", "n", "+")}),
               NULL, NULL, '', NULL, '', now()
        FROM ({share_source}) s
        ORDER BY zone_id, period_kind, period_start, slot
        {_upsert(full)}
        """,
        [METHOD_VERSION],
    )
    names = ("score", *AUDIT_PARAMETERS)
    metrics = [AUDIT_SCORE if n == "score" else audit_metric(n) for n in names]
    values = ", ".join(f"('{m}', s_{n}, ss_{n})" for m, n in zip(metrics, names, strict=True))
    audit_source = f"""
        SELECT a.zone_id, a.period_kind, a.period_start, a.slot, v.metric, a.n, v.s, v.ss
        FROM _cell_audits a CROSS JOIN LATERAL (VALUES {values}) AS v(metric, s, ss)
    """
    _delete_cells_without(cursor, metrics, audit_source, full=full)
    # Mean with a Student t interval, clipped to the 0-3 scale; one audit says nothing about the spread.
    cursor.execute(
        f"""
        INSERT INTO {target} {_COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, metric, %s, mean, s, n,
               CASE WHEN n > 1 THEN greatest(0, mean - half) ELSE 0 END,
               CASE WHEN n > 1 THEN least(3, mean + half) ELSE 3 END,
               NULL, NULL, '', NULL, '', now()
        FROM (
            SELECT *, s / n AS mean,
                   CASE WHEN n > 1 THEN coalesce(({st.t_quantiles_sql()})[n - 1], {Z_95})
                        * sqrt(greatest(ss - s * s / n, 0) / (n - 1)) / sqrt(n) END AS half
            FROM ({audit_source}) x
        ) y
        ORDER BY zone_id, period_kind, period_start, slot, metric
        {_upsert(full)}
        """,
        [METHOD_VERSION],
    )


def _count_reports(cursor, *, target: str) -> None:
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


def _sensor_scope(cursor) -> tuple[dt.date, dt.date] | None:
    """Fill _sensor_touched, _sensor_cells and _sensor_cell_nights; the nights' range, or None if empty.

    Only pairs whose readings changed are re-read, and only the cells containing such a night are
    rewritten: after reports alone the sensor medians cannot have changed, and are left as they are.
    """
    cursor.execute(
        """
        CREATE TEMP TABLE _sensor_touched ON COMMIT DROP AS SELECT zone_id, night FROM _touched WHERE sensors;
        SELECT min(night), max(night) FROM _sensor_touched;
        """
    )
    first, last = cursor.fetchone()
    if first is None:
        return None
    cursor.execute(
        """
        CREATE TEMP TABLE _sensor_cells ON COMMIT DROP AS
            SELECT c.* FROM _cells c WHERE EXISTS (
                SELECT 1 FROM _sensor_touched t
                WHERE t.zone_id = c.zone_id AND t.night BETWEEN c.period_start AND c.period_end);
        CREATE TEMP TABLE _sensor_cell_nights ON COMMIT DROP AS
            SELECT DISTINCT zone_id, generate_series(period_start, period_end, interval '1 day')::date AS night
            FROM _sensor_cells;
        ANALYZE _sensor_touched; ANALYZE _sensor_cells; ANALYZE _sensor_cell_nights;
        """
    )
    return first, last


def _write_sensor_medians(cursor, *, full: bool, target: str) -> None:
    """Sensor medians and quartiles per cell and reading coverage.

    Night: each sensor's median (and quartiles) of its readings, then the median over the zone's
    sensors of that kind, so a sensor that sends more often does not weigh more. Longer periods: the
    median of the nightly values.

    Coverage = readings present / readings expected from the zone's installed sensors of that kind
    over the cell's nights (slot length / the kind's expected interval). Only 'ok' readings count.
    """
    if not _sensors_available(cursor):
        return
    if full:
        cells, readings_filter, stored, params = "_cells", "", "", []
    else:
        scope = _sensor_scope(cursor)
        if scope is None:
            return
        first, last = scope
        touched, cells, nights = "_sensor_touched", "_sensor_cells", "_sensor_cell_nights"
        # The night and time bounds let PostgreSQL skip the months (partitions) and block ranges
        # (BRIN) that hold none of the touched nights; the join keeps exactly the touched pairs.
        readings_filter = f"""
            JOIN {touched} t ON t.zone_id = r.zone_id AND t.night = r.night
            AND r.night BETWEEN %s AND %s AND r.observed_at >= %s AND r.observed_at < %s
        """
        params = [first, last, first - dt.timedelta(days=1), last + dt.timedelta(days=3)]
        # The other nights of the touched weeks, months and windows come from the stored nightly
        # rows (the same numbers).
        stored = f"""
            INSERT INTO _night_sensors
            SELECT i.zone_id, i.period_start, i.slot, replace(i.metric, '_median', ''), i.n, i.value, i.lower,
                   i.upper
            FROM {LIVE_TABLE} i JOIN {nights} t ON t.zone_id = i.zone_id AND t.night = i.period_start
            WHERE i.period_kind = 'night' AND i.metric = ANY(%s) AND i.method_version = '{METHOD_VERSION}'
              AND i.value IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {touched} u WHERE u.zone_id = i.zone_id AND u.night = i.period_start);
        """
    slot_hours = dict.fromkeys(nightslots.slot_codes(), 0)
    for code in nightslots.config()[2]:
        slot_hours[code] += 1
    cursor.execute(
        f"""
        CREATE TEMP TABLE _sensor_nights ON COMMIT DROP AS
            -- Each sensor's quartiles per night and slot, then the zone's value is the median over
            -- its sensors of that kind. The slot is compared bytewise: a cheaper sort, same groups.
            SELECT r.sensor_id, r.zone_id, r.night, r.slot COLLATE "C" AS slot, count(*)::int AS n,
                   percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY r.value) AS q
            FROM sensors_reading r {readings_filter}
            WHERE r.zone_id IS NOT NULL AND r.quality = 'ok'
            GROUP BY r.sensor_id, r.night, r.slot COLLATE "C", r.zone_id;
        CREATE TEMP TABLE _night_sensors ON COMMIT DROP AS
            SELECT x.zone_id, x.night, x.slot::text COLLATE "default" AS slot, k.indicator_metric AS kind,
                   sum(x.n)::int AS n,
                   CASE WHEN count(*) = 1 THEN min(x.q[2])
                        ELSE percentile_cont(0.5) WITHIN GROUP (ORDER BY x.q[2]) END AS median,
                   CASE WHEN count(*) = 1 THEN min(x.q[1])
                        ELSE percentile_cont(0.5) WITHIN GROUP (ORDER BY x.q[1]) END AS q1,
                   CASE WHEN count(*) = 1 THEN min(x.q[3])
                        ELSE percentile_cont(0.5) WITHIN GROUP (ORDER BY x.q[3]) END AS q3
            FROM _sensor_nights x
            JOIN sensors_sensor se ON se.id = x.sensor_id
            JOIN sensors_sensorkind k ON k.id = se.kind_id AND k.indicator_metric = ANY(%s)
            GROUP BY x.zone_id, x.night, x.slot, k.indicator_metric;
        {stored}
        CREATE INDEX ON _night_sensors (zone_id, night);
        ANALYZE _night_sensors;
        CREATE TEMP TABLE _cell_expected ON COMMIT DROP AS
            SELECT c.zone_id, c.period_kind, c.period_start, s.slot, k.indicator_metric AS kind,
                   sum(greatest(0, least(c.period_end, coalesce(se.removed_on - 1, c.period_end))
                                   - greatest(c.period_start, se.installed_on) + 1)
                       * s.hours * 3600.0 / k.expected_interval_seconds) AS expected
            FROM {cells} c
            JOIN sensors_sensor se ON se.zone_id = c.zone_id
            JOIN sensors_sensorkind k ON k.id = se.kind_id AND k.indicator_metric = ANY(%s)
            CROSS JOIN unnest(%s::text[], %s::int[]) s(slot, hours)
            GROUP BY 1, 2, 3, 4, 5;
        """,
        [
            *params,
            list(SENSOR_METRICS),
            *([] if full else [[sensor_metric(k) for k in SENSOR_METRICS]]),
            list(SENSOR_METRICS),
            list(slot_hours),
            list(slot_hours.values()),
        ],
    )
    source = f"""
        SELECT coalesce(v.zone_id, e.zone_id) AS zone_id, coalesce(v.period_kind, e.period_kind) AS period_kind,
               coalesce(v.period_start, e.period_start) AS period_start, coalesce(v.slot, e.slot) AS slot,
               coalesce(v.kind, e.kind) || '_median' AS metric, v.median, v.q1, v.q3, coalesce(v.n, 0) AS n,
               CASE WHEN e.expected > 0 THEN least(1, coalesce(v.n, 0) / e.expected) END AS coverage
        FROM (
            SELECT c.zone_id, c.period_kind, c.period_start, x.slot, x.kind, sum(x.n)::int AS n,
                   -- a one-night cell is its own night's quartiles: no second sort
                   CASE WHEN count(*) = 1 THEN min(x.median)
                        ELSE percentile_cont(0.5) WITHIN GROUP (ORDER BY x.median) END AS median,
                   CASE WHEN count(*) = 1 THEN min(x.q1)
                        ELSE percentile_cont(0.5) WITHIN GROUP (ORDER BY x.q1) END AS q1,
                   CASE WHEN count(*) = 1 THEN min(x.q3)
                        ELSE percentile_cont(0.5) WITHIN GROUP (ORDER BY x.q3) END AS q3
            FROM {cells} c JOIN _night_sensors x ON x.zone_id = c.zone_id
                 AND x.night BETWEEN c.period_start AND c.period_end
            GROUP BY c.zone_id, c.period_kind, c.period_start, x.slot, x.kind
        ) v FULL JOIN _cell_expected e ON e.zone_id = v.zone_id AND e.period_kind = v.period_kind
             AND e.period_start = v.period_start AND e.slot = v.slot AND e.kind = v.kind
    """
    metrics = [sensor_metric(k) for k in SENSOR_METRICS]
    _delete_cells_without(cursor, metrics, source, full=full, cells=cells)
    cursor.execute(
        f"""
        INSERT INTO {target} {_COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, metric, %s, median, NULL, n, q1, q3,
               NULL, NULL, '', coverage, '', now()
        FROM ({source}) s
        ORDER BY zone_id, period_kind, period_start, slot, metric
        {_upsert(full)}
        """,
        [METHOD_VERSION],
    )


# --- the numpy stage: EB rates and the composite over the affected groups ---------------------------
#
# Aggregated rows travel between PostgreSQL and numpy as binary COPY of fixed-width columns (int8 and
# float8, NULL sent as NaN): no Python object per row in either direction.

_PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, header extension length
_PGCOPY_TRAILER = b"\xff\xff"
_BINARY_TYPES = {"i": ">i8", "f": ">f8"}


def _binary_record(kinds: str) -> np.dtype:
    fields = [("fields", ">i2")]
    for number, kind in enumerate(kinds):
        fields += [(f"length{number}", ">i4"), (f"value{number}", _BINARY_TYPES[kind])]
    return np.dtype(fields)


def _copy_out_arrays(cursor, query: str, kinds: str) -> list[np.ndarray]:
    """Run ``query`` (columns int8 'i' or float8 'f', never NULL) and return its columns as arrays."""
    buffer = io.BytesIO()
    cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", buffer)
    data = buffer.getvalue()
    if not data.startswith(_PGCOPY_HEADER) or not data.endswith(_PGCOPY_TRAILER):
        raise RuntimeError("unexpected binary COPY framing")
    records = np.frombuffer(data[len(_PGCOPY_HEADER) : -len(_PGCOPY_TRAILER)], dtype=_binary_record(kinds))
    if len(records) and not all((records[f"length{i}"] == 8).all() for i in range(len(kinds))):
        raise RuntimeError("binary COPY columns must be non-NULL int8/float8")
    return [records[f"value{i}"].astype("i8" if kind == "i" else "f8") for i, kind in enumerate(kinds)]


def _copy_in_arrays(cursor, table: str, columns: list[str], arrays: list[np.ndarray], kinds: str) -> None:
    """Write equal-length int8/float8 arrays into ``table`` (NaN stays NaN: the SQL turns it into NULL)."""
    records = np.empty(len(arrays[0]), dtype=_binary_record(kinds))
    records["fields"] = len(kinds)
    for number, array in enumerate(arrays):
        records[f"length{number}"] = 8
        records[f"value{number}"] = array
    payload = io.BytesIO(_PGCOPY_HEADER + records.tobytes() + _PGCOPY_TRAILER)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)", payload)


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def _delete_groups_without(cursor, metric: str, table: str, *, full: bool) -> None:
    """Delete the affected groups' rows of ``metric`` that the fresh ``table`` no longer has."""
    if full:
        return  # a full rebuild starts from an empty table
    cursor.execute(
        f"""
        DELETE FROM {LIVE_TABLE} i USING _groups g
        WHERE i.period_kind = g.period_kind AND i.period_start = g.period_start AND i.slot = g.slot
          AND i.metric = %s AND i.method_version = %s
          AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.zone_id = i.zone_id AND t.period_kind = i.period_kind
                          AND t.period_start = i.period_start AND t.slot = i.slot)
        """,
        [metric, METHOD_VERSION],
    )


def _smooth_report_rates(cursor, *, full: bool, target: str) -> None:
    """Marshall's global EB per (period, slot, unit) group over every zone of the affected groups.

    A group with no report anywhere in the city has no rate (its rows are deleted, not zeroed).
    """
    rid, group, x, p = _copy_out_arrays(
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
        _copy_in_arrays(
            cursor,
            "_rate_values",
            ["rid", "value", "lower", "upper"],
            [rid[keep], *(_finite_or_nan(a[keep]) for a in (smoothed, lower, upper))],
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
    _delete_groups_without(cursor, REPORT_RATE, "_rate", full=full)
    cursor.execute(
        f"""
        INSERT INTO {target} {_COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, %s, %s, value, x, x, lower, upper,
               raw, denominator, unit, NULL, '', now()
        FROM _rate ORDER BY zone_id, period_kind, period_start, slot
        {_upsert(full)}
        """,
        [REPORT_RATE, METHOD_VERSION],
    )


def _grades(n: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """``statistics.confidence_grade`` over arrays, as the grade's position in GRADE_LETTERS."""
    conditions = [(n >= min_n) & (coverage >= min_coverage) for _grade, min_n, min_coverage in st.GRADES]
    return np.select(conditions, list(range(len(st.GRADES))), default=len(st.GRADES))


GRADE_LETTERS = "".join(grade for grade, _n, _c in st.GRADES) + "D"


def _compose_index(cursor, *, full: bool, target: str) -> None:
    """The Perceived Safety Index per zone of each affected (period, slot) group, with coverage and grade."""
    components = st.COMPONENTS
    weights = psi_weights()
    w = np.array([weights[c.name] for c in components])
    metrics = [c.metric for c in components]
    share = metrics.index(SHARE_FEELING_SAFE)
    # Cells (group, zone) and groups as integer codes, numbered in one sort.
    cursor.execute(
        f"""
        CREATE TEMP TABLE _psi_input ON COMMIT DROP AS
        SELECT dense_rank() OVER (ORDER BY i.period_kind COLLATE "C", i.period_start, i.slot COLLATE "C", i.zone_id)
                   - 1 AS cell,
               dense_rank() OVER (ORDER BY i.period_kind COLLATE "C", i.period_start, i.slot COLLATE "C") - 1 AS grp,
               i.zone_id, i.period_kind, i.period_start, i.slot, array_position(%s::text[], i.metric::text) - 1 AS j,
               i.value, coalesce(i.lower, i.value) AS lower, coalesce(i.upper, i.value) AS upper, i.n
        FROM {target} i
        JOIN _groups g ON g.period_kind = i.period_kind AND g.period_start = i.period_start AND g.slot = i.slot
        WHERE i.metric = ANY(%s) AND i.method_version = %s AND i.value IS NOT NULL
        """,
        [metrics, metrics, METHOD_VERSION],
    )
    cell, group, component, n_row, value, lower, upper = _copy_out_arrays(
        cursor, "SELECT cell, grp, j::int8, n::int8, value, lower, upper FROM _psi_input", "iiiifff"
    )
    cursor.execute(
        """
        CREATE TEMP TABLE _psi_values (cell bigint, value float8, lower float8, upper float8, n bigint,
                                       coverage float8, grade bigint) ON COMMIT DROP
        """
    )
    if len(cell):
        cells, groups = int(cell.max()) + 1, int(group.max()) + 1
        cell_group = np.zeros(cells, dtype=np.int64)
        cell_group[cell] = group
        shape = (cells, len(components))
        matrices = {name: np.full(shape, np.nan) for name in ("value", "lower", "upper")}
        matrices["value"][cell, component] = value
        matrices["lower"][cell, component] = lower
        matrices["upper"][cell, component] = upper
        n = np.zeros(cells, dtype=np.int64)
        n[cell[component == share]] = n_row[component == share]
        scores, pessimistic, optimistic = (np.full(shape, np.nan) for _ in range(3))
        for j, comp in enumerate(components):
            low, high = st.group_min_max(matrices["value"][:, j], cell_group, groups)
            low, high = low[cell_group], high[cell_group]
            scores[:, j] = st.normalise_grouped(matrices["value"][:, j], comp, low, high)
            a = st.normalise_grouped(matrices["lower"][:, j], comp, low, high)
            b = st.normalise_grouped(matrices["upper"][:, j], comp, low, high)
            pessimistic[:, j], optimistic[:, j] = np.fmin(a, b), np.fmax(a, b)
        psi, coverage = st.composite(scores, w)
        psi_low, _c = st.composite(pessimistic, w)
        psi_high, _c = st.composite(optimistic, w)
        kept = np.flatnonzero(~np.isnan(psi))
        coverage = np.round(coverage[kept], 10)
        _copy_in_arrays(
            cursor,
            "_psi_values",
            ["cell", "value", "lower", "upper", "n", "coverage", "grade"],
            [kept, np.round(psi[kept], 10), np.round(psi_low[kept], 10), np.round(psi_high[kept], 10), n[kept],
             coverage, _grades(n[kept], coverage)],
            "ifffifi",
        )  # fmt: skip
    cursor.execute(
        """
        CREATE TEMP TABLE _psi ON COMMIT DROP AS
            SELECT k.zone_id, k.period_kind, k.period_start, k.slot, v.value, v.lower, v.upper, v.n::int AS n,
                   v.coverage, substr(%s, v.grade::int + 1, 1) AS grade
            FROM _psi_values v
            JOIN (SELECT DISTINCT ON (cell) cell, zone_id, period_kind, period_start, slot FROM _psi_input) k
              USING (cell)
        """,
        [GRADE_LETTERS],
    )
    _delete_groups_without(cursor, PSI, "_psi", full=full)
    cursor.execute(
        f"""
        INSERT INTO {target} {_COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, %s, %s, value, NULL, n, lower, upper,
               NULL, NULL, '', coverage, grade, now()
        FROM _psi ORDER BY zone_id, period_kind, period_start, slot
        {_upsert(full)}
        """,
        [PSI, METHOD_VERSION],
    )


# --- the pipeline ----------------------------------------------------------------------------------


def _pipeline(cursor, *, full: bool, anchor: dt.date, progress: Progress | None = None) -> None:
    """Everything after _touched is filled: periods, SQL aggregates, then the statistics.

    Incrementally every step upserts into the live table, keyed. A full rebuild writes into a new
    table without indexes (no index maintenance per row, no keyed conflicts to check), indexes it
    in one sort each, and swaps it in at commit: readers see the old values until then.
    """
    target = BUILD_TABLE if full else LIVE_TABLE
    _prepare_cells(cursor, anchor)
    if full:
        _add_kept_windows(cursor)
        _create_build_table(cursor)
    steps: list[tuple[str, Callable[[], None]]] = [
        ("aggregate", lambda: _aggregate_nights(cursor, full=full)),
        ("shares and audits", lambda: _write_shares_and_audits(cursor, full=full, target=target)),
        ("report counts", lambda: _count_reports(cursor, target=target)),
        ("sensors", lambda: _write_sensor_medians(cursor, full=full, target=target)),
        ("empirical Bayes", lambda: _smooth_report_rates(cursor, full=full, target=target)),
        ("composite index", lambda: _compose_index(cursor, full=full, target=target)),
    ]
    if full:
        steps.append(("index and swap", lambda: _swap_in_build_table(cursor)))
    for number, (label, step) in enumerate(steps, start=1):
        step()
        if progress is not None:
            progress(label, number, len(steps))
    _drop_temp_tables(cursor)


_TEMP_TABLES = (
    "_touched", "_kept_windows", "_windows", "_cells", "_groups", "_nights", "_night_reports", "_night_audits",
    "_cell_reports", "_cell_audits", "_sensor_touched", "_sensor_cells", "_sensor_cell_nights", "_sensor_nights",
    "_night_sensors", "_cell_expected", "_rate_counts", "_rate_values", "_rate", "_psi_input", "_psi_values", "_psi",
)  # fmt: skip


def _drop_temp_tables(cursor) -> None:
    # ON COMMIT DROP is not enough when the recompute runs inside an outer transaction (a savepoint).
    cursor.execute("DROP TABLE IF EXISTS " + ", ".join(_TEMP_TABLES))


# --- the full rebuild's table swap -----------------------------------------------------------------


def _create_build_table(cursor) -> None:
    """An empty copy of the indicator table's columns (types, defaults, identity), without indexes."""
    cursor.execute(
        f"""
        DROP TABLE IF EXISTS {BUILD_TABLE};
        CREATE TABLE {BUILD_TABLE} (LIKE {LIVE_TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY)
        """
    )


def _build_name(name: str) -> str:
    return f"{name[:50]}_build"


def _swap_in_build_table(cursor) -> None:
    """Give the build table the live table's constraints and indexes, then put it in its place.

    The definitions are read from the live table itself (whatever the migrations made it), built
    under temporary names on the new rows (one sort each, in parallel where PostgreSQL can), and
    renamed back once the old table is dropped, so the schema Django's migrations know is unchanged.
    """
    constraints = ddl.constraints_of(cursor, LIVE_TABLE)
    indexes = ddl.plain_indexes_of(cursor, LIVE_TABLE)
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [LIVE_TABLE])
    live_sequence = cursor.fetchone()[0]
    cursor.execute(
        "SELECT set_config('maintenance_work_mem', '512MB', true), set_config('max_parallel_maintenance_workers',"
        " '2', true)"
    )
    renames: list[str] = []
    for name, kind, definition in constraints:
        # Primary and unique keys own an index whose name must be unique: built under a temporary name.
        built = _build_name(name) if kind in ("p", "u") else name
        cursor.execute(f'ALTER TABLE {BUILD_TABLE} ADD CONSTRAINT "{built}" {definition}')
        if built != name:
            renames.append(f'ALTER TABLE {LIVE_TABLE} RENAME CONSTRAINT "{built}" TO "{name}"')
    for name, definition in indexes:
        cursor.execute(ddl.index_on(definition, name=_build_name(name), table=BUILD_TABLE))
        renames.append(f'ALTER INDEX "{_build_name(name)}" RENAME TO "{name}"')
    cursor.execute(f"SELECT pg_get_serial_sequence('{BUILD_TABLE}', 'id')")
    build_sequence = cursor.fetchone()[0]
    cursor.execute(f"ANALYZE {BUILD_TABLE}")
    # Deferred foreign-key checks queued by earlier writes in this transaction must run before the
    # old table can go (an outer transaction, as in tests, may have written indicators).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"LOCK TABLE {LIVE_TABLE} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"DROP TABLE {LIVE_TABLE}")
    cursor.execute(f"ALTER TABLE {BUILD_TABLE} RENAME TO {LIVE_TABLE}")
    for statement in renames:
        cursor.execute(statement)
    if live_sequence and build_sequence:
        cursor.execute(f"ALTER SEQUENCE {build_sequence} RENAME TO {live_sequence.split('.')[-1]}")


def _lock(cursor) -> None:
    # One recompute at a time (stale or full); a second caller waits rather than interleaving.
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [LOCK_KEY])
    # Sorts for the sensor quartiles and the hash joins of the roll-ups stay in memory; JIT compiling
    # these one-off plans costs more than it saves. Both only for this transaction.
    cursor.execute("SELECT set_config('work_mem', '256MB', true), set_config('jit', 'off', true)")


def _fill_touched(cursor, pairs: list[tuple[int, dt.date, bool, bool]]) -> None:
    """_touched: (zone, night) pairs and what changed in them (citizens' data, sensor readings)."""
    _drop_temp_tables(cursor)
    cursor.execute(
        """
        CREATE TEMP TABLE _touched ON COMMIT DROP AS
            SELECT zone_id, night, bool_or(citizens) AS citizens, bool_or(sensors) AS sensors
            FROM unnest(%s::bigint[], %s::date[], %s::bool[], %s::bool[]) AS t(zone_id, night, citizens, sensors)
            GROUP BY zone_id, night;
        ANALYZE _touched;
        """,
        [[p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs], [p[3] for p in pairs]],
    )


def _count_touched(cursor) -> int:
    cursor.execute("SELECT count(*) FROM _touched")
    return cursor.fetchone()[0]


def recompute_zone_nights(zone_nights: Iterable[tuple[int, dt.date]], *, anchor: dt.date | None = None) -> int:
    """Recompute the indicators of the periods containing the given (zone, night) pairs; returns how many pairs."""
    pairs = sorted(set(zone_nights))
    if not pairs:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
        _fill_touched(cursor, [(zone, night, True, True) for zone, night in pairs])
        _pipeline(cursor, full=False, anchor=anchor or anchor_night())
        transaction.on_commit(bump_data_version)
    return len(pairs)


def recompute_stale(batch_size: int = 5000, *, anchor: dt.date | None = None) -> int:
    """Claim stale (zone, night) markers and recompute them; returns how many were recomputed.

    Claiming deletes the markers in the same transaction as the recompute, so a worker killed
    mid-way leaves its markers in place for the next run.
    """
    done = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            _lock(cursor)
            cursor.execute(
                """
                DELETE FROM observatory_stalezonenight
                WHERE id IN (SELECT id FROM observatory_stalezonenight ORDER BY id
                             LIMIT %s FOR UPDATE SKIP LOCKED)
                RETURNING zone_id, night, citizens, sensors
                """,
                [batch_size],
            )
            pairs = cursor.fetchall()
            if not pairs:
                return done
            _fill_touched(cursor, pairs)
            _pipeline(cursor, full=False, anchor=anchor or anchor_night())
            transaction.on_commit(bump_data_version)
            done += len(pairs)


def recompute_all(
    *, since: dt.date | None = None, anchor: dt.date | None = None, progress: Progress | None = None
) -> int:
    """Recompute from raw rows (the nightly safety net); returns the (zone, night) pairs touched.

    Without ``since`` everything is rebuilt (into a new table swapped in at commit) and values of
    other method versions are purged; with ``since`` only the periods containing nights from that
    date on. Kept rolling windows are recomputed too.
    """
    anchor = anchor or anchor_night()
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
        sensors = _sensors_available(cursor)
        _drop_temp_tables(cursor)
        # Claim the stale markers first: a report committed after this point keeps its marker for the
        # next stale run, whether or not this rebuild's later statements happen to see it.
        cursor.execute(
            "DELETE FROM observatory_stalezonenight" + (" WHERE night >= %s" if since else ""), [since] if since else []
        )
        sources = [
            "SELECT zone_id, night FROM reports_report WHERE zone_id IS NOT NULL",
            "SELECT zone_id, night FROM reports_safetyaudit WHERE zone_id IS NOT NULL",
            f"SELECT zone_id, period_start FROM {LIVE_TABLE} WHERE period_kind = 'night'",
        ]
        if sensors:
            sources.append("SELECT zone_id, night FROM sensors_reading WHERE zone_id IS NOT NULL")
        where = "WHERE night >= %s" if since else ""
        cursor.execute(
            f"CREATE TEMP TABLE _touched ON COMMIT DROP AS SELECT DISTINCT zone_id, night, true AS citizens, "
            f"true AS sensors FROM ({' UNION ALL '.join(sources)}) s(zone_id, night) {where}; ANALYZE _touched;",
            [since] if since else [],
        )
        if since is None:
            # A clean rebuild: rolling windows kept for history survive as windows to recompute.
            cursor.execute(
                f"""
                CREATE TEMP TABLE _kept_windows ON COMMIT DROP AS
                    SELECT DISTINCT period_start FROM {LIVE_TABLE}
                    WHERE period_kind = 'rolling28' AND method_version = %s;
                """,
                [METHOD_VERSION],
            )
            touched = _count_touched(cursor)
            _pipeline(cursor, full=True, anchor=anchor, progress=progress)
        else:
            touched = _count_touched(cursor)
            _pipeline(cursor, full=False, anchor=anchor, progress=progress)
        transaction.on_commit(bump_data_version)
        return touched


def _add_kept_windows(cursor) -> None:
    """A full rebuild empties the table first; the rolling windows it kept are recomputed too."""
    cursor.execute(
        """
        INSERT INTO _cells
        SELECT DISTINCT t.zone_id, 'rolling28', k.period_start, k.period_start + %s
        FROM _touched t JOIN _kept_windows k ON t.night BETWEEN k.period_start AND k.period_start + %s
        EXCEPT SELECT * FROM _cells;
        INSERT INTO _groups
        SELECT DISTINCT c.period_kind, c.period_start, s.slot FROM _cells c CROSS JOIN unnest(%s::text[]) s(slot)
        EXCEPT SELECT * FROM _groups;
        ANALYZE _cells; ANALYZE _groups;
        """,
        [ROLLING_NIGHTS - 1, ROLLING_NIGHTS - 1, nightslots.slot_codes()],
    )


# --- reads -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneShare:
    zone_id: int
    n: int
    feeling_safe: int

    @property
    def share(self) -> float | None:
        return self.feeling_safe / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | tuple[None, None]:
        return wilson_interval(self.feeling_safe, self.n)


def zone_shares(*, slot: str, first_night: dt.date, last_night: dt.date) -> dict[int, ZoneShare]:
    """Share feeling safe per zone, pooled over the nights in [first_night, last_night], for a slot."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT zone_id, sum(n)::int, round(sum(numerator))::int FROM observatory_indicator
            WHERE metric = %s AND method_version = %s AND period_kind = 'night' AND slot = %s
              AND period_start BETWEEN %s AND %s
            GROUP BY zone_id
            """,
            [SHARE_FEELING_SAFE, METHOD_VERSION, slot, first_night, last_night],
        )
        return {zone_id: ZoneShare(zone_id, n, k) for zone_id, n, k in cursor.fetchall()}


def city_weekly_trend(*, first_night: dt.date, last_night: dt.date) -> list[tuple[dt.date, str, int, int]]:
    """City-wide (week start, slot, n, feeling safe) rows, from the indicator table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT date_trunc('week', period_start)::date AS week, slot, sum(n)::int, round(sum(numerator))::int
            FROM observatory_indicator
            WHERE metric = %s AND method_version = %s AND period_kind = 'night'
              AND period_start BETWEEN %s AND %s
            GROUP BY week, slot ORDER BY week, slot
            """,
            [SHARE_FEELING_SAFE, METHOD_VERSION, first_night, last_night],
        )
        return cursor.fetchall()


def latest_night() -> dt.date | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(period_start) FROM observatory_indicator WHERE metric = %s AND period_kind = 'night'",
            [SHARE_FEELING_SAFE],
        )
        return cursor.fetchone()[0]


def group_component_scores(*, period_kind: str, period_start: dt.date, slot: str) -> tuple[list[int], np.ndarray]:
    """(zone ids, zones x components scores 0-100) of one group, normalised as the composite does."""
    components = st.COMPONENTS
    by_metric = {c.metric: j for j, c in enumerate(components)}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT zone_id, metric, value FROM observatory_indicator
            WHERE period_kind = %s AND period_start = %s AND slot = %s AND method_version = %s
              AND metric = ANY(%s) AND value IS NOT NULL
            ORDER BY zone_id
            """,
            [period_kind, period_start, slot, METHOD_VERSION, list(by_metric)],
        )
        rows = cursor.fetchall()
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


def sensitivity_run(*, period_kind: str, period_start: dt.date, slot: str, draws: int = 200) -> dict:
    """The sensitivity analysis of one group's index (weights perturbed, one component dropped at a time)."""
    _zones, scores = group_component_scores(period_kind=period_kind, period_start=period_start, slot=slot)
    result = st.sensitivity(scores, psi_weights(), draws=draws)
    result.update(period_kind=period_kind, period_start=period_start.isoformat(), slot=slot,
                  method_version=METHOD_VERSION)  # fmt: skip
    return result
