"""A campaign's weighting run: stored weights, diagnostics and estimates, the command and the suppression rule."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import override_settings

from city.models import StaleZoneNight
from surveys import estimation as est
from surveys.models import Invitation, PopulationMargin, Response, ResponseWeight, Sex, SurveyEstimate, WeightingRun
from surveys.tasks import weight_survey_campaign
from surveys.tests.weighting_fixtures import BANDS, surveyed_city
from surveys.weighting import weighting_run_execute

pytestmark = pytest.mark.django_db


def test_a_run_weights_every_answer_to_the_residents_and_records_its_diagnostics():
    campaign, _zones = surveyed_city()
    run = weighting_run_execute(campaign=campaign)
    assert run.status == WeightingRun.Status.DONE and run.converged
    assert run.method_version == est.METHOD_VERSION
    residents = PopulationMargin.objects.aggregate(total=Sum("residents"))["total"]
    weights = ResponseWeight.objects.filter(run=run)
    assert weights.count() == Response.objects.filter(campaign=campaign).count()
    assert weights.aggregate(total=Sum("final_weight"))["total"] == pytest.approx(residents, rel=0.01)
    diagnostics = run.diagnostics
    assert diagnostics["design_effect"] > 1 and 0 < diagnostics["effective_n"] < diagnostics["respondents"]
    assert diagnostics["weight_min"] < diagnostics["weight_max"]
    assert diagnostics["profiles_completed"] == 2  # the two answers without sex or age band are kept


def test_respondents_without_sex_or_age_band_are_weighted_not_dropped():
    campaign, _zones = surveyed_city()
    run = weighting_run_execute(campaign=campaign)
    blank = Response.objects.filter(campaign=campaign).filter(sex="") | Response.objects.filter(
        campaign=campaign, age_band=""
    )
    assert blank.count() == 2
    assert ResponseWeight.objects.filter(run=run, response__in=blank, final_weight__gt=0).count() == 2


def test_each_zone_and_the_city_get_direct_weighted_and_small_area_estimates_with_intervals():
    campaign, zones = surveyed_city()
    weighting_run_execute(campaign=campaign)
    rows = SurveyEstimate.objects.filter(campaign=campaign, period_kind="campaign", slot="", reading="not_safe")
    city = rows.get(zone=None, method=SurveyEstimate.Method.WEIGHTED)
    assert city.lower < city.value < city.upper and city.n == Response.objects.filter(campaign=campaign).count()
    assert city.effective_n < city.n
    for zone in zones:
        for method in SurveyEstimate.Method.values:
            estimate = rows.get(zone=zone, method=method)
            assert estimate.suppressed or estimate.lower <= estimate.value <= estimate.upper
    direct = rows.get(zone=None, method=SurveyEstimate.Method.DIRECT)
    # Women and older people answer more and feel less safe: weighting raises the share.
    assert city.value > direct.value


def test_excluding_never_goes_out_alone_gives_a_second_reading():
    campaign, _zones = surveyed_city()
    weighting_run_execute(campaign=campaign)
    both = SurveyEstimate.objects.filter(campaign=campaign, zone=None, method="direct", period_kind="campaign", slot="")
    counted = both.get(reading="not_safe")
    excluded = both.get(reading="excluded")
    never = Response.objects.filter(campaign=campaign, safe_after_dark=0).count()
    assert never > 0 and excluded.n == counted.n - never
    assert excluded.value > counted.value


@override_settings(SURVEYS_MIN_EFFECTIVE_N=10_000)
def test_estimates_under_the_minimum_effective_n_are_suppressed_as_too_few_answers():
    campaign, _zones = surveyed_city()
    weighting_run_execute(campaign=campaign)
    rows = SurveyEstimate.objects.filter(campaign=campaign)
    assert rows.exists() and not rows.filter(suppressed=False).exists()
    assert not rows.filter(value__isnull=False).exists()


def test_running_again_replaces_the_estimates_and_marks_the_fieldwork_nights_stale():
    campaign, zones = surveyed_city(zones=4)
    weighting_run_execute(campaign=campaign)
    key = ("zone", "period_kind", "period_start", "slot", "method", "reading", "value")
    first = sorted(SurveyEstimate.objects.filter(campaign=campaign).values_list(*key), key=repr)
    weight_survey_campaign.apply(args=[campaign.pk]).get()
    again = sorted(SurveyEstimate.objects.filter(campaign=campaign).values_list(*key), key=repr)
    assert again == first and WeightingRun.objects.filter(campaign=campaign).count() == 2
    assert StaleZoneNight.objects.filter(zone__in=zones).exists()


def test_the_command_prints_the_run_and_refuses_an_unknown_campaign():
    campaign, _zones = surveyed_city(zones=4)
    out = StringIO()
    call_command("weight_survey", "--campaign", campaign.code, stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["converged"] is True and figures["respondents"] > 0
    with pytest.raises(CommandError, match="no campaign"):
        call_command("weight_survey", "--campaign", "nope")


def test_a_campaign_without_population_margins_fails_with_its_reason():
    campaign, _zones = surveyed_city(zones=4)
    PopulationMargin.objects.all().delete()
    run = weighting_run_execute(campaign=campaign)
    assert run.status == WeightingRun.Status.FAILED and "population" in run.error


# --- small cells: collapsed before raking, by the documented rule, and recorded ---------------------------


def _leave_only(campaign, zone, keep: int) -> None:
    """Fieldwork where few answered in ``zone``: all but ``keep`` of its answers become non-responses."""
    extra = Response.objects.filter(campaign=campaign, zone=zone).order_by("id")[keep:]
    invitations = [r.invitation_id for r in extra]
    Response.objects.filter(pk__in=[r.pk for r in extra]).delete()
    Invitation.objects.filter(pk__in=invitations).update(used_at=None)


def test_adjacent_levels_merge_until_every_block_has_the_minimum():
    respondents = np.array([[3, 25, 2, 30, 5], [40, 40, 40, 40, 40]])
    residents = np.ones_like(respondents)
    # 2 joins its smaller neighbour (25), then 3 joins the block it borders, then 5 joins 30; a full row is left alone.
    assert est._merge_adjacent(respondents, residents, 20).tolist() == [[0, 0, 0, 3, 3], [0, 1, 2, 3, 4]]
    # A level nobody lives in is merged even when answers were (wrongly) given there.
    assert est._merge_adjacent(np.array([[30, 30]]), np.array([[100, 0]]), 20).tolist() == [[0, 0]]


@override_settings(SURVEYS_MIN_CELL_SIZE=20)
def test_a_tiny_stratum_is_collapsed_and_the_weights_still_sum_to_the_residents():
    campaign, zones = surveyed_city(zones=5, invited=120, blank_profiles=0)
    tiny = zones[0]
    _leave_only(campaign, tiny, keep=6)
    run = weighting_run_execute(campaign=campaign)
    assert run.status == WeightingRun.Status.DONE and run.converged, run.error
    weights = ResponseWeight.objects.filter(run=run)
    for zone in zones:
        residents = PopulationMargin.objects.filter(zone=zone).aggregate(total=Sum("residents"))["total"]
        raked = weights.filter(response__zone=zone).aggregate(raked=Sum("raked_weight"), final=Sum("final_weight"))
        assert raked["raked"] == pytest.approx(residents, rel=1e-5)
        assert raked["final"] == pytest.approx(residents, rel=1e-5)  # trimming keeps zone totals
    for sex in ("F", "M"):  # the city-wide sex x age margin nests in sex: its totals hold too
        residents = PopulationMargin.objects.filter(sex=sex).aggregate(total=Sum("residents"))["total"]
        raked = weights.filter(response__sex=sex).aggregate(total=Sum("raked_weight"))["total"]
        assert raked == pytest.approx(residents, rel=1e-5)
    collapsed = run.diagnostics["collapsed"]
    tiny_rows = [c for c in collapsed if c["zone"] == tiny.code]
    # Six answers: every age band of the zone is raked as one, and so are its two sexes.
    assert {"margin": "zone x age", "zone": tiny.code, "levels": BANDS, "respondents": 6} in tiny_rows
    assert {"margin": "zone x sex", "zone": tiny.code, "levels": list(Sex.values), "respondents": 6} in tiny_rows
    assert run.parameters["min_cell_size"] == 20 and run.diagnostics["min_cell_size"] == 20
    for entry in collapsed:  # only adjacent age bands are ever merged
        if entry["margin"] == "zone x age":
            first, last = BANDS.index(entry["levels"][0]), BANDS.index(entry["levels"][-1])
            assert entry["levels"] == BANDS[first : last + 1]


def test_the_minimum_cell_size_is_a_setting_and_a_smaller_one_collapses_less():
    campaign, _zones = surveyed_city(zones=3, invited=120, blank_profiles=0)
    with override_settings(SURVEYS_MIN_CELL_SIZE=0):
        fine = weighting_run_execute(campaign=campaign)
    with override_settings(SURVEYS_MIN_CELL_SIZE=40):
        coarse = weighting_run_execute(campaign=campaign)
    assert fine.status == coarse.status == WeightingRun.Status.DONE
    # With no minimum only a level nobody answered is merged: every zone keeps both sexes.
    assert not [c for c in fine.diagnostics["collapsed"] if c["margin"] == "zone x sex"]
    assert fine.diagnostics["collapsed_levels"] < coarse.diagnostics["collapsed_levels"]


def test_weighting_fails_with_a_clear_message_only_when_no_collapse_can_help():
    campaign, zones = surveyed_city(zones=3)
    PopulationMargin.objects.filter(zone=zones[1]).update(residents=0)
    run = weighting_run_execute(campaign=campaign)
    assert run.status == WeightingRun.Status.FAILED
    assert zones[1].code in run.error and "import_population" in run.error
    assert (
        not ResponseWeight.objects.filter(run=run).exists()
        and not SurveyEstimate.objects.filter(campaign=campaign).exists()
    )


@override_settings(SURVEYS_MIN_CELL_SIZE=20)
def test_the_admin_lists_what_each_run_collapsed(admin_client):
    campaign, zones = surveyed_city(zones=3, blank_profiles=0)
    _leave_only(campaign, zones[0], keep=6)
    weighting_run_execute(campaign=campaign)
    page = admin_client.get("/admin/surveys/weightingrun/").content.decode()
    assert f"zone x age {zones[0].code}: {' + '.join(BANDS)} (6)" in page
