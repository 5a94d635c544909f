"""Share feeling safe per zone x night x slot: hand-computed cases, idempotence, staleness."""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from city import stale
from city.models import StaleZoneNight
from indicators import engine, registry, selectors, statistics
from indicators.models import Indicator
from indicators.registry import SHARE_FEELING_SAFE
from reports.models import INDICATOR_EXCLUDED_STATUSES, PerceivedSafety, Report
from reports.services import report_submit

pytestmark = pytest.mark.django_db


def submit(category, safety, when, lon=7.675, lat=45.065):
    return report_submit(
        category=category, location=Point(lon, lat, srid=4326), perceived_safety=safety, occurred_at=when
    )


def night_at(hour: int, days_ago: int = 2) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 15)))


def nightly_shares():
    # The engine writes other metrics and periods too; these tests are about the nightly share.
    return Indicator.objects.filter(metric=registry.SHARE_FEELING_SAFE, period_kind="night")


def rows():
    return list(
        nightly_shares()
        .order_by("zone_id", "period_start", "slot")
        .values_list("zone__code", "period_start", "slot", "n", "numerator", "value", "lower", "upper")
    )


def test_two_of_three_feeling_safe_is_two_thirds_with_a_wilson_interval(two_zones, category):
    for safety in (PerceivedSafety.VERY_SAFE, PerceivedSafety.FAIRLY_SAFE, PerceivedSafety.VERY_UNSAFE):
        submit(category, safety, night_at(23))
    assert engine.recompute_stale() == 1
    row = nightly_shares().get()
    assert (row.zone.code, row.slot, row.n, row.numerator) == ("W", "night", 3, 2)
    assert row.value == pytest.approx(2 / 3)
    # Wilson 95% for 2/3, by hand: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
    assert row.lower == pytest.approx(0.2077, abs=1e-4)
    assert row.upper == pytest.approx(0.9385, abs=1e-4)
    assert (row.lower, row.upper) == pytest.approx(statistics.wilson_interval(2, 3))
    assert row.method_version == registry.METHOD_VERSION
    assert not StaleZoneNight.objects.exists()


def test_slots_and_zones_are_kept_apart(two_zones, category):
    submit(category, PerceivedSafety.VERY_SAFE, night_at(19))
    submit(category, PerceivedSafety.VERY_UNSAFE, night_at(23))
    submit(category, PerceivedSafety.A_BIT_UNSAFE, night_at(23), lon=7.685)
    engine.recompute_stale()
    assert [(code, slot, n, num) for code, _night, slot, n, num, *_ in rows()] == [
        ("W", "evening", 1, 1),
        ("W", "night", 1, 0),
        ("E", "night", 1, 0),
    ]


def test_a_report_after_midnight_counts_for_the_previous_night(two_zones, category):
    submit(category, PerceivedSafety.FAIRLY_SAFE, night_at(1, days_ago=1))
    engine.recompute_stale()
    row = nightly_shares().get()
    assert row.period_start == timezone.localdate() - dt.timedelta(days=2)
    assert row.slot == "night"


def test_recomputing_twice_gives_the_same_table(two_zones, category):
    submit(category, PerceivedSafety.FAIRLY_SAFE, night_at(23))
    submit(category, PerceivedSafety.VERY_UNSAFE, night_at(3))
    engine.recompute_stale()
    first = rows()
    engine.recompute_all()
    engine.recompute_all()
    assert rows() == first


def test_the_full_recompute_equals_the_incremental_one(two_zones, category):
    for i in range(12):
        submit(category, PerceivedSafety(1 + i % 4), night_at(18 + i % 6, days_ago=1 + i % 3), lon=7.671 + 0.0015 * i)
    engine.recompute_stale()
    incremental = rows()
    Indicator.objects.all().delete()
    engine.recompute_all()
    assert rows() == incremental


def test_a_night_left_without_reports_loses_its_indicator(two_zones, category):
    report = submit(category, PerceivedSafety.FAIRLY_SAFE, night_at(23))
    engine.recompute_stale()
    assert nightly_shares().count() == 1
    # Rejected as spam (or deleted): the report no longer counts.
    Report.objects.filter(pk=report.pk).update(status=INDICATOR_EXCLUDED_STATUSES[0])
    stale.mark_stale([(report.zone_id, report.night)])  # as the moderation services do
    engine.recompute_stale()
    assert not nightly_shares().exists()


def test_a_custom_range_pools_the_answers_of_its_nights(two_zones, category):
    submit(category, PerceivedSafety.VERY_SAFE, night_at(23, days_ago=2))
    submit(category, PerceivedSafety.VERY_UNSAFE, night_at(23, days_ago=3))
    submit(category, PerceivedSafety.VERY_UNSAFE, night_at(23, days_ago=40))
    engine.recompute_stale()
    last = timezone.localdate() - dt.timedelta(days=1)
    values = selectors.zone_values(
        metric=SHARE_FEELING_SAFE, slot="night", period_kind=None, first=last - dt.timedelta(days=27), last=last
    )
    (share,) = values.values()
    assert (share.n, share.numerator, share.value) == (2, 1, 0.5)
    assert (share.lower, share.upper) == pytest.approx(statistics.wilson_interval(1, 2))
