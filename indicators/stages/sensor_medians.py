"""Stage 4, sensor medians: medians and quartiles of each sensor kind per cell, with reading coverage."""

from __future__ import annotations

import datetime as dt

from city import nightslots

from .. import registry
from .base import COLUMNS, LIVE_TABLE, METHOD_VERSION, SENSOR_METRICS, delete_cells_without, sensor_metric, upsert


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


@registry.computes(registry.STAGE_SENSOR_MEDIANS, "sensors")
def write_sensor_medians(cursor, *, full: bool, target: str) -> None:
    """Sensor medians and quartiles per cell and reading coverage.

    Night: each sensor's median (and quartiles) of its readings, then the median over the zone's
    sensors of that kind, so a sensor that sends more often does not weigh more. Longer periods: the
    median of the nightly values.

    Coverage = readings present / readings expected from the zone's installed sensors of that kind
    over the cell's nights (slot length / the kind's expected interval). Only 'ok' readings count.
    """
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
    delete_cells_without(cursor, metrics, source, full=full, cells=cells)
    cursor.execute(
        f"""
        INSERT INTO {target} {COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, metric, %s, median, NULL, n, q1, q3,
               NULL, NULL, '', coverage, '', now()
        FROM ({source}) s
        ORDER BY zone_id, period_kind, period_start, slot, metric
        {upsert(full)}
        """,
        [METHOD_VERSION],
    )
