"""Demo sensors and their readings for ``seed_demo``: a few devices per kind, a reading every 15 minutes at night.

Deterministic (the step's own random stream) and set-based: the sensors are placed with one
INSERT ... SELECT (ST_GeneratePoints with a seed inside their zone), the values are drawn in numpy,
COPYed one row per sensor and night (an array of the night's values), and turned into readings by
one INSERT ... SELECT that stamps zone, night and slot with the project's SQL. Small scale is about
80,000 readings; large about ten million.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
from django.conf import settings
from django.db import connection

from city import nightslots
from city.models import ZONE_FOR_POINT_SQL
from sensors.models import SensorKind
from sensors.partitions import ensure_month_partitions

# Small stays small so `seed_demo --scale small` takes seconds; large gives about ten million readings.
SENSORS_PER_KIND = {"small": 3, "medium": 40, "large": 380}
READINGS_PER_NIGHT = 48  # every 15 minutes from 18:00 to 06:00 local time
EVENING_START_HOUR = 18
INTERVAL_MINUTES = 15


def _values(rng: np.random.Generator, kind: str, sensors: int, nights: int, weekend: np.ndarray) -> np.ndarray:
    """(sensors, nights, READINGS_PER_NIGHT) values in tenths of the unit, as integers."""
    shape = (sensors, nights, READINGS_PER_NIGHT)
    hour = EVENING_START_HOUR + np.arange(READINGS_PER_NIGHT) * INTERVAL_MINUTES / 60  # 18.0 .. 29.75
    # People out: rises through the evening, peaks around 22-23, falls to nearly nobody by 04.
    activity = np.exp(-(((hour - 22.5) / 2.2) ** 2)) + 0.05
    busy = 1 + 0.6 * weekend[None, :, None]
    if kind == "illuminance":
        base = rng.lognormal(np.log(12.0), 0.7, size=(sensors, 1, 1))  # some streets are well lit, some not
        lux = base * rng.lognormal(0.0, 0.15, size=shape)
        broken = rng.random((sensors, nights, 1)) < 0.03  # a lamp out for the night
        lux = np.where(broken, lux * 0.05, lux)
        return np.round(np.clip(lux, 0.0, 200_000.0) * 10).astype(np.int64)
    if kind == "footfall":
        scale = rng.lognormal(np.log(40.0), 0.6, size=(sensors, 1, 1))
        return rng.poisson(scale * activity[None, None, :] * busy).astype(np.int64) * 10
    # noise: LAeq over 15 minutes, louder where and when people are out
    scale = rng.normal(52.0, 4.0, size=(sensors, 1, 1))
    db = scale + 12 * activity[None, None, :] * busy + rng.normal(0.0, 2.5, size=shape)
    return np.round(np.clip(db, 25.0, 120.0) * 10).astype(np.int64)


def seed_sensors(ctx) -> int:
    """Sensors of each kind spread over the zones, and a reading every 15 minutes of every night."""
    rng = ctx.rng("sensors")
    per_kind = SENSORS_PER_KIND.get(ctx.scale_name, SENSORS_PER_KIND["small"])
    kinds = list(SensorKind.objects.filter(code__in=["illuminance", "footfall", "noise"]).order_by("code"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM observatory_zone ORDER BY id")
        zone_ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
    if not kinds or len(zone_ids) == 0:
        ctx.notes.append("sensors: no sensor kinds or no zones, so no demo sensors")
        return 0
    nights = ctx.nights
    night_dates = [ctx.first_night + dt.timedelta(days=i) for i in range(nights)]
    weekend = np.array([d.weekday() in (4, 5) for d in night_dates], dtype=float)  # Friday, Saturday nights
    installed_on = ctx.first_night - dt.timedelta(days=30)

    with connection.cursor() as cursor:
        # DROP first: seeding twice in one transaction (tests, bench) must not trip over the last run's table.
        cursor.execute("DROP TABLE IF EXISTS _demo_sensor, _demo_sensor_night")
        cursor.execute(
            "CREATE TEMP TABLE _demo_sensor (external_id text, kind_id bigint, zone_id bigint, point_seed int) "
            "ON COMMIT DROP"
        )
        staged = io.StringIO()
        for kind in kinds:
            zones = rng.choice(zone_ids, size=per_kind, replace=per_kind > len(zone_ids))
            seeds = rng.integers(1, 2**31 - 1, size=per_kind)
            for number, (zone_id, point_seed) in enumerate(zip(zones, seeds, strict=True), start=1):
                staged.write(f"DEMO-{kind.code[:3].upper()}-{number:04d}\t{kind.id}\t{zone_id}\t{point_seed}\n")
        staged.seek(0)
        cursor.copy_expert("COPY _demo_sensor FROM STDIN", staged)
        cursor.execute(
            f"""
            INSERT INTO sensors_sensor (external_id, name, kind_id, location, zone_id, active, installed_on,
                                        silent, token_hash, created_at)
            SELECT d.external_id, '', d.kind_id, p.geom, {ZONE_FOR_POINT_SQL.format(point="p.geom")}, true, %s,
                   false, '', now()
            FROM _demo_sensor d JOIN observatory_zone z ON z.id = d.zone_id
            CROSS JOIN LATERAL (SELECT (ST_Dump(ST_GeneratePoints(z.geom, 1, d.point_seed))).geom) p
            ORDER BY d.external_id
            RETURNING id, kind_id
            """,
            [installed_on],
        )
        sensors = sorted(cursor.fetchall())

        cursor.execute(
            "CREATE TEMP TABLE _demo_sensor_night (sensor_id bigint, night date, tenths int[]) ON COMMIT DROP"
        )
        by_kind = {kind.id: kind.code for kind in kinds}
        for kind_id, code in by_kind.items():
            ids = [sensor_id for sensor_id, k in sensors if k == kind_id]
            values = _values(rng, code, len(ids), nights, weekend)
            buffer = io.StringIO()
            for s, sensor_id in enumerate(ids):
                for n, night in enumerate(night_dates):
                    buffer.write(f"{sensor_id}\t{night.isoformat()}\t{{{','.join(map(str, values[s, n].tolist()))}}}\n")
            buffer.seek(0)
            cursor.copy_expert("COPY _demo_sensor_night FROM STDIN", buffer)

        months = set()
        for night in (ctx.first_night, ctx.last_night + dt.timedelta(days=1)):
            months.add(dt.date(night.year, night.month, 1))
        month = min(months)
        while month <= max(months):
            ensure_month_partitions([month])
            month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)

        # Instants counted in absolute time from each night's 18:00 local, so a DST change neither
        # repeats nor skips a reading.
        observed = (
            f"(((sn.night + time '{EVENING_START_HOUR:02d}:00') AT TIME ZONE %s)"
            f" + (v.k - 1) * interval '{INTERVAL_MINUTES} minutes')"
        )
        cursor.execute(
            f"""
            INSERT INTO sensors_reading (sensor_id, observed_at, value, zone_id, night, slot, quality, received_at)
            SELECT sn.sensor_id, o.observed_at, v.tenths / 10.0, s.zone_id,
                   {nightslots.sql_night_of("o.observed_at")}, {nightslots.sql_slot_of("o.observed_at")}, 'ok',
                   o.observed_at
            FROM _demo_sensor_night sn
            JOIN sensors_sensor s ON s.id = sn.sensor_id
            CROSS JOIN LATERAL unnest(sn.tenths) WITH ORDINALITY AS v(tenths, k)
            CROSS JOIN LATERAL (SELECT {observed} AS observed_at) o
            ORDER BY o.observed_at, sn.sensor_id
            """,
            [settings.TIME_ZONE],
        )
        inserted = cursor.rowcount
        cursor.execute(
            """
            UPDATE sensors_sensor s SET last_seen_at = t.last
            FROM (SELECT sensor_id, max(observed_at) AS last FROM sensors_reading GROUP BY sensor_id) t
            WHERE s.id = t.sensor_id
            """
        )
        cursor.execute("ANALYZE sensors_sensor; ANALYZE sensors_reading")
    return inserted
