"""The one place that decides the night and the slot of an instant, in the city's local time.

A night belongs to the evening it started: ``night_of`` is the local date of (local time - 6 h),
so 01:30 on Saturday belongs to Friday's night. Slots partition the local day by hour ranges
(evening 18-22, night 22-02, late night 02-06, day 06-18 by default; ``OBSERVATORY_SLOTS``).
Both the Python functions (single rows: forms, API, Open311) and the SQL expressions (bulk
imports, seeding) are built here from the same configuration, and a property test checks that
they agree. Because both work on local wall-clock time, a daylight-saving change can neither
drop nor double-count an instant: each instant has exactly one local time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

SLOT_LABELS = {
    "evening": _("Evening (18-22)"),
    "night": _("Night (22-02)"),
    "late_night": _("Late night (02-06)"),
    "day": _("Day (06-18)"),
}


@dataclass(frozen=True)
class Slot:
    code: str
    start_hour: int
    end_hour: int

    def covers_hour(self, hour: int) -> bool:
        if self.start_hour < self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour  # wraps past midnight

    @property
    def label(self) -> str:
        return str(SLOT_LABELS.get(self.code, self.code.replace("_", " ")))


def parse_slots(spec: str) -> tuple[Slot, ...]:
    """Parse ``code=start-end,...`` and check that the slots cover each hour of the day once."""
    slots = []
    for part in spec.split(","):
        try:
            code, hours = part.strip().split("=")
            start, end = (int(h) for h in hours.split("-"))
        except ValueError:
            raise ImproperlyConfigured(f"OBSERVATORY_SLOTS: cannot read {part!r}; use code=start-end") from None
        if not (0 <= start < 24 and 0 <= end < 24) or start == end or not code.isidentifier():
            raise ImproperlyConfigured(f"OBSERVATORY_SLOTS: {part!r} is not a valid slot")
        slots.append(Slot(code, start, end))
    for hour in range(24):
        owners = [s.code for s in slots if s.covers_hour(hour)]
        if len(owners) != 1:
            raise ImproperlyConfigured(
                f"OBSERVATORY_SLOTS must cover every hour exactly once; {hour}:00 is in {owners or 'none'}"
            )
    return tuple(slots)


@lru_cache(maxsize=8)
def _config(spec: str, tz_name: str, night_starts: int) -> tuple[tuple[Slot, ...], ZoneInfo, tuple[str, ...]]:
    slots = parse_slots(spec)
    by_hour = tuple(next(s.code for s in slots if s.covers_hour(h)) for h in range(24))
    return slots, ZoneInfo(tz_name), by_hour


def config() -> tuple[tuple[Slot, ...], ZoneInfo, tuple[str, ...]]:
    return _config(settings.OBSERVATORY_SLOTS, settings.TIME_ZONE, settings.OBSERVATORY_NIGHT_STARTS_HOURS)


def slots() -> tuple[Slot, ...]:
    return config()[0]


def slot_codes() -> list[str]:
    return [s.code for s in slots()]


def slot_choices() -> list[tuple[str, str]]:
    return [(s.code, s.label) for s in slots()]


BASELINE_HOUR = 12  # the daytime comparison baseline is the slot that holds midday


def baseline_slot() -> str:
    """The daytime slot night-time slots are compared against: whichever configured slot covers midday."""
    return next(s.code for s in slots() if s.covers_hour(BASELINE_HOUR))


def city_timezone() -> ZoneInfo:
    return config()[1]


def night_of(instant: dt.datetime) -> dt.date:
    """The night an instant belongs to: the local date of (local time - 6 h)."""
    if instant.tzinfo is None:
        raise ValueError("night_of needs an aware datetime")
    local = instant.astimezone(city_timezone())
    # Wall-clock arithmetic on purpose: the night's boundary is 06:00 local, whatever the offset.
    shifted = local.replace(tzinfo=None) - dt.timedelta(hours=settings.OBSERVATORY_NIGHT_STARTS_HOURS)
    return shifted.date()


def slot_of(instant: dt.datetime) -> str:
    """The slot code of an instant, from its local hour."""
    if instant.tzinfo is None:
        raise ValueError("slot_of needs an aware datetime")
    return config()[2][instant.astimezone(city_timezone()).hour]


def night_and_slot(instant: dt.datetime) -> tuple[dt.date, str]:
    return night_of(instant), slot_of(instant)


def sql_local_time(column: str) -> str:
    """SQL expression: the city's wall-clock time of a timestamptz column or expression."""
    tz = settings.TIME_ZONE.replace("'", "''")
    return f"(({column}) AT TIME ZONE '{tz}')"


def sql_night_of(column: str, *, local: bool = False) -> str:
    """SQL expression equal to ``night_of`` for a timestamptz column or expression.

    ``local=True``: the column already holds the city's wall-clock time (``sql_local_time``), so a
    bulk path converting once can stamp both night and slot from it.
    """
    hours = int(settings.OBSERVATORY_NIGHT_STARTS_HOURS)
    wall = column if local else sql_local_time(column)
    return f"(({wall}) - interval '{hours} hours')::date"


def sql_slot_of(column: str, *, local: bool = False) -> str:
    """SQL expression equal to ``slot_of`` for a timestamptz column or expression (``local`` as above)."""
    wall = column if local else sql_local_time(column)
    hour = f"extract(hour from ({wall}))::int"
    codes = config()[2]
    # One array lookup rather than a CASE ladder: hours 0..23 map to array positions 1..24.
    array = "ARRAY[" + ",".join(f"'{c}'" for c in codes) + "]::text[]"
    return f"({array})[{hour} + 1]"
