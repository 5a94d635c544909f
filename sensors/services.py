"""Writes on sensors: registering devices and their tokens, ingesting readings, flagging silent sensors.

``readings_ingest`` is the one way readings enter the database from a device: the HTTP API and the
MQTT subscriber both call it (the CSV importer stamps with the same night and slot SQL twins and
shares ``readings_finish``). A batch is validated whole before anything is written; a reading for
a (sensor, time) already stored is skipped (an idempotent retry), and the (zone, night) pairs that
got new rows are marked stale in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from city import dateguard, nightslots, stale
from city.models import Zone

from .models import Quality, Sensor, SensorKind, new_token, token_hash
from .partitions import ensure_month_partitions, month_start

# --- registry and tokens ----------------------------------------------------------------------------


def sensor_register(
    *,
    kind: SensorKind,
    location: Point,
    external_id: str | None = None,
    name: str = "",
    installed_on: dt.date | None = None,
    active: bool = True,
) -> tuple[Sensor, str]:
    """Create a sensor stamped with its zone and give it a token; returns (sensor, token).

    The token is returned once and only its hash is kept. Without ``external_id`` the sensor is
    named ``<kind>-<id>``.
    """
    if location.srid is None:
        location.srid = 4326
    with transaction.atomic():
        sensor = Sensor(
            external_id=external_id or f"pending-{new_token()[:16]}",
            name=name,
            kind=kind,
            location=location,
            zone=Zone.objects.zone_for_point(location),
            active=active,
            installed_on=installed_on or timezone.localdate(),
        )
        token = _set_token(sensor)
        sensor.full_clean(exclude=["zone"])
        sensor.save()
        if not external_id:
            sensor.external_id = f"{kind.code}-{sensor.id}"
            sensor.save(update_fields=["external_id"])
    return sensor, token


def sensor_update(*, sensor: Sensor) -> Sensor:
    """Save an edited sensor, re-stamping its zone from its location (readings keep theirs)."""
    sensor.zone = Zone.objects.zone_for_point(sensor.location)
    sensor.save()
    return sensor


def _set_token(sensor: Sensor) -> str:
    token = new_token()
    sensor.token_hash = token_hash(token)
    sensor.token_created_at = timezone.now()
    return token


def sensor_token_rotate(*, sensor: Sensor) -> str:
    """Give the sensor a new token (the old one stops working at once); returns it, to be shown once."""
    token = _set_token(sensor)
    sensor.save(update_fields=["token_hash", "token_created_at"])
    return token


def sensor_token_revoke(*, sensor: Sensor) -> None:
    """Remove the sensor's token: nothing authenticates as this sensor until a new one is rotated in."""
    sensor.token_hash = ""
    sensor.token_created_at = None
    sensor.save(update_fields=["token_hash", "token_created_at"])


def sensor_for_token(token: str) -> Sensor | None:
    """The sensor a presented token belongs to, or None for an unknown or revoked token."""
    if not token:
        return None
    return Sensor.objects.select_related("kind").filter(token_hash=token_hash(token)).first()


# --- batches of readings ------------------------------------------------------------------------


class ReadingIn(NamedTuple):
    """A reading ``readings_validate`` accepted (a named tuple: a thousand of them cost ~0.3 ms, not ~1.5 ms)."""

    observed_at: dt.datetime
    value: float
    quality: str = Quality.OK


@dataclass(frozen=True)
class IngestResult:
    received: int
    inserted: int

    @property
    def duplicates(self) -> int:
        return self.received - self.inserted

    def as_dict(self) -> dict[str, int]:
        return {"received": self.received, "inserted": self.inserted, "duplicates": self.duplicates}


class BatchRejected(Exception):
    """A batch refused whole: ``errors`` lists {"index": i or None, "reason": text}; nothing was written."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(f"{len(errors)} error(s): {errors[:3]}")
        self.errors = errors


class ReadingsConflict(BatchRejected):
    """Readings that give a stored (sensor, time) another value or flag: refused, the stored ones stay."""


MAX_ERRORS_LISTED = 100


def _batch_error(reason: str) -> BatchRejected:
    return BatchRejected([{"index": None, "reason": reason}])


def readings_parse(payload: Any) -> tuple[list[tuple[Any, Any, Any]], str]:
    """Raw (time, value, quality) triples from a payload in any accepted shape, and the shape's name.

    Shapes: ``{"readings": [{"observed_at": ..., "value": ...}, ...]}``; the SensorThings
    ``{"components": ["phenomenonTime", "result"], "dataArray": [[t, v], ...]}``; a single
    reading ``{"observed_at": ..., "value": ...}`` (``phenomenonTime``/``result`` also accepted).
    Raises BatchRejected for a payload of none of these shapes. Values are checked by
    ``readings_validate``.
    """
    if not isinstance(payload, dict):
        raise _batch_error(_("The body must be a JSON object."))
    if "dataArray" in payload:
        components = payload.get("components")
        if not isinstance(components, list) or not isinstance(payload["dataArray"], list):
            raise _batch_error(_("A dataArray needs a list of components and a list of rows."))
        try:
            at = components.index("phenomenonTime")
            result = components.index("result")
        except ValueError:
            raise _batch_error(_('The components must include "phenomenonTime" and "result".')) from None
        quality = components.index("resultQuality") if "resultQuality" in components else None
        width = len(components)
        rows = []
        for row in payload["dataArray"]:
            if isinstance(row, list) and len(row) == width:
                rows.append((row[at], row[result], row[quality] if quality is not None else Quality.OK))
            else:
                rows.append((_SHAPE_ERROR, None, None))
        return rows, "dataArray"
    if "readings" in payload:
        if not isinstance(payload["readings"], list):
            raise _batch_error(_('"readings" must be a list.'))
        return [_object_reading(item) for item in payload["readings"]], "readings"
    if any(key in payload for key in ("observed_at", "phenomenonTime")):
        return [_object_reading(payload)], "single"
    raise _batch_error(_('Send "readings", a SensorThings "dataArray", or one reading with "observed_at" and "value".'))


_SHAPE_ERROR = object()


def _object_reading(item: Any) -> tuple[Any, Any, Any]:
    if not isinstance(item, dict):
        return (_SHAPE_ERROR, None, None)
    observed_at = item.get("observed_at", item.get("phenomenonTime"))
    value = item.get("value", item.get("result"))
    return (observed_at, value, item.get("quality", Quality.OK))


def reading_window(*, installed_on: dt.date | None, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[first, last] instants a sensor's reading may carry: from its installation day (or the observatory's
    earliest date, whichever is later; ``city.dateguard`` owns the window) to now plus the clock skew."""
    latest = (now or timezone.now()) + dt.timedelta(seconds=settings.SENSORS_CLOCK_SKEW_SECONDS)
    return dateguard.window_start(not_before=installed_on), latest


def readings_validate(
    *,
    kind: SensorKind,
    rows: Sequence[tuple[Any, Any, Any]],
    now: dt.datetime | None = None,
    installed_on: dt.date | None = None,
) -> list[ReadingIn]:
    """Check every reading of a batch; returns them typed, or raises BatchRejected listing each bad one.

    A reading is refused when its time has no time zone, is not an ISO 8601 time or holds a NUL, lies
    outside ``reading_window`` (before the sensor's installation day or the observatory's earliest date,
    or in the future beyond the allowed clock skew), or its value is not a finite number, lies outside
    the kind's valid range, or its quality flag is unknown.
    """
    _check_batch_size(rows)
    earliest, latest = reading_window(installed_on=installed_on, now=now)
    bounds = _ReadingBounds(earliest, latest, kind.valid_min, kind.valid_max, set(Quality.values))
    good = _validate_fast(
        rows, earliest=earliest, latest=latest, low=bounds.low, high=bounds.high, qualities=bounds.qualities
    )
    if good is not None:
        return good
    # Some reading is bad: name each one (the first MAX_ERRORS_LISTED).
    errors: list[dict[str, Any]] = []
    good = []
    for index, row in enumerate(rows):
        reading, reason = _reading_checked(row, bounds)
        if reason is not None:
            errors.append({"index": index, "reason": reason})
        elif not errors:
            good.append(reading)
    if errors:
        raise BatchRejected(errors[:MAX_ERRORS_LISTED])
    return good


def _check_batch_size(rows: Sequence) -> None:
    if not rows:
        raise _batch_error(_("The batch has no readings."))
    if len(rows) > settings.SENSORS_MAX_BATCH:
        raise _batch_error(
            _("A batch holds at most %(max)d readings (SENSORS_MAX_BATCH); this one has %(count)d.")
            % {"max": settings.SENSORS_MAX_BATCH, "count": len(rows)}
        )


@dataclass(frozen=True)
class _ReadingBounds:
    """What a reading of this sensor may hold: its time window, the kind's valid range, the quality flags."""

    earliest: dt.datetime
    latest: dt.datetime
    low: float
    high: float
    qualities: set[str]


def _reading_checked(row: tuple[Any, Any, Any], bounds: _ReadingBounds) -> tuple[ReadingIn | None, str | None]:
    """One reading typed, or the reason it is refused (time first, then value, then quality flag)."""
    raw_time, raw_value, quality = row
    if raw_time is _SHAPE_ERROR:
        return None, _("A reading must have a time and a value.")
    if not isinstance(raw_time, str):
        return None, _("The time must be an ISO 8601 string with a time zone.")
    try:
        observed_at = dateguard.parse_datetime(
            raw_time, field="observed_at", not_before=bounds.earliest.date(), not_after=bounds.latest
        )
    except ValidationError as error:
        return None, error.message_dict["observed_at"][0]
    if isinstance(raw_value, bool) or not isinstance(raw_value, int | float):
        return None, _("The value is not a number.")
    if not math.isfinite(raw_value):
        return None, _("The value is not a finite number.")
    if not bounds.low <= raw_value <= bounds.high:
        return None, _("The value %(value)s is outside the valid range %(low)s to %(high)s.") % {
            "value": raw_value,
            "low": bounds.low,
            "high": bounds.high,
        }
    if not isinstance(quality, str) or quality not in bounds.qualities:
        return None, _("Unknown quality flag: use one of %(codes)s.") % {"codes": ", ".join(Quality.values)}
    return ReadingIn(observed_at, float(raw_value), quality), None


def _validate_fast(
    rows: Sequence[tuple[Any, Any, Any]],
    *,
    earliest: dt.datetime,
    latest: dt.datetime,
    low: float,
    high: float,
    qualities: set[str],
) -> list[ReadingIn] | None:
    """The whole batch checked column by column, with the same rules as the loop in ``readings_validate``.

    Returns the typed readings when every one is good, or None as soon as any check fails, and the
    caller's loop then names each bad reading. A batch of 1,000 costs ~0.6 ms here, ~4 ms in the loop.
    """
    try:
        times, values, flags = zip(*rows, strict=True)
    except (TypeError, ValueError):
        return None
    if not all(type(t) is str for t in times):  # also rules out the shape-error marker
        return None
    # fromisoformat takes any character between date and time, a NUL too (PostgreSQL would refuse it).
    if "\x00" in "".join(times):
        return None
    try:
        instants = list(map(dt.datetime.fromisoformat, times))
    except ValueError:
        return None
    if any(i.tzinfo is None for i in instants) or min(instants) < earliest or max(instants) > latest:
        return None
    # Exactly int or float (bool is a subclass of int, refused); a range check also refuses NaN and
    # both infinities, as long as the kind's own bounds are finite.
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    if not all((type(v) is float or type(v) is int) and low <= v <= high for v in values):
        return None
    if not all(isinstance(q, str) for q in flags) or not set(flags) <= qualities:
        return None
    return [ReadingIn(i, float(v), q) for i, v, q in zip(instants, values, flags, strict=True)]


def _pg_array(items: Sequence[str]) -> str:
    """A PostgreSQL array literal of items that need no quoting (ISO times, numbers, quality codes).

    One text parameter parsed by ``array_in`` costs far less than psycopg2's ``ARRAY[...]`` of a
    thousand separately quoted literals, which the server must parse and coerce one by one.
    """
    return "{" + ",".join(items) + "}"


def insert_readings_sql(source: str, *, skip_known: bool = True) -> str:
    """INSERT of staged readings, stamped with the project's night and slot SQL; skips known (sensor, time).

    ``source`` is a FROM item yielding (sensor_id, zone_id, observed_at, value, quality). The
    statement returns the (zone_id, night, inserted count, latest time) of what it inserted, so
    callers can mark exactly those pairs stale and move ``last_seen_at`` on. ``skip_known=False``
    leaves out ``ON CONFLICT DO NOTHING`` (its speculative insertion costs about a third of the
    insert), for callers that have checked no stored reading can conflict and that fall back to
    the skipping form on a unique violation.
    """
    on_conflict = "ON CONFLICT (sensor_id, observed_at) DO NOTHING" if skip_known else ""
    return f"""
        WITH inserted AS (
            INSERT INTO sensors_reading (sensor_id, observed_at, value, zone_id, night, slot, quality)
            SELECT s.sensor_id, s.observed_at, s.value, s.zone_id,
                   {nightslots.sql_night_of("s.observed_at")}, {nightslots.sql_slot_of("s.observed_at")}, s.quality
            FROM {source} AS s(sensor_id, zone_id, observed_at, value, quality)
            {on_conflict}
            RETURNING sensor_id, zone_id, night, observed_at
        )
        SELECT sensor_id, zone_id, night, count(*), max(observed_at) FROM inserted GROUP BY 1, 2, 3
    """


def readings_finish(cursor, stamped: list[tuple]) -> int:
    """After an insert: mark the (zone, night) pairs stale and move each sensor's last_seen_at on.

    ``stamped`` are the rows ``insert_readings_sql`` returned; returns how many readings were inserted.
    """
    stale.mark_stale(((zone_id, night) for _sensor, zone_id, night, _n, _latest in stamped), source=stale.SENSORS)
    latest: dict[int, dt.datetime] = {}
    for sensor_id, _zone, _night, _n, last in stamped:
        latest[sensor_id] = max(last, latest.get(sensor_id, last))
    if latest:
        cursor.execute(
            """
            UPDATE sensors_sensor s SET last_seen_at = greatest(s.last_seen_at, t.last),
                   silent = false, silent_since = NULL
            FROM unnest(%s::bigint[], %s::timestamptz[]) AS t(id, last)
            WHERE s.id = t.id
            """,
            [list(latest), list(latest.values())],
        )
    return sum(row[3] for row in stamped)


def readings_ingest(
    *, sensor: Sensor, rows: Sequence[tuple[Any, Any, Any]], now: dt.datetime | None = None
) -> IngestResult:
    """Validate a batch for the sensor and store it stamped with zone, night and slot; all or nothing.

    ``rows`` are raw (time, value, quality) triples as ``readings_parse`` returns them. Raises
    BatchRejected (nothing written) when any reading is bad. Readings already stored for the same
    (sensor, observed_at) are skipped and counted as duplicates.
    """
    readings = readings_validate(kind=sensor.kind, rows=rows, now=now, installed_on=sensor.installed_on)
    return readings_store(sensor=sensor, readings=readings)


def _months(first: dt.datetime, last: dt.datetime, readings: Sequence[ReadingIn]) -> set[dt.date]:
    """The UTC months a batch touches: from its earliest and latest reading when they share a month."""
    if month_start(first) == month_start(last):
        return {month_start(first)}
    return {month_start(r.observed_at) for r in readings}


def readings_store(*, sensor: Sensor, readings: Sequence[ReadingIn], refuse_conflicts: bool = True) -> IngestResult:
    """Store readings that ``readings_validate`` accepted, in one set-based INSERT; see ``readings_ingest``.

    A stored reading is never overwritten. With ``refuse_conflicts`` (the default) a batch that gives
    one time two different readings is refused (BatchRejected naming both indices), and so is one
    that gives a stored time another value or flag (ReadingsConflict naming the indices); nothing is
    written, not even a partition. Callers that checked message by message (the MQTT subscriber,
    with ``readings_conflicts``) pass False, and then the first stored reading wins.
    """
    if not readings:
        return IngestResult(received=0, inserted=0)
    source = (
        "(SELECT %s::bigint, %s::bigint, t.observed_at, t.value, t.quality"
        " FROM unnest(%s::timestamptz[], %s::float8[], %s::text[]) AS t(observed_at, value, quality))"
    )
    arrays = _reading_arrays(readings)
    params = [sensor.id, sensor.zone_id, *arrays]
    first = min(r.observed_at for r in readings)
    last = max(r.observed_at for r in readings)
    with transaction.atomic():
        ensure_month_partitions(_months(first, last, readings))
        with connection.cursor() as cursor:
            stamped = None
            # A fresh batch (the usual case) has no stored reading of this sensor within its span
            # (one index probe): it goes in without ON CONFLICT, in a savepoint in case a concurrent
            # writer or a time repeated within the batch proves otherwise.
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM sensors_reading WHERE sensor_id = %s AND observed_at BETWEEN %s AND %s)",
                [sensor.id, first, last],
            )
            if not cursor.fetchone()[0]:
                try:
                    with transaction.atomic():
                        cursor.execute(insert_readings_sql(source, skip_known=False), params)
                        stamped = cursor.fetchall()
                except IntegrityError:
                    stamped = None
            if stamped is None:
                if refuse_conflicts:
                    repeated = readings_repeated(readings)
                    if repeated:
                        raise BatchRejected(repeated)
                cursor.execute(insert_readings_sql(source), params)
                stamped = cursor.fetchall()
                if refuse_conflicts and sum(row[3] for row in stamped) < len(readings):
                    # Checked after the insert, so a concurrent writer's reading counts too.
                    conflicts = readings_conflicts(sensor=sensor, readings=readings)
                    if conflicts:
                        raise ReadingsConflict(conflicts)
            inserted = readings_finish(cursor, stamped)
    return IngestResult(received=len(readings), inserted=inserted)


def _reading_arrays(readings: Sequence[ReadingIn]) -> list[str]:
    return [
        _pg_array([r.observed_at.isoformat() for r in readings]),
        _pg_array([repr(r.value) for r in readings]),
        _pg_array([r.quality for r in readings]),
    ]


def readings_repeated(readings: Sequence[ReadingIn], *, offset: int = 0) -> list[dict[str, Any]]:
    """Errors for readings whose time an earlier reading of the batch has with another value or flag.

    The same time written twice with the same value is harmless (stored once); ``offset`` numbers the
    indices from where this batch starts in a larger one.
    """
    first_index: dict[dt.datetime, int] = {}
    errors: list[dict[str, Any]] = []
    for index, reading in enumerate(readings):
        earlier = first_index.setdefault(reading.observed_at, index)
        if earlier != index and readings[earlier][1:] != reading[1:]:  # (value, quality)
            errors.append(
                {
                    "index": offset + index,
                    "reason": _(
                        "Reading %(earlier)d has the same time with another value or quality; "
                        "send one reading per time."
                    )
                    % {"earlier": offset + earlier},
                }
            )
    return errors[:MAX_ERRORS_LISTED]


def readings_conflicts(
    *, sensor: Sensor, readings: Sequence[ReadingIn], limit: int | None = MAX_ERRORS_LISTED
) -> list[dict[str, Any]]:
    """Errors for readings whose time is stored for the sensor with another value or flag (one query).

    At most ``limit`` of them (None: all), in the batch's order.
    """
    if not readings:
        return []
    first = min(r.observed_at for r in readings)
    last = max(r.observed_at for r in readings)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.i - 1, r.value, r.quality
            FROM unnest(%s::timestamptz[], %s::float8[], %s::text[])
                 WITH ORDINALITY AS t(observed_at, value, quality, i)
            JOIN sensors_reading r ON r.sensor_id = %s AND r.observed_at = t.observed_at
                                  AND r.observed_at BETWEEN %s AND %s
            WHERE r.value <> t.value OR r.quality <> t.quality
            ORDER BY t.i LIMIT %s
            """,
            [*_reading_arrays(readings), sensor.id, first, last, limit],
        )
        return [
            {
                "index": index,
                "reason": _(
                    "A reading for this time is already stored with value %(value)s (%(quality)s); "
                    "a stored reading is never overwritten."
                )
                % {"value": value, "quality": quality},
            }
            for index, value, quality in cursor.fetchall()
        ]


# --- health -------------------------------------------------------------------------------------------


def sensors_health_check(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Flag sensors silent for longer than SENSORS_SILENT_FACTOR x their expected interval; clear the rest.

    New flags are raised only during night hours (any slot but ``day``), when the observatory needs
    the sensors; a sensor that reports again is cleared at once (by the ingest) or here at any hour.
    Set-based: two UPDATEs whatever the number of sensors. Returns {"flagged": n, "cleared": n}.
    """
    now = now or timezone.now()
    factor = settings.SENSORS_SILENT_FACTOR
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE sensors_sensor s SET silent = false, silent_since = NULL
            FROM sensors_sensorkind k
            WHERE k.id = s.kind_id AND s.silent
              AND (NOT s.active OR s.removed_on IS NOT NULL
                   OR s.last_seen_at >= %s - make_interval(secs => k.expected_interval_seconds * %s))
            """,
            [now, factor],
        )
        cleared = cursor.rowcount
        flagged = 0
        if nightslots.slot_of(now) != nightslots.baseline_slot():
            cursor.execute(
                """
                UPDATE sensors_sensor s SET silent = true,
                       silent_since = coalesce(s.last_seen_at, s.created_at)
                FROM sensors_sensorkind k
                WHERE k.id = s.kind_id AND NOT s.silent AND s.active AND s.removed_on IS NULL
                  AND coalesce(s.last_seen_at, s.created_at)
                      < %s - make_interval(secs => k.expected_interval_seconds * %s)
                """,
                [now, factor],
            )
            flagged = cursor.rowcount
    return {"flagged": flagged, "cleared": cleared}
