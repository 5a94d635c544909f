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
import logging
import time
from collections.abc import Callable
from functools import partial

from django.db import connection, transaction

from city import opscounters
from city.dataversion import bump_data_version

from . import registry, selectors
from . import statistics as st
from .stages import rates, sensor_medians, shares, survey_shares  # noqa: F401  (they register their steps in the registry)
from .stages.base import BUILD_TABLE, LIVE_TABLE, LOCK_KEY, METHOD_VERSION, Progress, anchor_night, psi_weights
from .stages.cells import aggregate_nights, prepare_cells
from .stages.composite import compose_index
from .stages.swap import add_kept_windows, create_build_table, swap_in_build_table

logger = logging.getLogger(__name__)

# --- the pipeline ----------------------------------------------------------------------------------


def _pipeline(cursor, *, full: bool, anchor: dt.date, progress: Progress | None = None) -> None:
    """Everything after _touched is filled: periods, SQL aggregates, then the statistics.

    Incrementally every step upserts into the live table, keyed. A full rebuild writes into a new
    table without indexes (no index maintenance per row, no keyed conflicts to check), indexes it
    in one sort each, and swaps it in at commit: readers see the old values until then.
    """
    target = BUILD_TABLE if full else LIVE_TABLE
    prepare_cells(cursor, anchor)
    if full:
        add_kept_windows(cursor)
        create_build_table(cursor)
    # The nightly aggregate, then each component stage of the registry in its order, then the composite.
    steps: list[tuple[str, Callable[[], None]]] = [("aggregate", lambda: aggregate_nights(cursor, full=full))]
    for code in registry.PIPELINE_STAGES:
        step = registry.STAGE_STEPS[code]
        steps.append((step.label, partial(step.run, cursor, full=full, target=target)))
    steps.append(("composite index", lambda: compose_index(cursor, full=full, target=target)))
    if full:
        steps.append(("index and swap", lambda: swap_in_build_table(cursor)))
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
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
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
            "SELECT zone_id, night FROM sensors_reading WHERE zone_id IS NOT NULL",
        ]
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
            # When it finished and how long it took, for /metrics and the readiness check.
            transaction.on_commit(
                lambda: opscounters.heartbeat("full_recompute", seconds=round(time.monotonic() - started, 3))
            )
        else:
            touched = _count_touched(cursor)
            _pipeline(cursor, full=False, anchor=anchor, progress=progress)
        transaction.on_commit(bump_data_version)
        return touched


# --- reads -----------------------------------------------------------------------------------------


def sensitivity_run(*, period_kind: str, period_start: dt.date, slot: str, draws: int = 200) -> dict:
    """The sensitivity analysis of one group's index (weights perturbed, one component dropped at a time)."""
    _zones, scores = selectors.group_component_scores(period_kind=period_kind, period_start=period_start, slot=slot)
    result = st.sensitivity(scores, psi_weights(), draws=draws)
    result.update(period_kind=period_kind, period_start=period_start.isoformat(), slot=slot,
                  method_version=METHOD_VERSION)  # fmt: skip
    return result
