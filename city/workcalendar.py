"""The city's working calendar: which days its offices work, and the due date of a time limit in days.

Offices close on Saturdays, Sundays, the Italian national holidays (Easter Monday included) and the patron
saint's day of the city (``OBSERVATORY_PATRON_SAINT_DAY``, "MM-DD", Torino's San Giovanni on 24 June; empty for
none). A limit of N days runs in calendar days and, as Italian administrative practice has it, a limit that
falls on a closed day moves to the next working day (art. 2963 c.c., art. 155 c.p.c.)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings

# (month, day) of the national holidays fixed by Law 260/1949 and later laws.
NATIONAL_HOLIDAYS = (
    (1, 1),  # Capodanno
    (1, 6),  # Epifania
    (4, 25),  # Liberazione
    (5, 1),  # Festa del lavoro
    (6, 2),  # Festa della Repubblica
    (8, 15),  # Ferragosto
    (11, 1),  # Ognissanti
    (12, 8),  # Immacolata
    (12, 25),  # Natale
    (12, 26),  # Santo Stefano
)


@lru_cache(maxsize=256)
def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _patron_saint(year: int) -> dt.date | None:
    value = (getattr(settings, "OBSERVATORY_PATRON_SAINT_DAY", "") or "").strip()
    if not value:
        return None
    month, day = (int(part) for part in value.split("-"))
    return dt.date(year, month, day)


def holidays(year: int) -> set[dt.date]:
    """The days of ``year`` the city's offices are closed besides weekends."""
    days = {dt.date(year, month, day) for month, day in NATIONAL_HOLIDAYS}
    days.add(easter_sunday(year) + dt.timedelta(days=1))  # Lunedì dell'Angelo
    patron = _patron_saint(year)
    if patron is not None:
        days.add(patron)
    return days


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself if the offices work on it, else the first working day after it."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def due_date(start: dt.date, days: int) -> dt.date:
    """The last day of a limit of ``days`` days counted from ``start``: ``start + days``, moved to the next
    working day when that day is a weekend or a holiday."""
    return next_working_day(start + dt.timedelta(days=days))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count
