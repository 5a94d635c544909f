"""Monthly partitions of ``sensors_reading``, created on demand for the months a write touches.

Partitions follow UTC calendar months (``sensors_reading_y2026m11``). Every writer calls
``ensure_month_partitions`` inside its transaction before inserting, so the default partition stays
empty; should rows ever land there (a writer that skipped the call), creating the month's
partition moves them out first, because PostgreSQL refuses a partition whose range the default
partition already holds rows for. Old months can be detached or dropped whole (docs/deployment.md).

No path creates a partition outside the plausible window (``city.dateguard``: from the month of
OBSERVATORY_EARLIEST_DATE to the month of now plus SENSORS_CLOCK_SKEW_SECONDS): the writers refuse such
readings first, and ``check_months`` refuses the months here too, so a bad batch cannot make a table
for 1900 or thousands of tables for a batch spread over the centuries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.utils import timezone

from city import dateguard, ddl

PARENT = "sensors_reading"
DEFAULT_PARTITION = "sensors_reading_default"


def month_start(instant: dt.datetime) -> dt.date:
    utc = instant.astimezone(dt.UTC)
    return dt.date(utc.year, utc.month, 1)


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


class MonthOutsideWindow(ValueError):
    """A writer asked for a partition of a month no reading may fall in (a bug: readings are checked first)."""


def check_months(months: Iterable[dt.date]) -> None:
    """Raise MonthOutsideWindow unless every month lies in the readings' plausible window."""
    first = month_start(dateguard.window_start())
    last = month_start(timezone.now() + dt.timedelta(seconds=settings.SENSORS_CLOCK_SKEW_SECONDS))
    outside = sorted(m for m in months if not first <= m <= last)
    if outside:
        raise MonthOutsideWindow(
            f"no partition for {', '.join(m.strftime('%Y-%m') for m in outside[:5])}:"
            f" readings lie from {first:%Y-%m} to {last:%Y-%m}"
        )


def ensure_month_partitions(months: Iterable[dt.date]) -> list[str]:
    """Create the missing partitions for the given month starts; returns the names it created.

    One query finds the missing ones; only then a transaction-scoped advisory lock serialises the
    creators, so two ingests of a new month never race on CREATE TABLE, and the common case (the
    month exists) costs one round trip and no lock.
    """
    wanted = sorted({dt.date(m.year, m.month, 1) for m in months})
    if not wanted:
        return []
    check_months(wanted)
    names = [partition_name(m) for m in wanted]
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NULL", [names])
        missing = {row[0] for row in cursor.fetchall()}
        if not missing:
            return []
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('sensors_reading_partitions'))")
        created = []
        for month, name in zip(wanted, names, strict=True):
            if name not in missing:
                continue
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is not None:  # another writer made it while we waited
                continue
            start = f"{month.isoformat()} 00:00:00+00"
            end = f"{_next_month(month).isoformat()} 00:00:00+00"
            # Rows of this month parked in the default partition move to the new one.
            cursor.execute(
                f"CREATE TEMP TABLE _parked ON COMMIT DROP AS WITH moved AS ("
                f" DELETE FROM {DEFAULT_PARTITION} WHERE observed_at >= %s AND observed_at < %s RETURNING *"
                f") SELECT * FROM moved",
                [start, end],
            )
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM (%s) TO (%s)",
                [start, end],
            )
            cursor.execute(f"INSERT INTO {PARENT} SELECT * FROM _parked; DROP TABLE _parked")
            created.append(name)
    return created


LOAD_PARENT = "sensors_reading_load"


def load_new_months(cursor, months: Iterable[dt.date], *, source: str, columns: str) -> list[dt.date]:
    """Load the rows of months that have no partition yet from ``source`` as new partitions; returns those months.

    Indexing a whole month at once is several times faster than inserting row by row into its
    indexes. The new months' tables are first partitions of an unindexed parent, so one INSERT
    routes every row; then each is detached, given the keys and indexes of ``sensors_reading``
    (read from it, so they stay what the migrations made them) in one sort each, and attached as
    that month's partition. A duplicate reading fails a primary key's build (IntegrityError), and the
    caller's savepoint takes all of it back. Months whose partition exists, or whose rows the default
    partition holds (the ordinary path moves them), are left to the caller.
    """
    months = sorted(set(months))
    check_months(months)
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext('sensors_reading_partitions'))")
    fresh = []
    for month in months:
        cursor.execute(
            f"SELECT to_regclass(%s) IS NULL AND NOT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION}"
            " WHERE observed_at >= %s AND observed_at < %s)",
            [partition_name(month), *_bounds(month)],
        )
        if cursor.fetchone()[0]:
            fresh.append(month)
    if not fresh:
        return []
    keys = ddl.constraints_of(cursor, PARENT, "pu")
    indexes = ddl.plain_indexes_of(cursor, PARENT)
    cursor.execute(
        f"DROP TABLE IF EXISTS {LOAD_PARENT}; "
        f"CREATE TABLE {LOAD_PARENT} (LIKE {PARENT} INCLUDING DEFAULTS) PARTITION BY RANGE (observed_at)"
    )
    for month in fresh:
        # The CHECK (the bounds again) survives the detach and lets the final ATTACH skip its scan.
        name = partition_name(month)
        cursor.execute(
            f"CREATE TABLE {name} PARTITION OF {LOAD_PARENT} (CONSTRAINT {name}_bounds"
            " CHECK (observed_at >= %s AND observed_at < %s)) FOR VALUES FROM (%s) TO (%s)",
            _bounds(month) * 2,
        )
    if len(fresh) == len(set(months)):  # every row is of a new month: no need to look at which
        cursor.execute(f"INSERT INTO {LOAD_PARENT} ({columns}) SELECT {columns} FROM {source}")
    else:
        cursor.execute(
            f"INSERT INTO {LOAD_PARENT} ({columns}) SELECT {columns} FROM {source}"
            " WHERE date_trunc('month', observed_at AT TIME ZONE 'UTC')::date = ANY(%s::date[])",
            [fresh],
        )
    for month in fresh:
        name = partition_name(month)
        cursor.execute(f"ALTER TABLE {LOAD_PARENT} DETACH PARTITION {name}")
        for number, (_key, kind, definition) in enumerate(keys):
            suffix = "pkey" if kind == "p" else f"key{number}"
            cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_{suffix} {definition}")
        for parent_index, definition in indexes:
            suffix = parent_index.removeprefix(PARENT + "_")
            cursor.execute(ddl.index_on(definition, name=f"{name}_{suffix}", table=name))
        cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", _bounds(month))
        cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bounds")
    cursor.execute(f"DROP TABLE {LOAD_PARENT}")
    return fresh


def _bounds(month: dt.date) -> list[str]:
    return [f"{month.isoformat()} 00:00:00+00", f"{_next_month(month).isoformat()} 00:00:00+00"]


def partitions() -> list[tuple[str, int]]:
    """(partition name, estimated rows) of every partition, oldest month first, the default last."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, greatest(c.reltuples, 0)::bigint
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            ORDER BY c.relname = %s, c.relname
            """,
            [PARENT, DEFAULT_PARTITION],
        )
        return cursor.fetchall()
