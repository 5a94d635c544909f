"""What every stage shares: the metric codes, units, keyed upserts, the binary COPY between
PostgreSQL and numpy, and the deletes of cells and groups a recompute leaves without a value."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable

import numpy as np
from django.conf import settings
from django.utils import timezone

from city import nightslots
from reports.models import SafetyAudit

from .. import registry
from .. import statistics as st

logger = logging.getLogger(__name__)

# The method version, the metric codes and the sensor kinds are the registry's.
METHOD_VERSION = registry.METHOD_VERSION
SHARE_FEELING_SAFE = registry.SHARE_FEELING_SAFE
SURVEY_SHARE = registry.SURVEY_SHARE
REPORT_RATE = registry.REPORT_RATE
AUDIT_SCORE = registry.AUDIT_SCORE
PSI = registry.PSI
SENSOR_METRICS = registry.SENSOR_KINDS
ROLLING_NIGHTS = registry.ROLLING_NIGHTS
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
    return registry.sensor_median(kind)


def metric_codes() -> list[str]:
    """Every metric the engine writes to the indicator table (what an API filter may ask for)."""
    return [SHARE_FEELING_SAFE, SURVEY_SHARE, REPORT_RATE, AUDIT_SCORE, *(audit_metric(p) for p in AUDIT_PARAMETERS),
            *(sensor_metric(k) for k in SENSOR_METRICS), PSI]  # fmt: skip


def anchor_night(now: dt.datetime | None = None) -> dt.date:
    """The last complete night: the rolling 28-night window ends here."""
    return nightslots.night_of(now or timezone.now()) - dt.timedelta(days=1)


def psi_weights() -> dict[str, float]:
    return st.parse_weights(getattr(settings, "OBSERVATORY_PSI_WEIGHTS", None))


_UPSERT_CLAUSE = """
    ON CONFLICT (zone_id, period_kind, period_start, slot, metric, method_version) DO UPDATE
    SET value = EXCLUDED.value, numerator = EXCLUDED.numerator, n = EXCLUDED.n, lower = EXCLUDED.lower,
        upper = EXCLUDED.upper, raw_value = EXCLUDED.raw_value, denominator = EXCLUDED.denominator,
        unit = EXCLUDED.unit, coverage = EXCLUDED.coverage, grade = EXCLUDED.grade,
        computed_at = EXCLUDED.computed_at
"""


def upsert(full: bool) -> str:
    """Keyed upserts into the live table; a full rebuild inserts into an empty table with no key yet."""
    return "" if full else _UPSERT_CLAUSE


COLUMNS = (
    "(zone_id, period_kind, period_start, slot, metric, method_version, value, numerator, n, lower, upper,"
    " raw_value, denominator, unit, coverage, grade, computed_at)"
)


def delete_cells_without(cursor, metrics: list[str], source: str, *, full: bool, cells: str = "_cells") -> None:
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


def copy_out_arrays(cursor, query: str, kinds: str) -> list[np.ndarray]:
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


def copy_in_arrays(cursor, table: str, columns: list[str], arrays: list[np.ndarray], kinds: str) -> None:
    """Write equal-length int8/float8 arrays into ``table`` (NaN stays NaN: the SQL turns it into NULL)."""
    records = np.empty(len(arrays[0]), dtype=_binary_record(kinds))
    records["fields"] = len(kinds)
    for number, array in enumerate(arrays):
        records[f"length{number}"] = 8
        records[f"value{number}"] = array
    payload = io.BytesIO(_PGCOPY_HEADER + records.tobytes() + _PGCOPY_TRAILER)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)", payload)


def finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def delete_groups_without(cursor, metric: str, table: str, *, full: bool) -> None:
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
