"""The weighted survey share as an index component, and reads that stay at the current method version."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from indicators import engine, registry, selectors
from indicators.models import Indicator
from indicators.stages.composite import SHARE_USED_REPORTERS, SHARE_USED_SURVEY
from reports.models import PerceivedSafety
from reports.services import report_submit
from surveys.models import Campaign, SurveyEstimate
from surveys.tests.weighting_fixtures import FIELDWORK, surveyed_city
from surveys.weighting import weighting_run_execute

pytestmark = pytest.mark.django_db

NIGHT = dt.date(2026, 11, 5)  # inside the fixture's fieldwork (2 to 17 November 2026)


def test_latest_night_reads_only_the_current_method_version(two_zones):
    west, _east = two_zones
    for night, version in ((NIGHT, registry.METHOD_VERSION), (NIGHT + dt.timedelta(days=3), "1.0")):
        Indicator.objects.create(
            zone=west, period_kind="night", period_start=night, slot="night", metric=registry.SHARE_FEELING_SAFE,
            method_version=version, value=0.5, n=2, numerator=1, computed_at=timezone.now(),
        )  # fmt: skip
    assert selectors.latest_night() == NIGHT


def _report_in(zone, category, safety=PerceivedSafety.VERY_UNSAFE):
    centre = zone.geom.centroid
    when = dt.datetime.combine(NIGHT, dt.time(23, 0), tzinfo=dt.timezone(dt.timedelta(hours=1)))
    return report_submit(category=category, location=centre, perceived_safety=safety, occurred_at=when)


def test_the_index_uses_the_survey_share_where_there_is_one_and_says_so(category):
    campaign, zones = surveyed_city(zones=6)
    for zone in zones:
        _report_in(zone, category)
    weighting_run_execute(campaign=campaign)
    engine.recompute_stale(anchor=NIGHT + dt.timedelta(days=30))
    survey = Indicator.objects.current().metric(registry.SURVEY_SHARE).period("night", NIGHT).slot("night")
    assert survey.count() == len(zones)
    psi = Indicator.objects.current().metric(registry.PSI).period("night", NIGHT).slot("night")
    by_zone = {row.zone_id: row for row in survey}
    for row in psi:
        assert row.unit == SHARE_USED_SURVEY
        stored = by_zone[row.zone_id]
        assert row.n == stored.n  # the index rests on the survey's answers, not the one report
        estimate = SurveyEstimate.objects.get(
            campaign=campaign, zone_id=row.zone_id, period_kind="campaign", slot="", reading="not_safe",
            method=stored.unit,
        )  # fmt: skip
        assert stored.value == pytest.approx(estimate.value)
    # Every report said "very unsafe": with the reporters' share the index would score that component 0.
    reporters = Indicator.objects.current().metric(registry.SHARE_FEELING_SAFE).period("night", NIGHT).slot("night")
    assert set(reporters.values_list("value", flat=True)) == {0.0}
    assert all(row.value > 0 for row in psi)


def test_a_self_selected_campaign_never_enters_the_index(category):
    campaign, zones = surveyed_city(zones=6, mode=Campaign.Mode.OPEN)
    for zone in zones:
        _report_in(zone, category)
    weighting_run_execute(campaign=campaign)
    engine.recompute_stale(anchor=NIGHT + dt.timedelta(days=30))
    assert not Indicator.objects.metric(registry.SURVEY_SHARE).exists()
    psi = Indicator.objects.current().metric(registry.PSI).period("night", NIGHT).slot("night")
    assert psi.exists() and {row.unit for row in psi} == {SHARE_USED_REPORTERS}


def test_the_survey_share_is_not_given_to_the_day_slot(category):
    campaign, _zones = surveyed_city(zones=6)
    weighting_run_execute(campaign=campaign)
    engine.recompute_stale(anchor=FIELDWORK.date() + dt.timedelta(days=30))
    rows = Indicator.objects.current().metric(registry.SURVEY_SHARE)
    assert rows.exists() and not rows.filter(slot="day").exists()
