"""The difference-in-differences recovers a known effect, finds none where there is none, and honours staggering."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from city.models import Zone
from grants import impact
from grants.tests.conftest import award, make_call, make_ranked, site_at
from indicators import registry
from indicators.models import Indicator


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
    variance = pre * (1 - pre) / answers + post * (1 - post) / answers
    return is_treated, pre, post, features, variance


def synthetic_psi_city(rng, *, zones=60, treated=4, effect=8.0, weeks=12, trend=2.0, weekly_noise=6.0):
    """Zone-level weekly Perceived Safety Index (0-100) before and after: a common trend, zone shocks,
    week-to-week noise and a treatment effect; each window is the mean of its weeks, as in the product."""
    baseline = rng.uniform(35.0, 75.0, size=zones)
    population = rng.lognormal(np.log(8000), 0.4, size=zones)
    shock = rng.normal(0.0, 1.5, size=zones)
    is_treated = np.zeros(zones, dtype=bool)
    is_treated[:treated] = True
    pre_weeks = baseline[:, None] + rng.normal(0.0, weekly_noise, size=(zones, weeks))
    post_level = baseline + trend + shock + effect * is_treated
    post_weeks = post_level[:, None] + rng.normal(0.0, weekly_noise, size=(zones, weeks))
    pre, post = pre_weeks.mean(axis=1), post_weeks.mean(axis=1)
    features = np.column_stack([pre, np.log(population)])
    variance = pre_weeks.var(axis=1, ddof=1) / weeks + post_weeks.var(axis=1, ddof=1) / weeks
    return is_treated, pre, post, features, variance


# Each outcome with its synthetic city, a true effect in its own unit, and how wide one zone's interval must be.
OUTCOMES = {
    "share": (synthetic_city, 0.10, 0.05),
    "psi": (synthetic_psi_city, 8.0, 5.0),
}


def estimate(rng, outcome="share", *, as_in_the_product=True, **options):
    """One synthetic DiD. As in the product: the spread of a zone's change from all clean controls, floored
    at the treated zones' own sampling variance; otherwise the bare estimator on the matched controls."""
    city = OUTCOMES[outcome][0]
    is_treated, pre, post, features, variance = city(rng, **options)
    weights = impact.match_controls(features[is_treated], features[~is_treated])
    treated, controls = (post - pre)[is_treated], (post - pre)[~is_treated]
    if not as_in_the_product:
        return impact.did_estimate(treated, controls, weights)
    return impact.did_estimate(
        treated, controls, weights, sampling_variance=float(variance[is_treated].mean()), pool_changes=controls
    )


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_a_known_effect_is_recovered_within_its_interval(outcome):
    _city, effect, _width = OUTCOMES[outcome]
    result = estimate(np.random.default_rng(7), outcome, effect=effect)
    assert result.lower <= effect <= result.upper
    assert result.lower > 0  # and it is told apart from no effect
    assert abs(result.effect - effect) < effect / 2


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_with_no_effect_the_interval_covers_zero(outcome):
    result = estimate(np.random.default_rng(11), outcome, effect=0.0)
    assert result.covers_zero


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_a_single_treated_zone_gets_an_honest_interval(outcome):
    _city, _effect, width = OUTCOMES[outcome]
    result = estimate(np.random.default_rng(3), outcome, treated=1, effect=0.0)
    assert result.treated_zones == 1 and result.covers_zero
    assert result.upper - result.lower > width  # one zone's change is noisy: the interval says so


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_interval_covers_the_true_effect_about_95_times_in_100(outcome):
    _city, effect, _width = OUTCOMES[outcome]
    rng = np.random.default_rng(2024)
    covered, runs = 0, 300
    for _ in range(runs):
        result = estimate(rng, outcome, as_in_the_product=False, effect=0.6 * effect, treated=3)
        covered += result.lower <= 0.6 * effect <= result.upper
    assert 0.90 <= covered / runs <= 0.99


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_products_variance_floor_errs_on_the_safe_side_without_blowing_up_the_interval(outcome):
    """The floor (a zone's own sampling variance) makes intervals with few treated zones conservative,
    also when the effect differs from zone to zone, at a modest cost in width."""
    _city, effect, _width = OUTCOMES[outcome]
    bare, floored = np.random.default_rng(31), np.random.default_rng(31)  # the same cities for both
    runs, truth = 300, 0.6 * effect
    product = [estimate(floored, outcome, effect=truth, treated=3) for _ in range(runs)]
    plain = [estimate(bare, outcome, as_in_the_product=False, effect=truth, treated=3) for _ in range(runs)]
    assert sum(r.lower <= truth <= r.upper for r in product) / runs >= 0.95
    width = np.mean([r.upper - r.lower for r in product]) / np.mean([r.upper - r.lower for r in plain])
    assert 1.0 <= width <= 1.4


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_with_no_effect_the_interval_excludes_zero_only_about_5_times_in_100(outcome):
    rng = np.random.default_rng(99)
    false_alarms = sum(not estimate(rng, outcome, effect=0.0, treated=3).covers_zero for _ in range(300))
    assert false_alarms / 300 <= 0.10


def test_matching_picks_the_controls_nearest_on_baseline_and_population():
    treated = np.array([[0.60, np.log(10000)]])
    controls = np.array([[0.90, np.log(10000)], [0.61, np.log(10500)], [0.59, np.log(9500)], [0.60, np.log(90000)],
                         [0.62, np.log(10000)]])  # fmt: skip
    weights = impact.match_controls(treated, controls, k=3)
    assert list(np.flatnonzero(weights)) == [1, 2, 4]
    assert weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_stacked_estimate_recovers_a_common_effect_across_staggered_projects(outcome):
    city, effect, _width = OUTCOMES[outcome]
    rng = np.random.default_rng(5)
    stacks = []
    for project in range(5):
        is_treated, pre, post, features, _variance = city(rng, zones=40, treated=2, effect=effect)
        ids = np.arange(40) + 100 * project  # distinct zones per stack, as if each window saw other controls
        weights = impact.match_controls(features[is_treated], features[~is_treated])
        stacks.append(
            impact.Stack(project, ids[is_treated], (post - pre)[is_treated], ids[~is_treated],
                         (post - pre)[~is_treated], weights)
        )  # fmt: skip
    result = impact.stacked_did(stacks, draws=499)
    assert result.lower <= effect <= result.upper
    assert result.lower > 0
    assert result.treated_zones == 10


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_stacked_estimate_finds_nothing_where_nothing_happened(outcome):
    city, _effect, _width = OUTCOMES[outcome]
    rng = np.random.default_rng(8)
    stacks = []
    for project in range(4):
        is_treated, pre, post, features, _variance = city(rng, zones=40, treated=2, effect=0.0)
        ids = np.arange(40) + 100 * project
        weights = impact.match_controls(features[is_treated], features[~is_treated])
        stacks.append(
            impact.Stack(project, ids[is_treated], (post - pre)[is_treated], ids[~is_treated],
                         (post - pre)[~is_treated], weights)
        )  # fmt: skip
    assert impact.stacked_did(stacks, draws=499).covers_zero


def test_the_t_quantile_is_accurate():
    assert impact.t_quantile_975(5) == pytest.approx(2.5706, rel=0.01)
    assert impact.t_quantile_975(30) == pytest.approx(2.0423, rel=0.001)
    assert impact.t_quantile_975(float("inf")) == pytest.approx(1.96, rel=0.001)


def test_the_t_quantile_is_exact_where_welchs_df_falls_with_two_treated_zones():
    # Tables of Student's t: 12.706 at df = 1 and 4.303 at df = 2 (a Cornish-Fisher expansion gives 9.7 at df = 1).
    assert impact.t_quantile_975(1) == pytest.approx(12.7062, rel=0.001)
    assert impact.t_quantile_975(2) == pytest.approx(4.3027, rel=0.001)
    assert impact.t_quantile_975(1.5) == pytest.approx(6.0167, rel=0.01)


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
                          metric=registry.SHARE_FEELING_SAFE, method_version=registry.METHOD_VERSION,
                          value=k / n, numerator=k, n=n, computed_at=now)
            )  # fmt: skip
        night += dt.timedelta(days=1)
    Indicator.objects.bulk_create(rows)


def _weekly_psi_rows(zone_psi, first_monday, last_monday, slots=("night", "late_night"), n=40):
    """Weekly index rows for each zone and slot: value = zone_psi(zone, monday, slot)."""
    rows, now = [], timezone.now()
    monday = first_monday
    while monday <= last_monday:
        for zone, slot, value in zone_psi(monday, slots):
            rows.append(
                Indicator(zone=zone, period_kind="week", period_start=monday, slot=slot, metric=registry.PSI,
                          method_version=registry.METHOD_VERSION, value=value, lower=value - 5, upper=value + 5,
                          n=n, coverage=1.0, grade="A", computed_at=now)
            )  # fmt: skip
        monday += dt.timedelta(days=7)
    Indicator.objects.bulk_create(rows)


def _last_night(night):
    """A single share row: the observatory's latest night (the end of every post window)."""
    Indicator.objects.create(
        zone=Zone.objects.order_by("code").first(), period_kind="night", period_start=night, slot="day",
        metric=registry.SHARE_FEELING_SAFE, method_version=registry.METHOD_VERSION, value=0.5, numerator=1, n=2,
        computed_at=timezone.now(),
    )  # fmt: skip


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
    result = impact.impact_for_project(improving.pk).outcome("share")
    night = result.slot("night").estimate
    assert night is not None and night.lower <= 0.20 <= night.upper and night.lower > 0.05
    assert abs(night.effect - 0.20) < 0.05
    assert night.effect_points == pytest.approx(100 * night.effect)  # shown in percentage points
    assert night.treated_zones == 1
    assert result.slot("night").stack.control_ids.tolist().count(earlier.zones.get().pk) == 0
    assert result.slot("evening").estimate is None and result.slot("evening").reason == "no_treated_data"
    assert impact.impact_for_project(improving.pk).post_last == start + dt.timedelta(days=27)


def _psi_city(grid_zones, start, *, lift, seed):
    """Weekly index rows around a Wednesday start: G11 gains ``lift`` points after it, the week that
    straddles the start is poisoned (it must be left out), and every zone wobbles from week to week."""
    rng = np.random.default_rng(seed)
    level = {z.pk: 45 + 3 * (i % 7) for i, z in enumerate(grid_zones)}
    drift = {z.pk: rng.normal(0, 1.5) for z in grid_zones}
    straddling = start - dt.timedelta(days=start.weekday())

    def psi(monday, slots):
        for zone in grid_zones:
            for slot in slots:
                after = monday >= start
                value = level[zone.pk] + rng.normal(0, 3) + (2 + drift[zone.pk] if after else 0)
                if zone.code == "G11" and after:
                    value += lift
                if zone.code == "G11" and monday == straddling:
                    value = 100.0
                yield zone, slot, value

    first_monday = start - dt.timedelta(days=start.weekday() + 7 * 13)
    _weekly_psi_rows(psi, first_monday, start + dt.timedelta(days=35))


def _wednesday(days_ago: int) -> dt.date:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return day - dt.timedelta(days=(day.weekday() - 2) % 7)


@pytest.mark.django_db
def test_a_project_whose_zone_improved_shows_the_index_gain_against_matched_zones(grid, evaluator):
    start = _wednesday(45)
    project = award(make_ranked(make_call(), evaluator, title="A"), "1000", start=start)  # zone G11
    _psi_city(list(Zone.objects.order_by("code")), start, lift=12.0, seed=4)
    _last_night(start + dt.timedelta(days=34))

    result = impact.impact_for_project(project.pk)
    psi = result.outcome("psi")
    for slot in ("night", impact.AFTER_DARK):
        estimate = psi.slot(slot).estimate
        assert estimate is not None, psi.slot(slot).reason
        assert estimate.lower <= 12.0 <= estimate.upper and estimate.lower > 4.0, (slot, estimate)
        assert estimate.effect_points == pytest.approx(estimate.effect)  # already in index points
        assert estimate.treated_zones == 1 and estimate.control_zones >= impact.MIN_CONTROLS
    assert psi.slot("evening").estimate is None and psi.slot("evening").reason == "no_treated_weeks"
    # The share has no answers here: it says so rather than borrowing the index's numbers.
    assert result.outcome("share").slot("night").reason == "no_treated_data"


@pytest.mark.django_db
def test_the_index_of_a_zone_that_did_not_change_shows_no_clear_change(grid, evaluator):
    start = _wednesday(45)
    project = award(make_ranked(make_call(), evaluator, title="A"), "1000", start=start)
    _psi_city(list(Zone.objects.order_by("code")), start, lift=0.0, seed=4)
    _last_night(start + dt.timedelta(days=34))

    psi = impact.impact_for_project(project.pk).outcome("psi")
    assert psi.slot("night").estimate.covers_zero
    assert psi.slot(impact.AFTER_DARK).estimate.covers_zero


@pytest.mark.django_db
def test_the_index_is_compared_over_full_weeks_only(grid, evaluator):
    start = _wednesday(45)
    project = award(make_ranked(make_call(), evaluator, title="A"), "1000", start=start)
    _psi_city(list(Zone.objects.order_by("code")), start, lift=0.0, seed=4)
    _last_night(start + dt.timedelta(days=34))
    g11 = Zone.objects.get(code="G11").pk

    first, last = start - dt.timedelta(days=84), start + dt.timedelta(days=34)
    window = impact._psi_windows(first, start, last)[(g11, "night")]
    weeks = {w.period_start: w.value for w in Indicator.objects.filter(zone_id=g11, slot="night", metric="psi")}
    six = dt.timedelta(days=6)
    pre = [v for monday, v in weeks.items() if monday >= first and monday + six < start]
    post = [v for monday, v in weeks.items() if monday >= start and monday + six <= last]
    assert len(pre) == 11 and len(post) == 4  # twelve weeks before, minus the one cut by the window's first night
    # The poisoned week that straddles the start is in neither window; nor are weeks past the last night.
    assert 100.0 not in pre + post and max(weeks) + six > last
    assert window.pre == pytest.approx(float(np.mean(pre)))
    assert window.post == pytest.approx(float(np.mean(post)))
    assert window.answers == 40 * (len(pre) + len(post))
    assert project.start_on == start


@pytest.mark.django_db
def test_the_programme_summary_stacks_both_outcomes(grid, evaluator):
    start = _wednesday(45)
    call = make_call()
    award(make_ranked(call, evaluator, title="A"), "1000", start=start)
    _psi_city(list(Zone.objects.order_by("code")), start, lift=12.0, seed=4)
    _last_night(start + dt.timedelta(days=34))

    programme = impact.programme_impact()
    assert [o.outcome.code for o in programme.outcomes] == ["share", "psi"]
    by_slot = {slot: (estimate, count) for slot, _label, estimate, count in programme.outcome("psi").by_slot}
    estimate, count = by_slot["night"]
    assert count == 1 and estimate.lower <= 12.0 <= estimate.upper and estimate.scale == 1.0
    assert all(estimate is None for _s, _l, estimate, _c in programme.outcome("share").by_slot)


@pytest.mark.django_db
def test_a_project_that_started_days_ago_is_not_estimated_yet(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "1000", start=timezone.localdate() - dt.timedelta(days=3))
    Indicator.objects.create(
        zone=Zone.objects.first(), period_kind="night", period_start=timezone.localdate() - dt.timedelta(days=1),
        slot="night", metric=registry.SHARE_FEELING_SAFE, method_version=registry.METHOD_VERSION, value=0.5,
        numerator=1, n=2, computed_at=timezone.now(),
    )  # fmt: skip
    result = impact.impact_for_project(project.pk)
    assert {s.reason for o in result.outcomes for s in o.slots} == {"too_recent"}
