"""The one date-range guard: every date or instant a person or a machine sends is parsed and bounded here.

A period parameter, a report's ``observed_at``, an Open311 ``start_date`` or a sensor reading outside the
plausible window (from ``OBSERVATORY_EARLIEST_DATE`` to today plus ``OBSERVATORY_FUTURE_DAYS``) is
refused with a message naming the field and the window, instead of overflowing a date computation
(``0001-01-01T00:00:00+14:00`` has no UTC instant; year 9999 plus one day does not exist) or creating
indicator rows and partitions for 1900.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def earliest_date() -> dt.date:
    return dt.date.fromisoformat(settings.OBSERVATORY_EARLIEST_DATE)


def latest_date(*, future_days: int | None = None) -> dt.date:
    days = settings.OBSERVATORY_FUTURE_DAYS if future_days is None else future_days
    return timezone.localdate() + dt.timedelta(days=days)


def _window_error(field: str, label: str, earliest: dt.date, latest: dt.date) -> ValidationError:
    return ValidationError(
        {field: _("%(label)s must be between %(earliest)s and %(latest)s.")
         % {"label": label, "earliest": earliest.isoformat(), "latest": latest.isoformat()}},
        code="out_of_range",
    )  # fmt: skip


def check_date(value: dt.date, *, field: str, label: str | None = None, future_days: int | None = None) -> dt.date:
    """``value`` if it lies in the plausible window, else a ValidationError on ``field``."""
    earliest, latest = earliest_date(), latest_date(future_days=future_days)
    if not earliest <= value <= latest:
        raise _window_error(field, label or field, earliest, latest)
    return value


def window_start(*, not_before: dt.date | None = None) -> dt.datetime:
    """The first instant of the plausible window: local midnight of OBSERVATORY_EARLIEST_DATE, or of
    ``not_before`` when that is later (a sensor's installation day, for its readings)."""
    day = earliest_date() if not_before is None else max(earliest_date(), not_before)
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def check_datetime(
    value: dt.datetime,
    *,
    field: str,
    label: str | None = None,
    not_after: dt.datetime | None = None,
    not_before: dt.date | None = None,
) -> dt.datetime:
    """An aware ``value`` in the plausible window, else a ValidationError on ``field``.

    ``not_before`` (a local date) raises the window's start, ``not_after`` (an instant) lowers its end:
    a reading lies between its sensor's installation and now plus the allowed clock skew.
    """
    label = label or field
    if timezone.is_naive(value):
        raise ValidationError({field: _("%(label)s needs a time zone, such as +01:00 or Z.") % {"label": label}})
    earliest = window_start(not_before=not_before).date()
    latest = latest_date()
    if not_after is not None:
        latest = min(latest, not_after.astimezone(timezone.get_current_timezone()).date())
    try:
        local = value.astimezone(timezone.get_current_timezone())
    except (OverflowError, ValueError):  # 0001-01-01T00:00+14:00 has no instant in UTC
        raise _window_error(field, label, earliest, latest) from None
    if not_after is not None and earliest <= local.date() and value > not_after:
        raise ValidationError(
            {
                field: _("%(label)s is in the future (after %(limit)s).")
                % {"label": label, "limit": not_after.isoformat(timespec="seconds")}
            },
            code="future",
        )
    if not earliest <= local.date() <= latest:
        raise _window_error(field, label, earliest, latest)
    return value


def _text(raw: object, field: str, label: str) -> str:
    text = str(raw).strip()
    if "\x00" in text:
        raise ValidationError({field: _("%(label)s contains a NUL character.") % {"label": label}})
    return text


def parse_date(raw: object, *, field: str, label: str | None = None, future_days: int | None = None) -> dt.date:
    """A YYYY-MM-DD text as a date in the plausible window; a ValidationError on ``field`` otherwise."""
    label = label or field
    text = _text(raw, field, label)
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            {
                field: _("%(label)s must be a date like 2026-11-30, not “%(value)s”.")
                % {"label": label, "value": text[:40]}
            }
        ) from None
    return check_date(value, field=field, label=label, future_days=future_days)


def parse_datetime(
    raw: object,
    *,
    field: str,
    label: str | None = None,
    not_after: dt.datetime | None = None,
    not_before: dt.date | None = None,
) -> dt.datetime:
    """An ISO 8601 instant with a time zone, in the plausible window; a ValidationError on ``field`` otherwise."""
    label = label or field
    text = _text(raw, field, label)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            {field: _("%(label)s must be an ISO 8601 date and time with a time zone, like 2026-11-30T22:15:00+01:00, "
                      "not “%(value)s”.") % {"label": label, "value": text[:40]}}
        ) from None  # fmt: skip
    return check_datetime(value, field=field, label=label, not_after=not_after, not_before=not_before)
