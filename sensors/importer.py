"""Bulk import of readings from CSV: COPY into a staging table, validate and stamp in SQL, move in one INSERT.

The CSV has a header row naming its columns: ``sensor`` (the sensor's external id; not needed with
``sensor=``), ``observed_at`` (or ``phenomenonTime``) and ``value`` (or ``result``); other columns are
ignored. Rows are checked in SQL with the same rules as the API (unknown or removed sensor, time
without a time zone, time before the sensor's installation day or OBSERVATORY_EARLIEST_DATE or in the
future, value not a number or outside the kind's range, a time given twice with different values or
already stored with another value); so is the file itself (UTF-8 text without NUL bytes, as many
cells on each row as in the header). Any bad row refuses the whole file, and the first errors are
reported by CSV line number and column. Everything runs in one transaction, so a refused file
writes nothing, not even a partition.

Steps (docs/benchmarks.md has the time each takes): COPY into an UNLOGGED staging table of text
columns; one typing pass, run by parallel workers, that casts each column once behind its regular
expression, stamps night and slot with the project's SQL twins (``city.nightslots``) and
gives each bad row its reason; one GROUP BY for the months, the stale (zone, night) pairs and each
sensor's span; then one INSERT ... SELECT: a plain one when no stored reading lies within any
sensor's span, else (or on a duplicate after all) ``ON CONFLICT DO NOTHING``, so importing a file
twice is harmless.
"""

from __future__ import annotations

import csv
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import psycopg2
from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction

from city import dateguard, nightslots, opscounters

from .models import Sensor
from .partitions import ensure_month_partitions, load_new_months
from .services import readings_finish

COLUMN_ALIASES = {
    "sensor": "sensor",
    "sensor_id": "sensor",
    "external_id": "sensor",
    "observed_at": "observed_at",
    "phenomenontime": "observed_at",
    "value": "value",
    "result": "value",
}
# ISO 8601 date and time with a time zone (Z or an offset); the same without one, to say what is missing.
TIME_WITH_ZONE = r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)\s*$"
TIME_WITHOUT_ZONE = r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*$"
NUMBER = r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$"
ERRORS_SHOWN = 20


@dataclass(frozen=True)
class ImportResult:
    rows: int
    inserted: int

    @property
    def duplicates(self) -> int:
        return self.rows - self.inserted


class ImportRejected(Exception):
    """The file was refused whole; ``errors`` are (CSV line, column, reason) of the first bad rows (line and
    column None where they do not apply), ``total`` how many rows are bad in all."""

    def __init__(self, errors: list[tuple[int | None, str | None, str]], total: int):
        super().__init__(f"{total} bad row(s)")
        self.errors, self.total = errors, total


class _ProgressReader:
    """A file wrapper that reports bytes read, so COPY's progress can be shown."""

    def __init__(self, raw: BinaryIO, report: Callable[[int], None] | None):
        self.raw, self.report, self.done = raw, report, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.done += len(chunk)
        if self.report is not None:
            self.report(self.done)
        return chunk


def _header(path: str) -> list[str]:
    """The header's cells; the first line is read alone, so a bad byte further down is named by COPY."""
    with open(path, "rb") as f:
        first = f.readline(1 << 20).removeprefix(b"\xef\xbb\xbf")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ImportRejected([(1, None, f"the header is not UTF-8 text (byte {error.start + 1})")], 1) from None
    if "\x00" in text:
        raise ImportRejected([(1, None, "the header holds a NUL byte")], 1)
    return next(csv.reader([text]), [])


_COPY_LINE = re.compile(r"line (\d+)")
_COPY_COLUMN = re.compile(r'column "?(c\d+)"?')


def _copy_error(error: psycopg2.DataError, header: list[str]) -> tuple[int | None, str | None, str]:
    """(line, column, reason) of a row COPY could not read: not UTF-8, a NUL byte, too few or many cells."""
    message = error.diag.message_primary or str(error)
    context = error.diag.context or ""
    line = _COPY_LINE.search(context)
    column = _COPY_COLUMN.search(context) or _COPY_COLUMN.search(message)
    name = header[int(column.group(1)[1:])] if column and int(column.group(1)[1:]) < len(header) else None
    if "0x00" in message:
        reason = "the text holds a NUL byte"
    elif "invalid byte sequence" in message:
        reason = f"the file is not UTF-8 text ({message})"
    elif "missing data for column" in message:
        reason = f"the row has fewer cells than the header's {len(header)}"
    elif "extra data after last expected column" in message:
        reason = f"the row has more cells than the header's {len(header)}"
    else:
        reason = message
    return (int(line.group(1)) if line else None, name, reason)


def readings_import(
    *, path: str, sensor: Sensor | None = None, progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Import a CSV of readings all or nothing; raises ImportRejected naming bad rows by line number.

    ``progress(bytes_read, total_bytes)`` is called while COPY reads the file.
    """
    original = [h.strip() for h in _header(path)]
    header = [h.lower() for h in original]
    columns = [COLUMN_ALIASES.get(h) for h in header]
    missing = [c for c in ("observed_at", "value") if c not in columns]
    if sensor is None and "sensor" not in columns:
        missing.insert(0, "sensor")
    if missing:
        raise ImportRejected([(1, None, f"the header has no column {', '.join(missing)}")], 1)
    staged = [f"c{i}" for i in range(len(header))]
    pick = {name: f"c{columns.index(name)}" for name in ("sensor", "observed_at", "value") if name in columns}
    # The file's own names of the columns, for the errors.
    names = {name: original[columns.index(name)] for name in ("sensor", "observed_at", "value") if name in columns}
    names.setdefault("sensor", "--sensor")
    total = os.path.getsize(path)

    # The staging table is UNLOGGED rather than TEMP so that the typing pass (two regular expressions
    # and two casts per row, the costliest step) can run in parallel workers, which cannot read a
    # session's temporary tables. It is created and dropped inside the import's transaction, so a
    # failed or refused import leaves nothing behind, and its name is unique to this import.
    stage = f"sensors_import_{uuid.uuid4().hex[:16]}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("DROP TABLE IF EXISTS _readings_typed, _readings_groups")
        # No row number column: numbering every row costs a third of the COPY. A refused file's rows
        # are numbered afterwards in the heap's order, which is the file's for a table one COPY filled.
        cursor.execute(f"CREATE UNLOGGED TABLE {stage} ({', '.join(f'{c} text' for c in staged)})")
        with open(path, "rb") as raw:
            reader = _ProgressReader(raw, (lambda done: progress(done, total)) if progress else None)
            # utf-8-sig: skip a byte-order mark, which spreadsheet programs like to add.
            if raw.read(3) != b"\xef\xbb\xbf":
                raw.seek(0)
            try:
                cursor.copy_expert(
                    f"COPY {stage} ({', '.join(staged)}) FROM STDIN WITH (FORMAT csv, HEADER true)",
                    reader,
                    size=1 << 20,
                )
            except psycopg2.DataError as error:  # the transaction is rolled back: nothing stays
                raise ImportRejected([_copy_error(error, original)], 1) from None
        rows = cursor.rowcount
        if rows <= 0:
            raise ImportRejected([(None, None, "the file has no readings")], 1)
        sensor_join = (
            "JOIN sensors_sensor s ON s.id = %(sensor)s"
            if sensor is not None
            else f"LEFT JOIN sensors_sensor s ON s.external_id = btrim(i.{pick['sensor']})"
        )
        ts, value = f"i.{pick['observed_at']}", f"i.{pick['value']}"
        params = {
            "sensor": sensor.id if sensor else None,
            "with_zone": TIME_WITH_ZONE,
            "without_zone": TIME_WITHOUT_ZONE,
            "number": NUMBER,
            "skew": settings.SENSORS_CLOCK_SKEW_SECONDS,
            # The window's start, as readings_validate has it: the later of this day and the sensor's
            # installation day, at local midnight.
            "earliest": dateguard.earliest_date(),
            "tz": settings.TIME_ZONE,
            "shown": ERRORS_SHOWN,
        }
        # The planner prices a regular expression like an addition, so it would keep the typing pass
        # serial; measured, two workers halve it (and the staging table is what makes them possible).
        cursor.execute("SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0")
        errors = _typed_rows(
            cursor,
            stage=stage,
            ts=ts,
            value=value,
            sensor_column=pick.get("sensor"),
            sensor_join=sensor_join,
            params=params,
        )
        if errors:
            found, count = errors
            raise ImportRejected([(line, names.get(column), reason) for line, column, reason in found], count)
        cursor.execute("RESET parallel_setup_cost; RESET parallel_tuple_cost")
        located = _Located(stage=stage, ts=ts, sensor_join=sensor_join, params=params, column=names["value"])
        inserted = _move(cursor, located)
        cursor.execute(f"DROP TABLE {stage}")
    opscounters.count("readings_ingested", "csv", inserted)
    return ImportResult(rows=rows, inserted=inserted)


@dataclass(frozen=True)
class _Located:
    """What it takes to find the CSV lines of given (sensor, time) keys in the staging table."""

    stage: str
    ts: str
    sensor_join: str
    params: dict
    column: str

    def lines(self, cursor, keys: list[tuple[int, object]]) -> dict[tuple[int, object], list[int]]:
        """CSV lines of each (sensor id, time) key, in file order (one scan of the file: only for errors)."""
        cursor.execute(
            f"""
            SELECT k.sensor_id, k.observed_at, x.seq + 1
            FROM (SELECT row_number() OVER (ORDER BY i.ctid) AS seq, s.id AS sensor_id,
                         ({self.ts})::timestamptz AS observed_at
                  FROM {self.stage} i {self.sensor_join}) x
            JOIN unnest(%(key_sensors)s::bigint[], %(key_times)s::timestamptz[]) AS k(sensor_id, observed_at)
              ON k.sensor_id = x.sensor_id AND k.observed_at = x.observed_at
            ORDER BY x.seq
            """,
            {**self.params, "key_sensors": [k[0] for k in keys], "key_times": [k[1] for k in keys]},
        )
        found: dict[tuple[int, object], list[int]] = {}
        for sensor_id, observed_at, line in cursor.fetchall():
            found.setdefault((sensor_id, observed_at), []).append(line)
        return found


# The typed rows as sensors_reading's columns (every imported reading is of quality 'ok').
TYPED_OK = "(SELECT sensor_id, observed_at, value, zone_id, night, slot, 'ok'::text AS quality FROM _readings_typed) t"


GROUPS_SQL = """
    CREATE TEMP TABLE _readings_groups ON COMMIT DROP AS
    SELECT sensor_id, zone_id, night, count(*) AS n, min(observed_at) AS first, max(observed_at) AS last,
           bool_or(reason IS NOT NULL) AS doubtful
    FROM _readings_typed GROUP BY 1, 2, 3
"""


def _move(cursor, located: _Located) -> int:
    """Insert the typed rows into sensors_reading, mark their (zone, night) pairs stale; returns rows inserted.

    One GROUP BY gives the (sensor, zone, night) groups: their months (for the partitions), each
    sensor's time span, and the stale pairs and latest times. When no stored reading of a sensor
    lies within the span the file covers for it (one index probe per sensor), nothing can conflict
    and the rows go in with a plain INSERT, without ``ON CONFLICT``'s speculative insertion and the
    ``RETURNING`` of every row. Otherwise, or when the plain INSERT meets a duplicate after all (the
    same reading twice in the file, or a concurrent writer), the rows go in with ``ON CONFLICT DO
    NOTHING``, which skips the known ones: importing a file twice stays harmless.
    """
    cursor.execute("SELECT to_regclass('pg_temp._readings_groups') IS NULL")
    if cursor.fetchone()[0]:  # the fast typing pass made them already
        cursor.execute(GROUPS_SQL)
    cursor.execute(
        """
        SELECT DISTINCT date_trunc('month', t AT TIME ZONE 'UTC')::date
        FROM _readings_groups, LATERAL (VALUES (first), (last)) AS v(t) ORDER BY 1
        """
    )
    months = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        """
        SELECT EXISTS (
            SELECT 1 FROM (SELECT sensor_id, min(first) AS first, max(last) AS last
                           FROM _readings_groups GROUP BY 1) AS g
            WHERE EXISTS (SELECT 1 FROM sensors_reading r WHERE r.sensor_id = g.sensor_id
                          AND r.observed_at BETWEEN g.first AND g.last)
        )
        """
    )
    columns = "sensor_id, observed_at, value, zone_id, night, slot, quality"
    if not cursor.fetchone()[0]:
        try:
            with transaction.atomic():
                # Months new to the table become partitions indexed in one go; the rest are inserted.
                loaded = load_new_months(cursor, months, source=TYPED_OK, columns=columns)
                rest = [m for m in months if m not in loaded]
                if rest:
                    ensure_month_partitions(rest)
                    cursor.execute(
                        f"INSERT INTO sensors_reading ({columns}) SELECT {columns} FROM {TYPED_OK} "
                        "WHERE date_trunc('month', observed_at AT TIME ZONE 'UTC')::date <> ALL(%s::date[])",
                        [loaded],
                    )
        except IntegrityError:
            pass  # a duplicate within the file or a concurrent writer: the careful way below
        else:
            cursor.execute("SELECT sensor_id, zone_id, night, n, last FROM _readings_groups")
            return readings_finish(cursor, cursor.fetchall())
    _refuse_conflicts(cursor, located)
    ensure_month_partitions(months)
    cursor.execute(
        f"""
        WITH inserted AS (
            INSERT INTO sensors_reading ({columns})
            SELECT {columns} FROM {TYPED_OK}
            ON CONFLICT (sensor_id, observed_at) DO NOTHING
            RETURNING sensor_id, zone_id, night, observed_at
        )
        SELECT sensor_id, zone_id, night, count(*), max(observed_at) FROM inserted GROUP BY 1, 2, 3
        """
    )
    return readings_finish(cursor, cursor.fetchall())


def _refuse_conflicts(cursor, located: _Located) -> None:
    """Raise ImportRejected when the file gives one (sensor, time) two values, or a stored one another value.

    As on the HTTP API a stored reading is never overwritten, and the same reading again is harmless.
    Only the careful way runs this (a repeated time or stored readings within the file's span).
    """
    cursor.execute(
        """
        SELECT sensor_id, observed_at FROM _readings_typed GROUP BY 1, 2 HAVING count(DISTINCT value) > 1
        ORDER BY min(observed_at) LIMIT %s
        """,
        [ERRORS_SHOWN],
    )
    repeated = cursor.fetchall()
    cursor.execute(
        """
        SELECT DISTINCT t.sensor_id, t.observed_at, r.value FROM _readings_typed t
        JOIN sensors_reading r ON r.sensor_id = t.sensor_id AND r.observed_at = t.observed_at
        WHERE r.value <> t.value OR r.quality <> 'ok'
        ORDER BY t.observed_at LIMIT %s
        """,
        [ERRORS_SHOWN],
    )
    stored = {(sensor_id, observed_at): value for sensor_id, observed_at, value in cursor.fetchall()}
    if not repeated and not stored:
        return
    lines = located.lines(cursor, [*repeated, *stored])
    errors: list[tuple[int | None, str | None, str]] = []
    for key in repeated:
        first, *others = lines.get(key, [None])
        errors += [(line, located.column, f"the same sensor and time as line {first} with another value; "
                    "give each time one value") for line in others]  # fmt: skip
    for key, value in stored.items():
        errors += [(line, located.column, f"a reading of this sensor at this time is already stored with value "
                    f"{value}; a stored reading is never overwritten") for line in lines.get(key, [None])]  # fmt: skip
    errors.sort(key=lambda error: error[0] or 0)
    raise ImportRejected(errors[:ERRORS_SHOWN], len(errors))


# The first instant a sensor's readings may carry: local midnight of the later of its installation day
# and OBSERVATORY_EARLIEST_DATE (as sensors.services.reading_window, from city.dateguard).
FIRST_INSTANT = "(greatest(%(earliest)s::date, s.installed_on)::timestamp AT TIME ZONE %(tz)s)"


# The fast pass's shape of a time: ISO 8601 date and time, ending in a zone designator. LIKE compares
# bytes; the regular expressions convert every string to wide characters first, which costs more
# than the casts themselves. A time the fast pass doubts goes to the strict pass, which decides.
ISO_START = ("____-__-__T__:__%", "____-__-__ __:__%")
ZONE_END = ("%Z", "%z", "%+__:__", "%-__:__", "%+____", "%-____", "%+__", "%-__")


def _fast_typed_sql(*, stage: str, ts: str, value: str, sensor_column: str | None, sensor_join: str) -> str:
    """The common case in one cheap pass: casts without their regular expressions, a LIKE for the shape.

    Every row it accepts the strict pass would accept too. Its ``reason`` only says "look again":
    a cast that fails raises (and the strict pass runs), and a row it doubts sends the whole file to
    the strict pass, whose reasons are the ones reported.
    """
    # %% is a literal % for psycopg2's parameter formatting.
    starts = " OR ".join(f"{ts} LIKE '{pattern.replace('%', '%%')}'" for pattern in ISO_START)
    ends = " OR ".join(f"{ts} LIKE '{pattern.replace('%', '%%')}'" for pattern in ZONE_END)
    return f"""
        CREATE TEMP TABLE _readings_typed ON COMMIT DROP AS
        SELECT sensor_id, zone_id, observed_at, value,
               {nightslots.sql_night_of("wall", local=True)} AS night,
               {nightslots.sql_slot_of("wall", local=True)} AS slot,
               CASE
                WHEN sensor_id IS NULL OR NOT sensor_ok OR NOT coalesce(shaped, false) OR value IS NULL
                     OR value IN ('NaN', 'Infinity', '-Infinity') OR value < valid_min OR value > valid_max
                     OR observed_at > now() + make_interval(secs => %(skew)s) OR observed_at < first_instant
                THEN 'look again'
            END AS reason
        FROM (
            SELECT s.id AS sensor_id, s.zone_id, s.active AND s.removed_on IS NULL AS sensor_ok,
                   {FIRST_INSTANT} AS first_instant,
                   k.valid_min, k.valid_max, ({ts})::timestamptz AS observed_at, ({value})::float8 AS value,
                   {nightslots.sql_local_time(f"({ts})::timestamptz")} AS wall,
                   ({starts}) AND ({ends}) AS shaped,
                   clock_timestamp() AS fence  -- see _typed_sql
            FROM {stage} i {sensor_join} LEFT JOIN sensors_sensorkind k ON k.id = s.kind_id
        ) typed
    """


class _LookAgain(Exception):
    """The fast pass doubted a row: the strict pass decides and gives the reasons."""


def _typed_sql(*, stage: str, ts: str, value: str, sensor_column: str | None, sensor_join: str, careful: bool) -> str:
    """Staged rows typed and stamped with night and slot in one pass, each with the reason it is bad (NULL if good).

    A cast runs only on text its pattern accepted, and each regular expression and cast runs once per
    row (see ``fence``); the night and slot come from the project's SQL twins. ``careful``
    also catches what a pattern accepts but the cast refuses (30 February, 1e999), row by row in
    PL/pgSQL: slow, so used only after the fast pass failed on such a value.
    """
    sensor_text = f"coalesce(i.{sensor_column}, '')" if sensor_column else "s.external_id"
    to_time = f"pg_temp.try_timestamptz({ts})" if careful else f"({ts})::timestamptz"
    to_number = f"pg_temp.try_float8({value})" if careful else f"({value})::float8"
    return f"""
        CREATE TEMP TABLE _readings_typed ON COMMIT DROP AS
        SELECT seq, sensor_id, zone_id, observed_at, value,
               {nightslots.sql_night_of("observed_at")} AS night, {nightslots.sql_slot_of("observed_at")} AS slot,
               -- Each reason starts with the column it is about and a bar (see _typed_rows).
               CASE
                WHEN sensor_id IS NULL THEN 'sensor|unknown sensor ' || quote_literal(sensor_text)
                WHEN NOT sensor_ok THEN 'sensor|sensor ' || sensor_text || ' is removed or inactive'
                WHEN raw_time IS NULL THEN 'observed_at|no time'
                WHEN observed_at IS NULL AND raw_time ~ %(without_zone)s THEN 'observed_at|the time has no time zone'
                WHEN observed_at IS NULL AND raw_time ~ %(with_zone)s
                    THEN 'observed_at|not a valid time: ' || quote_literal(raw_time)
                WHEN observed_at IS NULL THEN 'observed_at|not an ISO 8601 time: ' || quote_literal(raw_time)
                WHEN value IS NULL AND raw_value ~ %(number)s
                    THEN 'value|not a valid number: ' || quote_literal(raw_value)
                WHEN value IS NULL THEN 'value|not a number: ' || quote_literal(coalesce(raw_value, ''))
                WHEN value < valid_min OR value > valid_max
                    THEN 'value|value ' || btrim(raw_value) || ' outside ' || valid_min || ' to ' || valid_max
                WHEN observed_at > now() + make_interval(secs => %(skew)s)
                    THEN 'observed_at|the time is in the future'
                WHEN observed_at < first_instant
                    THEN 'observed_at|the time is before ' || (first_instant AT TIME ZONE %(tz)s)::date
                         || ', the first day this sensor''s readings are accepted from'
                         || ' (its installation day, or OBSERVATORY_EARLIEST_DATE)'
            END AS reason
        FROM (
            SELECT row_number() OVER (ORDER BY i.ctid) AS seq, s.id AS sensor_id, s.zone_id,
                   {sensor_text} AS sensor_text, {FIRST_INSTANT} AS first_instant,
                   s.active AND s.removed_on IS NULL AS sensor_ok, k.valid_min, k.valid_max,
                   {ts} AS raw_time, {value} AS raw_value,
                   CASE WHEN {ts} ~ %(with_zone)s THEN {to_time} END AS observed_at,
                   CASE WHEN {value} ~ %(number)s THEN {to_number} END AS value,
                   -- A fence: a volatile output keeps the planner from inlining the subquery, which
                   -- would evaluate each regular expression and cast again in every CASE branch and
                   -- stamp using them. Unlike OFFSET 0 (the earlier fence) it keeps the whole pass,
                   -- stamping included, in the parallel workers. clock_timestamp() is parallel safe.
                   clock_timestamp() AS fence
            FROM {stage} i {sensor_join} LEFT JOIN sensors_sensorkind k ON k.id = s.kind_id
        ) typed
    """


def _typed_rows(cursor, *, params: dict, **parts) -> tuple[list[tuple[int, str, str]], int] | None:
    """Fill _readings_typed; (first bad rows as (line, column, reason), how many in all), or None when all are good.

    The fast pass first; if a cast fails or it doubts any row, the strict pass (regular expressions
    before each cast), and if a value its patterns accept still fails to cast, the careful one.
    """
    try:
        with transaction.atomic():
            cursor.execute(_fast_typed_sql(**parts), params)
            # The groups the move needs, and in the same scan whether any row is doubtful.
            cursor.execute(GROUPS_SQL + "; SELECT bool_or(doubtful) FROM _readings_groups")
            if cursor.fetchone()[0]:
                raise _LookAgain
        return None
    except (DataError, _LookAgain):
        pass  # the savepoint is rolled back: no _readings_typed, the strict pass starts clean
    try:
        with transaction.atomic():
            cursor.execute(_typed_sql(**parts, careful=False), params)
    except DataError:
        cursor.execute(
            """
            CREATE OR REPLACE FUNCTION pg_temp.try_timestamptz(t text) RETURNS timestamptz LANGUAGE plpgsql AS
            $$ BEGIN RETURN t::timestamptz; EXCEPTION WHEN others THEN RETURN NULL; END $$;
            CREATE OR REPLACE FUNCTION pg_temp.try_float8(t text) RETURNS float8 LANGUAGE plpgsql AS
            $$ BEGIN RETURN t::float8; EXCEPTION WHEN others THEN RETURN NULL; END $$;
            """
        )
        cursor.execute(_typed_sql(**parts, careful=True), params)
    cursor.execute(
        "SELECT seq + 1, reason, count(*) OVER () FROM _readings_typed WHERE reason IS NOT NULL ORDER BY seq LIMIT %s",
        [ERRORS_SHOWN],
    )
    found = cursor.fetchall()
    if not found:
        return None
    return [(line, *reason.split("|", 1)) for line, reason, _n in found], found[0][2]
