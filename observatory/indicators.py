"""Indicator computation and reads: derived data, recomputable at any time from raw rows.

Writes mark (zone, night) stale in their own transaction; ``recompute_stale`` recomputes only
those, with one set-based statement per metric. Every write here is an idempotent upsert keyed by
(zone, period, slot, metric, method version), so running a recompute twice, or twice at once,
gives the same tables. Dashboards read only the indicator table, never raw rows per request.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

logger = logging.getLogger(__name__)

METHOD_VERSION = "1.0"
SHARE_FEELING_SAFE = "share_feeling_safe"
Z_95 = 1.959963984540054
# Wilson score interval for k successes out of n at 95%, written once for SQL (k and n are SQL
# expressions). Python's wilson_interval below is the same formula.
_WILSON_SQL = """
    ((({k})::float/({n}) + {z2}/(2*({n}))
      {sign} {z}*sqrt(({k})::float/({n})*(1-({k})::float/({n}))/({n}) + {z2}/(4*({n})^2)))
     / (1 + {z2}/({n})))
"""


def _wilson_sql(k: str, n: str, sign: str) -> str:
    return _WILSON_SQL.format(k=k, n=n, z=Z_95, z2=Z_95**2, sign=sign)


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float] | tuple[None, None]:
    """Wilson score interval for a proportion; (None, None) when n is zero."""
    if n <= 0:
        return None, None
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def mark_stale(zone_nights: Iterable[tuple[int, dt.date]]) -> None:
    """Record (zone, night) pairs whose indicators must be recomputed, and queue the recompute.

    Call inside the transaction that writes the raw rows: the markers commit or roll back with
    them, and the Celery task is queued only after commit. If the broker is down the markers
    stay, and the beat schedule's periodic recompute picks them up.
    """
    pairs = sorted({(int(z), n) for z, n in zone_nights if z is not None})
    if not pairs:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO observatory_stalezonenight (zone_id, night, marked_at)
            SELECT zone_id, night, now() FROM unnest(%s::bigint[], %s::date[]) AS t(zone_id, night)
            ON CONFLICT (zone_id, night) DO NOTHING
            """,
            [[p[0] for p in pairs], [p[1] for p in pairs]],
        )
    transaction.on_commit(_queue_stale_recompute)


def _queue_stale_recompute() -> None:
    from .tasks import recompute_stale_indicators

    try:
        recompute_stale_indicators.delay()
    except Exception:  # broker down: the stale markers are committed and beat will catch up
        logger.warning("could not queue the stale-indicator recompute; beat will pick it up", exc_info=True)


def _recompute_share_feeling_safe(cursor, zone_nights_sql: str, params: list) -> None:
    """Upsert share-feeling-safe per zone x night x slot for the (zone, night) pairs selected.

    ``zone_nights_sql`` yields (zone_id, night) rows; rows of the indicator for those pairs that
    no longer have reports are deleted, so the result equals a recompute from scratch.
    """
    from reports.models import INDICATOR_EXCLUDED_STATUSES, PerceivedSafety

    excluded = list(INDICATOR_EXCLUDED_STATUSES)
    safe_values = list(PerceivedSafety.feeling_safe())
    cursor.execute(
        f"""
        CREATE TEMP TABLE IF NOT EXISTS _touched (zone_id bigint, night date) ON COMMIT DROP;
        CREATE TEMP TABLE IF NOT EXISTS _agg (zone_id bigint, night date, slot text, n int, k int) ON COMMIT DROP;
        TRUNCATE _touched, _agg;
        INSERT INTO _touched {zone_nights_sql};
        INSERT INTO _agg
            SELECT r.zone_id, r.night, r.slot, count(*), count(*) FILTER (WHERE r.perceived_safety = ANY(%s))
            FROM reports_report r JOIN _touched t ON t.zone_id = r.zone_id AND t.night = r.night
            WHERE r.status <> ALL(%s::text[])
            GROUP BY r.zone_id, r.night, r.slot;
        DELETE FROM observatory_indicator i
            USING _touched t
            WHERE i.zone_id = t.zone_id AND i.period_start = t.night AND i.period_kind = 'night'
              AND i.metric = %s AND i.method_version = %s
              AND NOT EXISTS (SELECT 1 FROM _agg a WHERE a.zone_id = i.zone_id AND a.night = i.period_start
                              AND a.slot = i.slot);
        INSERT INTO observatory_indicator
            (zone_id, period_kind, period_start, slot, metric, method_version, value, numerator, n,
             lower, upper, computed_at)
            SELECT zone_id, 'night', night, slot, %s, %s, k::float / n, k, n,
                   greatest(0, {_wilson_sql("k", "n", "-")}), least(1, {_wilson_sql("k", "n", "+")}), now()
            FROM _agg
            ORDER BY zone_id, night, slot
        ON CONFLICT (zone_id, period_kind, period_start, slot, metric, method_version) DO UPDATE
            SET value = EXCLUDED.value, numerator = EXCLUDED.numerator, n = EXCLUDED.n,
                lower = EXCLUDED.lower, upper = EXCLUDED.upper, computed_at = EXCLUDED.computed_at;
        """,
        [*params, safe_values, excluded, SHARE_FEELING_SAFE, METHOD_VERSION, SHARE_FEELING_SAFE, METHOD_VERSION],
    )


def recompute_zone_nights(zone_nights: Iterable[tuple[int, dt.date]]) -> int:
    """Recompute the indicators of the given (zone, night) pairs; returns how many pairs."""
    pairs = sorted(set(zone_nights))
    if not pairs:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        _recompute_share_feeling_safe(
            cursor,
            "SELECT * FROM unnest(%s::bigint[], %s::date[])",
            [[p[0] for p in pairs], [p[1] for p in pairs]],
        )
    return len(pairs)


def recompute_stale(batch_size: int = 5000) -> int:
    """Claim stale (zone, night) markers and recompute them; returns how many were recomputed.

    Claiming deletes the markers in the same transaction as the recompute, with SKIP LOCKED, so two
    workers never wait on each other, and a worker killed mid-way leaves its markers in place.
    """
    done = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                DELETE FROM observatory_stalezonenight
                WHERE id IN (SELECT id FROM observatory_stalezonenight ORDER BY id
                             LIMIT %s FOR UPDATE SKIP LOCKED)
                RETURNING zone_id, night
                """,
                [batch_size],
            )
            pairs = cursor.fetchall()
            if not pairs:
                return done
            _recompute_share_feeling_safe(
                cursor,
                "SELECT * FROM unnest(%s::bigint[], %s::date[])",
                [[p[0] for p in pairs], [p[1] for p in pairs]],
            )
            done += len(pairs)


def recompute_all() -> int:
    """Recompute every zone's nights from raw rows (the nightly safety net); returns pairs touched."""
    with transaction.atomic(), connection.cursor() as cursor:
        # One full recompute at a time; a second caller waits rather than interleaving.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('observatory.recompute_all'))")
        _recompute_share_feeling_safe(
            cursor,
            """SELECT DISTINCT zone_id, night FROM reports_report WHERE zone_id IS NOT NULL
               UNION SELECT DISTINCT zone_id, period_start FROM observatory_indicator WHERE period_kind = 'night'""",
            [],
        )
        cursor.execute("DELETE FROM observatory_stalezonenight")
        cursor.execute("SELECT count(*) FROM _touched")
        return cursor.fetchone()[0]


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
