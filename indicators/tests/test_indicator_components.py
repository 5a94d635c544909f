"""Every component of the indicator method on small cases computed by hand (docs/methodology.md)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.contrib.gis.geos import Point
from django.test import override_settings

from city import stale
from city.models import StaleZoneNight
from conftest import square_zone
from indicators import engine, registry
from indicators import statistics as st
from indicators.models import Indicator
from reports.models import INDICATOR_EXCLUDED_STATUSES, PerceivedSafety, Report
from reports.services import audit_submit, report_submit

pytestmark = pytest.mark.django_db

ROME = dt.timezone(dt.timedelta(hours=2))  # CEST, for instants in summer
NIGHT = dt.date(2026, 6, 12)  # a Friday in the past (reports older than a year are refused)
ANCHOR = dt.date(2026, 6, 30)


def at(night: dt.date, hour: int, minute: int = 15) -> dt.datetime:
    """An instant of the given night at a local (CEST) hour; hours before 6 fall on the next day."""
    day = night + dt.timedelta(days=1) if hour < 6 else night
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ROME)


def submit(category, safety, when, lon=7.675, lat=45.065) -> Report:
    return report_submit(
        category=category, location=Point(lon, lat, srid=4326), perceived_safety=safety, occurred_at=when
    )


def value(metric, zone, *, kind="night", start=NIGHT, slot="night") -> Indicator:
    return Indicator.objects.get(metric=metric, zone=zone, period_kind=kind, period_start=start, slot=slot)


def recompute():
    return engine.recompute_stale(anchor=ANCHOR)


def snapshot():
    return list(
        Indicator.objects.order_by("zone_id", "period_kind", "period_start", "slot", "metric").values_list(
            "zone_id", "period_kind", "period_start", "slot", "metric", "method_version", "value", "numerator", "n",
            "lower", "upper", "raw_value", "denominator", "unit", "coverage", "grade",
        )
    )  # fmt: skip


# --- share feeling safe ---------------------------------------------------------------------------


def test_a_zone_with_two_reports_has_a_share_of_one_half_with_its_wilson_interval(two_zones, category):
    west, _east = two_zones
    submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23))
    submit(category, PerceivedSafety.A_BIT_UNSAFE, at(NIGHT, 23, 40))
    recompute()
    share = value("share_feeling_safe", west)
    assert (share.n, share.numerator, share.value) == (2, 1, 0.5)
    # Wilson 95% for 1/2 by hand: (0.5 + 0.9604 ± 1.96·sqrt(0.125 + 0.2401)) / 1.9208 -> 0.0945, 0.9055
    assert share.lower == pytest.approx(0.0945, abs=1e-4)
    assert share.upper == pytest.approx(0.9055, abs=1e-4)
    assert share.method_version == registry.METHOD_VERSION


def test_a_zone_with_no_data_has_no_share_but_a_zero_count_rate_and_an_index_graded_d(two_zones, category):
    _west, east = two_zones
    submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23))
    recompute()
    assert not Indicator.objects.filter(zone=east, metric="share_feeling_safe").exists()
    rate = value("report_rate", east)
    assert (rate.numerator, rate.raw_value, rate.unit) == (0, 0.0, "per_10k_residents")
    psi = value("psi", east)
    # Only the report rate is present: coverage is its weight over all weights, never a zero index.
    assert psi.coverage == pytest.approx(0.2)
    assert psi.grade == "D"
    assert psi.value is not None


def test_audits_count_in_the_share_when_feeling_is_two_or_more(two_zones, category):
    west, _east = two_zones
    scores = dict.fromkeys(Report._meta.apps.get_model("reports", "SafetyAudit").PARAMETERS, 1)
    audit_submit(location=Point(7.675, 45.065, srid=4326), occurred_at=at(NIGHT, 23), scores={**scores, "feeling": 2})
    audit_submit(location=Point(7.675, 45.065, srid=4326), occurred_at=at(NIGHT, 23), scores={**scores, "feeling": 1})
    submit(category, PerceivedSafety.VERY_UNSAFE, at(NIGHT, 23))
    recompute()
    share = value("share_feeling_safe", west)
    assert (share.n, share.numerator) == (3, 1)


def test_excluded_statuses_do_not_count(two_zones, category):
    west, _east = two_zones
    submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23))
    spam = submit(category, PerceivedSafety.VERY_UNSAFE, at(NIGHT, 23))
    Report.objects.filter(pk=spam.pk).update(status=INDICATOR_EXCLUDED_STATUSES[0])
    recompute()
    assert value("share_feeling_safe", west).n == 1
    assert value("report_rate", west).numerator == 1


def test_a_night_crossing_the_end_of_daylight_saving_counts_both_two_thirty_once(two_zones, category):
    west, _east = two_zones
    # Europe/Rome left summer time at 03:00 CEST on 25 October 2026: 02:30 happened twice.
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # 02:30 CEST
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 02:30 CET, an hour later
    submit(category, PerceivedSafety.VERY_SAFE, first)
    submit(category, PerceivedSafety.VERY_UNSAFE, second)
    engine.recompute_stale(anchor=dt.date(2026, 11, 1))
    night = dt.date(2026, 10, 24)
    share = value("share_feeling_safe", west, start=night, slot="late_night")
    assert (share.n, share.numerator) == (2, 1)
    week = value("share_feeling_safe", west, kind="week", start=dt.date(2026, 10, 19), slot="late_night")
    month = value("share_feeling_safe", west, kind="month", start=dt.date(2026, 10, 1), slot="late_night")
    assert week.n == month.n == 2


def test_a_report_on_a_shared_border_counts_once_for_the_lowest_zone(two_zones, category):
    west, east = two_zones
    submit(category, PerceivedSafety.FAIRLY_SAFE, at(NIGHT, 23), lon=7.68, lat=45.065)  # on the shared meridian
    recompute()
    assert value("share_feeling_safe", west).n == 1
    assert not Indicator.objects.filter(zone=east, metric="share_feeling_safe").exists()
    assert value("report_rate", west).numerator + value("report_rate", east).numerator == 1


def test_weeks_months_and_the_rolling_window_pool_their_nights(two_zones, category):
    west, _east = two_zones
    submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23))  # Friday 12 June
    submit(category, PerceivedSafety.VERY_UNSAFE, at(NIGHT + dt.timedelta(days=1), 23))  # Saturday
    submit(category, PerceivedSafety.VERY_UNSAFE, at(dt.date(2026, 6, 19), 23))  # next week
    recompute()
    assert value("share_feeling_safe", west, kind="week", start=dt.date(2026, 6, 8)).n == 2
    assert value("share_feeling_safe", west, kind="week", start=dt.date(2026, 6, 15)).n == 1
    assert value("share_feeling_safe", west, kind="month", start=dt.date(2026, 6, 1)).n == 3
    window = value("share_feeling_safe", west, kind="rolling28", start=ANCHOR - dt.timedelta(days=27))
    assert (window.n, window.numerator) == (3, 1)


# --- audit sub-scores -------------------------------------------------------------------------------


def test_audit_sub_scores_are_means_with_a_student_t_interval(two_zones):
    west, _east = two_zones
    parameters = ("lighting", "openness", "visibility", "people", "security", "walk_path", "public_transport",
                  "gender_diversity", "feeling")  # fmt: skip
    for lighting in (1, 3):
        audit_submit(
            location=Point(7.675, 45.065, srid=4326),
            occurred_at=at(NIGHT, 23),
            scores={**dict.fromkeys(parameters, 2), "lighting": lighting},
        )
    recompute()
    lighting = value("audit_lighting", west)
    # mean 2, sd sqrt(2), t(0.975, 1) = 12.706: half-width 12.706 · sqrt(2) / sqrt(2) = 12.706, clipped to 0..3
    assert (lighting.n, lighting.value, lighting.lower, lighting.upper) == (2, 2.0, 0.0, 3.0)
    overall = value("audit_score", west)
    assert overall.value == pytest.approx((17 / 9 + 19 / 9) / 2)
    assert value("audit_openness", west).lower == pytest.approx(2.0)  # no spread, no width


# --- empirical Bayes ------------------------------------------------------------------------------


def test_marshall_eb_matches_the_textbook_formula_by_hand():
    # x = 2, 0, 6 reports over p = 1, 2, 1 (tens of thousands of residents): r = 2, 0, 6; m = 8/4 = 2;
    # s² = (1·0² + 2·2² + 1·4²)/4 - 2/(4/3) = 6 - 1.5 = 4.5; C = 4.5/(4.5 + 2/p) = 9/13, 9/11, 9/13.
    eb = st.eb_marshall([2, 0, 6], [1, 2, 1])
    assert eb.m == 2 and eb.s2 == pytest.approx(4.5)
    assert eb.shrinkage == pytest.approx([9 / 13, 9 / 11, 9 / 13])
    assert eb.smoothed == pytest.approx([2, 2 - 18 / 11, 2 + 36 / 13])
    # The gamma posterior's mean is the smoothed rate, and its interval contains it.
    assert np.all(eb.lower <= eb.smoothed) and np.all(eb.smoothed <= eb.upper)


def test_marshall_eb_clips_a_negative_variance_to_zero_and_shrinks_everything_to_the_mean():
    eb = st.eb_marshall([1, 1, 2], [1, 1, 1])  # s² = 2/9 - 4/3 < 0
    assert eb.s2 == 0.0
    assert eb.smoothed == pytest.approx([4 / 3] * 3)


def test_grouped_eb_equals_the_one_group_formula():
    rng = np.random.default_rng(7)
    x = rng.poisson(5, 40).astype(float)
    p = rng.uniform(0.5, 3, 40)
    groups = np.repeat([0, 1], 20)
    smoothed, lower, upper = st.eb_marshall_grouped(x, p, groups)
    for g in (0, 1):
        one = st.eb_marshall(x[groups == g], p[groups == g])
        assert smoothed[groups == g] == pytest.approx(one.smoothed)
        assert lower[groups == g] == pytest.approx(one.lower)
        assert upper[groups == g] == pytest.approx(one.upper)


def three_zones():
    return (
        square_zone("A", 7.60, 45.00, population=10_000),
        square_zone("B", 7.61, 45.00, population=20_000),
        square_zone("C", 7.62, 45.00, population=10_000),
    )


def test_stored_rates_are_the_eb_smoothing_of_the_counts_per_ten_thousand_residents(category):
    a, b, c = three_zones()
    submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23), lon=7.605, lat=45.005)
    submit(category, PerceivedSafety.VERY_UNSAFE, at(NIGHT, 23), lon=7.605, lat=45.005)
    for safety in (4, 4, 3, 1, 1, 2):
        submit(category, safety, at(NIGHT, 23), lon=7.625, lat=45.005)
    recompute()
    rates = [value("report_rate", z) for z in (a, b, c)]
    assert [r.numerator for r in rates] == [2, 0, 6]
    assert [r.raw_value for r in rates] == pytest.approx([2, 0, 6])
    assert [r.value for r in rates] == pytest.approx([2, 2 - 18 / 11, 2 + 36 / 13])


# --- the composite index --------------------------------------------------------------------------


def test_the_composite_index_matches_a_computation_by_hand(category):
    a, b, c = three_zones()
    submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23), lon=7.605, lat=45.005)
    submit(category, PerceivedSafety.VERY_UNSAFE, at(NIGHT, 23), lon=7.605, lat=45.005)
    for safety in (4, 4, 3, 1, 1, 2):
        submit(category, safety, at(NIGHT, 23), lon=7.625, lat=45.005)
    recompute()
    # EB rates 2, 4/11, 2 + 36/13: min-max, lower is safer -> rate scores 100·(max - r)/(max - min).
    low, high = 2 - 18 / 11, 2 + 36 / 13
    rate_a = 100 * (high - 2) / (high - low)
    # Shares: A 1/2 -> 50, B none (missing), C 3/6 -> 50. Weights 0.4 share, 0.2 rate, others absent.
    expected = {
        a: ((0.4 * 50 + 0.2 * rate_a) / 0.6, 0.6),
        b: (100.0, 0.2),
        c: ((0.4 * 50 + 0.2 * 0) / 0.6, 0.6),
    }
    for zone, (psi, coverage) in expected.items():
        row = value("psi", zone)
        assert row.value == pytest.approx(psi)
        assert row.coverage == pytest.approx(coverage)
        assert row.lower <= row.value <= row.upper
    assert value("psi", a).grade == "D"  # n = 2
    assert value("psi", c).grade == "C"  # n = 6 and some coverage


def test_weights_come_from_settings_and_a_missing_component_is_reweighted(category):
    a, _b, c = three_zones()
    submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23), lon=7.605, lat=45.005)
    submit(category, PerceivedSafety.VERY_UNSAFE, at(NIGHT, 23), lon=7.625, lat=45.005)
    with override_settings(OBSERVATORY_PSI_WEIGHTS={"share_feeling_safe": 1.0, "report_rate": 0.0}):
        recompute()
        assert value("psi", a).value == pytest.approx(100.0)
        assert value("psi", c).value == pytest.approx(0.0)
        assert value("psi", a).coverage == pytest.approx(1 / 1.4)  # audits and sensors keep their weight


def test_composite_by_hand_on_the_pure_function():
    scores = np.array([[80.0, 40.0, np.nan], [np.nan, np.nan, np.nan], [20.0, np.nan, 60.0]])
    psi, coverage = st.composite(scores, [0.5, 0.25, 0.25])
    assert psi[0] == pytest.approx((0.5 * 80 + 0.25 * 40) / 0.75)
    assert np.isnan(psi[1]) and coverage[1] == 0
    assert psi[2] == pytest.approx((0.5 * 20 + 0.25 * 60) / 0.75)
    assert coverage == pytest.approx([0.75, 0, 0.75])


def test_sensitivity_reports_rank_shifts_for_each_scenario():
    rng = np.random.default_rng(3)
    scores = rng.uniform(0, 100, (30, len(st.COMPONENTS)))
    result = st.sensitivity(scores, st.DEFAULT_WEIGHTS, draws=50)
    labels = [s["scenario"] for s in result["scenarios"]]
    assert labels[0].startswith("weights x U(0.5, 1.5)")
    assert "without share_feeling_safe" in labels and "without noise" not in labels  # noise weighs 0
    for scenario in result["scenarios"]:
        assert scenario["mean_abs_rank_change"] >= 0 and -1 <= scenario["spearman"] <= 1
    assert st.sensitivity(scores, st.DEFAULT_WEIGHTS, draws=50) == result  # fixed seed


# --- the engine -----------------------------------------------------------------------------------


def test_the_full_recompute_equals_the_incremental_one_for_every_metric(category):
    three_zones()
    for i in range(24):
        night = NIGHT + dt.timedelta(days=i % 9)
        submit(category, 1 + i % 4, at(night, (18 + i % 10) % 24), lon=7.601 + 0.0011 * i, lat=45.005)
    recompute()
    incremental = snapshot()
    engine.recompute_all(anchor=ANCHOR)
    assert snapshot() == incremental
    engine.recompute_all(anchor=ANCHOR)
    assert snapshot() == incremental


def test_a_later_report_updates_the_other_zones_smoothed_rates(category):
    _a, b, _c = three_zones()
    submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23), lon=7.605, lat=45.005)
    recompute()
    before = value("report_rate", b).value
    for _ in range(5):
        submit(category, PerceivedSafety.VERY_SAFE, at(NIGHT, 23), lon=7.625, lat=45.005)
    recompute()
    assert value("report_rate", b).value != before  # the pooled mean moved
    incremental = snapshot()
    engine.recompute_all(anchor=ANCHOR)
    assert snapshot() == incremental


# --- sensors --------------------------------------------------------------------------------------


def test_sensor_medians_quartiles_and_coverage_and_the_incremental_path_agrees(two_zones):
    from django.utils import timezone

    from sensors.models import Reading, Sensor, SensorKind

    west, _east = two_zones
    kind = SensorKind.objects.create(
        code="lux-test", name_it="Lux", name_en="Lux", observed_property="illuminance", unit="lx", valid_min=0,
        valid_max=100000, expected_interval_seconds=3600, indicator_metric="illuminance",
    )  # fmt: skip
    sensor = Sensor.objects.create(
        external_id="L1", kind=kind, location=Point(7.675, 45.065, srid=4326), zone=west, installed_on=NIGHT
    )
    for hour, lux in ((22, 10.0), (23, 20.0), (0, 60.0)):
        when = at(NIGHT, hour)
        Reading.objects.create(sensor=sensor, observed_at=when, value=lux, zone=west, night=NIGHT, slot="night",
                               received_at=timezone.now())  # fmt: skip
    stale.mark_stale([(west.id, NIGHT)], source=stale.SENSORS)
    recompute()
    row = value("illuminance_median", west)
    # One sensor: its median 20 and quartiles 15, 40 (linear interpolation); 3 of 4 hourly readings expected.
    assert (row.value, row.lower, row.upper, row.n) == (20.0, 15.0, 40.0, 3)
    assert row.coverage == pytest.approx(3 / 4)
    week = value("illuminance_median", west, kind="week", start=dt.date(2026, 6, 8))
    assert week.value == 20.0 and week.coverage == pytest.approx(3 / (4 * 7 - 4 * 4))  # installed Friday to Sunday
    incremental = snapshot()
    engine.recompute_all(anchor=ANCHOR)
    assert snapshot() == incremental


def test_a_report_recompute_leaves_sensor_medians_alone_and_a_readings_recompute_refreshes_them(two_zones, category):
    """Stale markers say what changed: after reports only the readings are not read again."""
    from django.utils import timezone

    from sensors.models import Reading, Sensor, SensorKind

    west, _east = two_zones
    kind = SensorKind.objects.create(
        code="lux-scope", name_it="Lux", name_en="Lux", observed_property="illuminance", unit="lx", valid_min=0,
        valid_max=100000, expected_interval_seconds=3600, indicator_metric="illuminance",
    )  # fmt: skip
    sensor = Sensor.objects.create(
        external_id="L2", kind=kind, location=Point(7.675, 45.065, srid=4326), zone=west, installed_on=NIGHT
    )

    def reading(hour: int, lux: float) -> None:
        Reading.objects.create(sensor=sensor, observed_at=at(NIGHT, hour), value=lux, zone=west, night=NIGHT,
                               slot="night", received_at=timezone.now())  # fmt: skip

    reading(22, 10.0)
    stale.mark_stale([(west.id, NIGHT)], source=stale.SENSORS)
    recompute()
    assert value("illuminance_median", west).value == 10.0
    # A reading written without its marker, then a report: the report's recompute does not re-read readings.
    reading(23, 30.0)
    submit(category, 1, at(NIGHT, 23))
    recompute()
    assert value("illuminance_median", west).value == 10.0
    assert value("share_feeling_safe", west).n == 1
    # Both sources on one (zone, night) marker: the readings are read again.
    submit(category, 2, at(NIGHT, 22))
    stale.mark_stale([(west.id, NIGHT)], source=stale.SENSORS)
    assert StaleZoneNight.objects.get(zone=west, night=NIGHT).citizens
    recompute()
    assert value("illuminance_median", west).value == 20.0
    assert value("share_feeling_safe", west).n == 2


def test_a_recompute_since_a_date_equals_the_incremental_one(category):
    three_zones()
    for i in range(12):
        submit(category, 1 + i % 4, at(NIGHT + dt.timedelta(days=i % 5), 23), lon=7.601 + 0.002 * i, lat=45.005)
    recompute()
    incremental = snapshot()
    engine.recompute_all(since=NIGHT + dt.timedelta(days=2), anchor=ANCHOR)
    assert snapshot() == incremental


def test_every_component_is_computed_by_a_registered_stage_the_engine_runs():
    from indicators import engine, registry  # noqa: F401  (importing the engine registers the stages)

    assert set(registry.PIPELINE_STAGES) == {c.stage for c in registry.COMPONENTS}
    assert set(registry.PIPELINE_STAGES) <= set(registry.STAGE_STEPS)


def test_a_stage_cannot_get_a_second_computation_step():
    from indicators import registry

    with pytest.raises(ValueError, match="already has a computation step"):
        registry.computes(registry.STAGE_REPORT_RATES, "again")(lambda cursor, *, full, target: None)
