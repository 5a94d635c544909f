"""Every instant belongs to exactly one night and one slot, in the city's local time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from city.nightslots import night_of, parse_slots, slot_codes, slot_of, sql_night_of, sql_slot_of

ROME = ZoneInfo("Europe/Rome")
UTC = dt.UTC
# A whole year, with both daylight-saving changes of 2025 (30 March and 26 October).
YEAR_START = dt.datetime(2025, 1, 1, tzinfo=UTC)
YEAR_END = dt.datetime(2026, 1, 1, tzinfo=UTC)
instants = st.datetimes(min_value=YEAR_START.replace(tzinfo=None), max_value=YEAR_END.replace(tzinfo=None)).map(
    lambda d: d.replace(tzinfo=UTC)
)


def rome(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ROME)


def test_report_at_0130_on_saturday_belongs_to_fridays_night():
    saturday_0130 = rome(2025, 6, 14, 1, 30)
    assert saturday_0130.strftime("%A") == "Saturday"
    assert night_of(saturday_0130) == dt.date(2025, 6, 13)
    assert slot_of(saturday_0130) == "night"


@pytest.mark.parametrize(
    ("local", "slot", "night"),
    [
        (rome(2025, 6, 13, 17, 59), "day", dt.date(2025, 6, 13)),
        (rome(2025, 6, 13, 18, 0), "evening", dt.date(2025, 6, 13)),
        (rome(2025, 6, 13, 22, 0), "night", dt.date(2025, 6, 13)),
        (rome(2025, 6, 14, 2, 0), "late_night", dt.date(2025, 6, 13)),
        (rome(2025, 6, 14, 5, 59), "late_night", dt.date(2025, 6, 13)),
        (rome(2025, 6, 14, 6, 0), "day", dt.date(2025, 6, 14)),
    ],
)
def test_slot_boundaries_are_local_hours(local, slot, night):
    assert slot_of(local) == slot
    assert night_of(local) == night


def test_the_repeated_hour_of_the_autumn_change_is_late_night_of_the_same_night_both_times():
    first = dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = dt.datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # 02:30 CET, an hour later
    assert first.astimezone(ROME).hour == second.astimezone(ROME).hour == 2
    assert {slot_of(first), slot_of(second)} == {"late_night"}
    assert night_of(first) == night_of(second) == dt.date(2025, 10, 25)


def test_the_skipped_hour_of_the_spring_change_loses_nothing():
    before = dt.datetime(2025, 3, 30, 0, 59, tzinfo=UTC)  # 01:59 CET
    after = dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC)  # 03:00 CEST, one minute later
    assert slot_of(before) == "night"
    assert slot_of(after) == "late_night"
    assert night_of(before) == night_of(after) == dt.date(2025, 3, 29)


@given(instants)
@settings(max_examples=500)
def test_every_instant_of_a_year_gets_exactly_one_slot_and_one_night(instant):
    slot = slot_of(instant)
    assert slot in slot_codes()
    local = instant.astimezone(ROME)
    night = night_of(instant)
    # The night is the evening date: the same local date, or the previous one before 06:00.
    assert night == (local.date() if local.hour >= 6 else local.date() - dt.timedelta(days=1))
    assert night_of(instant.astimezone(ROME)) == night  # independent of the offset it is written in


@given(st.lists(instants, min_size=1, max_size=50))
@settings(max_examples=40, deadline=None)
@pytest.mark.django_db
def test_sql_twins_agree_with_python_for_any_instant(batch):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql_night_of('t')}, {sql_slot_of('t')} FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS u(t, i)"
            " ORDER BY i",
            [batch],
        )
        rows = cursor.fetchall()
    assert rows == [(night_of(t), slot_of(t)) for t in batch]


def test_hours_of_a_whole_year_are_counted_once_each():
    hours = int((YEAR_END - YEAR_START).total_seconds() // 3600)
    per_slot = dict.fromkeys(slot_codes(), 0)
    for h in range(hours):
        per_slot[slot_of(YEAR_START + dt.timedelta(hours=h))] += 1
    assert sum(per_slot.values()) == hours == 8760
    # 4 local hours a day each for evening, night and late night, give or take the two DST hours.
    assert abs(per_slot["evening"] - 4 * 365) <= 1
    assert abs(per_slot["late_night"] - 4 * 365) <= 1


@pytest.mark.parametrize(
    "spec",
    ["evening=18-22,night=22-2", "a=0-12,b=11-0", "evening=18-18,day=18-18", "bad", "x=1-25,y=25-1"],
)
def test_slot_configurations_that_miss_or_double_an_hour_are_refused(spec):
    with pytest.raises(ImproperlyConfigured):
        parse_slots(spec)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        night_of(dt.datetime(2025, 1, 1, 12))
