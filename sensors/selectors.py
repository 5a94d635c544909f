"""Reads over readings that need SQL: per-zone, per-slot summaries and night ranges as time ranges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from city import nightslots

from .models import Quality, SensorKind


def night_range_instants(first_night: dt.date, last_night: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants [start, end) whose night lies in [first_night, last_night].

    A night runs from OBSERVATORY_NIGHT_STARTS_HOURS local time on its date to the same hour the next
    day. Filtering on these instants as well as on ``night`` lets PostgreSQL prune partitions and use
    the BRIN index on ``observed_at``.
    """
    tz = nightslots.city_timezone()
    boundary = dt.time(settings.OBSERVATORY_NIGHT_STARTS_HOURS)
    start = dt.datetime.combine(first_night, boundary, tzinfo=tz)
    end = dt.datetime.combine(last_night + dt.timedelta(days=1), boundary, tzinfo=tz)
    return start, end


@dataclass(frozen=True)
class ZoneSlotSummary:
    zone_id: int
    zone_code: str
    zone_name: str
    slot: str
    count: int
    median: float
    p10: float
    p90: float
    sensors: int
    coverage: float | None


def zone_slot_summaries(
    *, kind: SensorKind, first_night: dt.date, last_night: dt.date, zone_id: int | None = None
) -> list[ZoneSlotSummary]:
    """Median, 10th and 90th percentile and count of a kind's good readings per zone and slot.

    ``coverage`` is the share of the readings expected from the zone's sensors of that kind (those
    installed during the range, or reporting in it) at the kind's expected interval over the slot's hours of each night;
    capped at 1. One GROUP BY with percentile_cont, whatever the number of readings.
    """
    start, end = night_range_instants(first_night, last_night)
    nights = (last_night - first_night).days + 1
    slot_codes = [s.code for s in nightslots.slots()]
    slot_hours = [(s.end_hour - s.start_hour) % 24 for s in nightslots.slots()]
    zone_filter = "AND r.zone_id = %(zone)s" if zone_id is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH agg AS (
                SELECT r.zone_id, r.slot, count(*) AS n, count(DISTINCT r.sensor_id) AS reporting,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.value) AS median,
                       percentile_cont(0.1) WITHIN GROUP (ORDER BY r.value) AS p10,
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY r.value) AS p90
                FROM sensors_reading r JOIN sensors_sensor s ON s.id = r.sensor_id
                WHERE s.kind_id = %(kind)s AND r.quality = %(ok)s
                  AND r.observed_at >= %(start)s AND r.observed_at < %(end)s
                  AND r.night BETWEEN %(first)s AND %(last)s AND r.zone_id IS NOT NULL {zone_filter}
                GROUP BY r.zone_id, r.slot
            ), fleet AS (
                SELECT zone_id, count(*) AS sensors FROM sensors_sensor
                WHERE kind_id = %(kind)s AND installed_on <= %(last)s
                  AND (removed_on IS NULL OR removed_on >= %(first)s)
                GROUP BY zone_id
            ), slot_hours AS (
                SELECT * FROM unnest(%(slots)s::text[], %(hours)s::int[], %(order)s::int[]) AS t(slot, hours, ord)
            )
            SELECT a.zone_id, z.code, z.name, a.slot, a.n, a.median, a.p10, a.p90,
                   greatest(f.sensors, a.reporting),
                   least(1.0, a.n / nullif(greatest(f.sensors, a.reporting) * %(nights)s * h.hours * 3600.0
                                           / %(interval)s, 0))
            FROM agg a
            JOIN observatory_zone z ON z.id = a.zone_id
            LEFT JOIN fleet f ON f.zone_id = a.zone_id
            LEFT JOIN slot_hours h ON h.slot = a.slot
            ORDER BY z.code, h.ord
            """,
            {
                "kind": kind.id,
                "ok": Quality.OK,
                "start": start,
                "end": end,
                "first": first_night,
                "last": last_night,
                "zone": zone_id,
                "slots": slot_codes,
                "hours": slot_hours,
                "order": list(range(len(slot_codes))),
                "nights": nights,
                "interval": kind.expected_interval_seconds,
            },
        )
        return [ZoneSlotSummary(*row) for row in cursor.fetchall()]
