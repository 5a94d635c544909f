"""The difference-in-differences recovers a known effect, finds none where there is none, and honours staggering."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from grants import impact
from grants.tests.conftest import award, make_call, make_ranked, site_at
from observatory import indicators
from observatory.models import Indicator, Zone


def synthetic_city(rng, *, zones=60, treated=4, effect=0.10, answers=150, trend=0.03):
    """Zone-level pre/post shares with a common trend, zone shocks, binomial answers and a treatment effect."""
    baseline = rng.uniform(0.45, 0.85, size=zones)
    population = rng.lognormal(np.log(8000), 0.4, size=zones)
    shock = rng.normal(0.0, 0.02, size=zones)
    is_treated = np.zeros(zones, dtype=bool)
    is_treated[:treated] = True
    true_post = np.clip(baseline + trend + shock + effect * is_treated, 0.01, 0.99)
    pre = rng.binomial(answers, baseline) / answers
    post = rng.binomial(answers, true_post) / answers
    features = np.column_stack([pre, np.log(population)])
    return is_treated, pre, post, features


def estimate(rng, **options):
    is_treated, pre, post, features = synthetic_city(rng, **options)
    weights = impact.match_controls(features[is_treated], features[~is_treated])
    return impact.did_estimate((post - pre)[is_treated], (post - pre)[~is_treated], weights)


def test_a_known_effect_is_recovered_within_its_interval():
    result = estimate(np.random.default_rng(7), effect=0.10)
    assert result.lower <= 0.10 <= result.upper
    assert result.lower > 0  # and it is told apart from no effect
    assert abs(result.effect - 0.10) < 0.05


def test_with_no_effect_the_interval_covers_zero():
    result = estimate(np.random.default_rng(11), effect=0.0)
    assert result.covers_zero


def test_a_single_treated_zone_gets_an_honest_interval():
    result = estimate(np.random.default_rng(3), treated=1, effect=0.0)
    assert result.treated_zones == 1 and result.covers_zero
    assert result.upper - result.lower > 0.05  # one zone's change is noisy: the interval says so


def test_the_interval_covers_the_true_effect_about_95_times_in_100():
    rng = np.random.default_rng(2024)
    covered = 0
    runs = 300
    for _ in range(runs):
        result = estimate(rng, effect=0.06, treated=3)
        covered += result.lower <= 0.06 <= result.upper
    assert 0.90 <= covered / runs <= 0.99


def test_matching_picks_the_controls_nearest_on_baseline_and_population():
    treated = np.array([[0.60, np.log(10000)]])
    controls = np.array([[0.90, np.log(10000)], [0.61, np.log(10500)], [0.59, np.log(9500)], [0.60, np.log(90000)],
                         [0.62, np.log(10000)]])  # fmt: skip
    weights = impact.match_controls(treated, controls, k=3)
    assert list(np.flatnonzero(weights)) == [1, 2, 4]
    assert weights.sum() == pytest.approx(1.0)


def test_the_stacked_estimate_recovers_a_common_effect_across_staggered_projects():
    rng = np.random.default_rng(5)
    stacks = []
    for project in range(5):
        is_treated, pre, post, features = synthetic_city(rng, zones=40, treated=2, effect=0.08)
        ids = np.arange(40) + 100 * project  # distinct zones per stack, as if each window saw other controls
        weights = impact.match_controls(features[is_treated], features[~is_treated])
        stacks.append(
            impact.Stack(project, ids[is_treated], (post - pre)[is_treated], ids[~is_treated],
                         (post - pre)[~is_treated], weights)
        )  # fmt: skip
    result = impact.stacked_did(stacks, draws=499)
    assert result.lower <= 0.08 <= result.upper
    assert result.treated_zones == 10


def test_the_t_quantile_is_accurate():
    assert impact.t_quantile_975(5) == pytest.approx(2.5706, rel=0.01)
    assert impact.t_quantile_975(30) == pytest.approx(2.0423, rel=0.001)
    assert impact.t_quantile_975(float("inf")) == pytest.approx(1.96, rel=0.001)


# --- from the observatory's indicator rows -----------------------------------------------------------------


def _indicator_rows(zone_share, first, last, slot="night", n=50):
    """Night rows for each zone: share = zone_share(zone, night) with n answers a night (numerator rounded)."""
    rows, now = [], timezone.now()
    night = first
    while night <= last:
        for zone, share in zone_share(night):
            k = round(share * n)
            rows.append(
                Indicator(zone=zone, period_kind="night", period_start=night, slot=slot,
                          metric=indicators.SHARE_FEELING_SAFE, method_version=indicators.METHOD_VERSION,
                          value=k / n, numerator=k, n=n, computed_at=now)
            )  # fmt: skip
        night += dt.timedelta(days=1)
    Indicator.objects.bulk_create(rows)


@pytest.mark.django_db
def test_a_project_whose_zone_improved_shows_the_improvement_against_matched_zones(grid, evaluator):
    start = timezone.localdate() - dt.timedelta(days=30)
    call = make_call()
    improving = award(make_ranked(call, evaluator, title="A"), "1000", start=start)  # zone G11
    earlier = award(make_ranked(call, evaluator, sites=site_at(3, 3), title="B"), "1000",
                    start=start - dt.timedelta(days=200))  # fmt: skip  # G33: already treated, never a control
    zones = list(Zone.objects.order_by("code"))
    rng = np.random.default_rng(1)
    level = {z.pk: 0.55 + 0.02 * (i % 6) for i, z in enumerate(zones)}
    wobble = {z.pk: rng.normal(0, 0.03) for z in zones}

    def share(night):
        for zone in zones:
            after = night >= start
            lift = 0.20 if (after and zone.code == "G11") else 0.0
            yield zone, level[zone.pk] + (wobble[zone.pk] if after else 0) + lift

    _indicator_rows(share, start - dt.timedelta(days=56), start + dt.timedelta(days=27))
    result = impact.impact_for_project(improving.pk)
    by_slot = {s.slot: s for s in result.slots}
    night = by_slot["night"].estimate
    assert night is not None and night.lower <= 0.20 <= night.upper and night.lower > 0.05
    assert abs(night.effect - 0.20) < 0.05
    assert night.treated_zones == 1
    assert by_slot["night"].stack.control_ids.tolist().count(earlier.zones.get().pk) == 0
    assert by_slot["evening"].estimate is None and by_slot["evening"].reason == "no_treated_data"
    assert result.post_last == start + dt.timedelta(days=27)


@pytest.mark.django_db
def test_a_project_that_started_days_ago_is_not_estimated_yet(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "1000", start=timezone.localdate() - dt.timedelta(days=3))
    Indicator.objects.create(
        zone=Zone.objects.first(), period_kind="night", period_start=timezone.localdate() - dt.timedelta(days=1),
        slot="night", metric=indicators.SHARE_FEELING_SAFE, method_version=indicators.METHOD_VERSION, value=0.5,
        numerator=1, n=2, computed_at=timezone.now(),
    )  # fmt: skip
    result = impact.impact_for_project(project.pk)
    assert {s.reason for s in result.slots} == {"too_recent"}
