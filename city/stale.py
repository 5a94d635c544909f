"""The stale-marker ledger: what producers (reports, sensors) call when raw rows change.

The base layer cannot import the indicator engine, so it announces instead: ``mark_stale`` writes
the markers and sends ``zone_nights_marked_stale``; the indicators app connects to it in its
``AppConfig.ready()`` and queues the recompute after commit. With no receiver connected (a
process without the engine) the markers simply wait for the beat schedule's periodic recompute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.dispatch import Signal

CITIZENS = "citizens"  # reports and safety audits changed
SENSORS = "sensors"  # sensor readings changed
STALE_SOURCES = (CITIZENS, SENSORS)

# Sent inside the writing transaction, after the markers are written; receivers get ``source``.
zone_nights_marked_stale = Signal()


def mark_stale(zone_nights: Iterable[tuple[int, dt.date]], *, source: str = CITIZENS) -> None:
    """Record (zone, night) pairs whose indicators must be recomputed, and announce it.

    ``source`` says what changed (citizens' reports and audits, or sensor readings): a recompute
    after reports alone does not re-read the readings. Call inside the transaction that writes the
    raw rows: the markers commit or roll back with them, and the engine queues its Celery task only
    after commit. If the broker is down the markers stay, and the beat schedule's periodic
    recompute picks them up.
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
    zone_nights_marked_stale.send(sender=mark_stale, source=source, count=len(pairs))
