"""An intervention's effect is measured by the same estimator as a funded project's, on its own zones."""

import datetime as dt

import numpy as np
import pytest
from django.contrib.gis.geos import LineString, Point
from django.utils import timezone

from city.models import Zone
from grants import impact as grants_impact
from grants.tests.conftest import award, cell_centre, make_call, make_ranked
from indicators import registry
from indicators.models import Indicator
from interventions import impact
from interventions.models import Intervention
from interventions.services import intervention_record


def _nightly_shares(zones, start, *, lifted_codes, lift, seed, first_days=56, last_days=27, n=50):
    """Nightly night-slot share rows for every zone; the lifted zones gain ``lift`` from ``start`` on."""
    rng = np.random.default_rng(seed)
    level = {z.pk: 0.55 + 0.02 * (i % 6) for i, z in enumerate(zones)}
    wobble = {z.pk: rng.normal(0, 0.03) for z in zones}
    rows, now = [], timezone.now()
    night = start - dt.timedelta(days=first_days)
    while night <= start + dt.timedelta(days=last_days):
        after = night >= start
        for zone in zones:
            share = level[zone.pk] + (wobble[zone.pk] if after else 0) + (lift if after and zone.code in lifted_codes
                                                                            else 0)  # fmt: skip
            k = round(share * n)
            rows.append(
                Indicator(zone=zone, period_kind="night", period_start=night, slot="night",
                          metric=registry.SHARE_FEELING_SAFE, method_version=registry.METHOD_VERSION,
                          value=k / n, numerator=k, n=n, computed_at=now)
            )  # fmt: skip
        night += dt.timedelta(days=1)
    Indicator.objects.bulk_create(rows)


def _lamp_repair(column, row, start, **extra):
    return intervention_record(
        what="Lampioni riparati in via Nizza", kind=Intervention.Kind.LIGHTING_REPAIR,
        place=Point(*cell_centre(column, row), srid=4326), start_on=start, night_time=True, **extra,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_lighting_repair_that_made_its_zone_feel_safer_shows_the_known_effect(grid):
    start = timezone.localdate() - dt.timedelta(days=30)
    repair = _lamp_repair(1, 1, start)
    assert [z.code for z in repair.zones.all()] == ["G11"]
    _nightly_shares(list(Zone.objects.order_by("code")), start, lifted_codes={"G11"}, lift=0.15, seed=2)

    night = impact.impact_for_intervention(repair.pk).outcome("share").slot("night")
    assert night.estimate is not None, night.reason
    assert night.estimate.lower <= 0.15 <= night.estimate.upper and night.estimate.lower > 0.03
    assert abs(night.estimate.effect - 0.15) < 0.05
    assert night.estimate.treated_zones == 1 and night.estimate.control_zones >= impact.MIN_CONTROLS


@pytest.mark.django_db
def test_an_intervention_that_changed_nothing_shows_no_clear_change(grid):
    start = timezone.localdate() - dt.timedelta(days=30)
    patrols = _lamp_repair(2, 2, start, notes="pattuglie")
    _nightly_shares(list(Zone.objects.order_by("code")), start, lifted_codes=set(), lift=0.0, seed=5)
    assert impact.impact_for_intervention(patrols.pk).outcome("share").slot("night").estimate.covers_zero


@pytest.mark.django_db
def test_a_line_touches_every_zone_it_crosses_and_those_are_treated(grid):
    a, b = cell_centre(0, 0), cell_centre(2, 0)
    works = intervention_record(
        what="Riqualificazione del viale", kind=Intervention.Kind.REGENERATION,
        place=LineString(a, b, srid=4326), start_on=timezone.localdate(),
    )  # fmt: skip
    assert sorted(z.code for z in works.zones.all()) == ["G00", "G10", "G20"]
    treatment = next(t for t in impact.treatments() if t.intervention_id == works.pk)
    assert treatment.zone_ids == frozenset(works.zones.values_list("pk", flat=True))


@pytest.mark.django_db
def test_a_zone_where_the_city_acted_is_never_a_clean_control_for_a_funded_project(grid, evaluator):
    start = timezone.localdate() - dt.timedelta(days=30)
    project = award(make_ranked(make_call(), evaluator, title="A"), "1000", start=start)  # zone G11
    repair = _lamp_repair(3, 3, start - dt.timedelta(days=10))  # G33, an intervention that is no project
    _nightly_shares(list(Zone.objects.order_by("code")), start, lifted_codes={"G11"}, lift=0.2, seed=1)

    night = grants_impact.impact_for_project(project.pk).outcome("share").slot("night")
    assert night.estimate is not None and night.estimate.lower > 0.05
    assert repair.zones.get().pk not in night.stack.control_ids.tolist()
    # The project is its intervention: one estimator, the same numbers through either door.
    same = impact.impact_for_intervention(project.intervention_id).outcome("share").slot("night").estimate
    assert same.effect == pytest.approx(night.estimate.effect)
    assert project.intervention.kind == Intervention.Kind.GRANT_PROJECT


@pytest.mark.django_db
def test_a_withdrawn_project_cancels_its_intervention_and_is_no_longer_measured(grid, evaluator):
    from grants.services import project_status_change

    project = award(make_ranked(make_call(), evaluator, title="A"), "1000")
    project_status_change(project=project, status="withdrawn", actor=evaluator)
    project.intervention.refresh_from_db()
    assert project.intervention.cancelled
    assert impact.impact_for_intervention(project.intervention_id) is None
    assert grants_impact.impact_for_project(project.pk) is None
