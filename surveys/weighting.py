"""A campaign's weighting run: from its stored answers to stored weights and estimates.

``weighting_run_execute`` reads the answers, invitations and population margins in a few bounded
queries, hands numpy arrays to ``surveys.estimation`` and writes the run, one weight per answer and
the estimates (direct, weighted, small-area) in one transaction: the previous estimates of the
campaign at this method version are replaced whole, so running it twice gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from city import nightslots
from city.models import Zone
from city.stale import CITIZENS, mark_stale

from . import covariates
from . import estimation as est
from .models import (
    AgeBand,
    Campaign,
    Invitation,
    Item,
    NeverOutReading,
    PopulationMargin,
    Response,
    ResponseWeight,
    SafeAfterDark,
    Sex,
    SurveyEstimate,
    WeightingRun,
)

logger = logging.getLogger(__name__)

CITY = -1  # the domain code of the city-wide row (zone empty)
Method = SurveyEstimate.Method
PeriodKind = SurveyEstimate.PeriodKind


def min_effective_n() -> float:
    """Estimates resting on fewer effective answers are suppressed ("too few answers")."""
    return float(getattr(settings, "SURVEYS_MIN_EFFECTIVE_N", 10))


def min_cell_size() -> float:
    """Raking margin levels with fewer respondents are merged with a neighbour first (docs/methodology.md)."""
    return float(getattr(settings, "SURVEYS_MIN_CELL_SIZE", est.DEFAULT_MIN_CELL_SIZE))


def _outcome(safe_after_dark: np.ndarray, reading: str) -> np.ndarray:
    """1 feels safe (very or fairly), 0 not; "never goes out alone after dark" is 0 or left out (NaN)."""
    feels = np.isin(safe_after_dark, [int(v) for v in SafeAfterDark.feeling_safe()]).astype(float)
    if reading == NeverOutReading.EXCLUDED:
        feels[safe_after_dark == SafeAfterDark.NEVER_OUT_ALONE] = np.nan
    return feels


@dataclass
class _Inputs:
    answers: pd.DataFrame  # one row per response with a zone: id, zone, sex, age_band, weight, stratum, ...
    population: pd.DataFrame
    reference_date: dt.date | None
    without_zone: int
    outside_margins: int
    slot_item: str | None


def _read_inputs(campaign: Campaign) -> _Inputs:
    fields = ("id", "zone_id", "sex", "age_band", "safe_after_dark", "design_weight", "invitation_id",
              "invitation__zone_id", "invitation__inclusion_probability", "answered_at", "answers")  # fmt: skip
    answers = pd.DataFrame(list(Response.objects.filter(campaign=campaign).values_list(*fields)), columns=fields)
    answers["zone_id"] = answers["zone_id"].fillna(answers["invitation__zone_id"])
    without_zone = int(answers["zone_id"].isna().sum())
    answers = answers[answers["zone_id"].notna()].copy()
    answers[est.ZONE] = answers["zone_id"].astype(int)
    answers[est.SEX] = answers["sex"].replace("", None)
    answers[est.AGE] = answers["age_band"].replace("", None)
    answers["stratum"] = answers["invitation__zone_id"].fillna(answers[est.ZONE]).astype(int)
    if campaign.mode == Campaign.Mode.PROBABILITY:
        answers[est.WEIGHT] = _probability_weights(campaign, answers)
    else:
        answers[est.WEIGHT] = answers["design_weight"].fillna(1.0).astype(float)
    reference = PopulationMargin.objects.aggregate(latest=Max("reference_date"))["latest"]
    margins = pd.DataFrame(
        list(
            PopulationMargin.objects.filter(reference_date=reference).values_list(
                "zone_id", "sex", "age_band", "residents"
            )
        ),
        columns=[est.ZONE, est.SEX, est.AGE, est.POPULATION],
    )
    zone_filter = list(campaign.zones.values_list("id", flat=True))
    if zone_filter:
        margins = margins[margins[est.ZONE].isin(zone_filter)]
    inside = answers[est.ZONE].isin(set(margins[est.ZONE]))
    slot_item = (
        Item.objects.filter(version=campaign.instrument_version, kind=Item.Kind.NIGHT_SLOTS)
        .values_list("code", flat=True)
        .first()
    )
    return _Inputs(answers[inside].reset_index(drop=True), margins, reference, without_zone,
                   int((~inside).sum()), slot_item)  # fmt: skip


def _probability_weights(campaign: Campaign, answers: pd.DataFrame) -> np.ndarray:
    """Design weight 1/pi of each invitation, then the non-response adjustment within its zone (stratum)."""
    invitations = pd.DataFrame(
        list(Invitation.objects.filter(campaign=campaign).values_list("id", "zone_id", "inclusion_probability")),
        columns=["id", "zone_id", "probability"],
    )
    answered = set(answers["invitation_id"].dropna().astype(int))
    adjusted = est.nonresponse_adjusted(
        1.0 / invitations["probability"].to_numpy(), invitations["zone_id"].to_numpy(), invitations["id"].isin(answered)
    )
    by_invitation = dict(zip(invitations["id"], adjusted, strict=True))
    # An answer without an invitation cannot be in a probability sample's design: weight 1 (and counted).
    return answers["invitation_id"].map(by_invitation).fillna(1.0).to_numpy(float)


def _periods(campaign: Campaign, answered_at: pd.Series) -> list[tuple[str, dt.date, np.ndarray]]:
    """(period kind, first day, mask over answers): the whole campaign, then each calendar month in it."""
    local = answered_at.dt.tz_convert(nightslots.city_timezone())
    months = local.dt.date.map(lambda d: d.replace(day=1))
    start = timezone.localtime(campaign.opens_at, nightslots.city_timezone()).date()
    periods = [(PeriodKind.CAMPAIGN, start, np.ones(len(answered_at), dtype=bool))]
    periods += [(PeriodKind.MONTH, month, (months == month).to_numpy()) for month in sorted(set(months))]
    return periods


def weighting_run_execute(*, campaign: Campaign, trim_ratio: float | None = est.DEFAULT_TRIM_RATIO) -> WeightingRun:
    """Weight a campaign's answers and store the run, the weights and every estimate (see the module)."""
    inputs = _read_inputs(campaign)
    run = WeightingRun(
        campaign=campaign,
        method_version=est.METHOD_VERSION,
        population_reference_date=inputs.reference_date,
        parameters={
            "trim_ratio": trim_ratio,
            "min_effective_n": min_effective_n(),
            "min_cell_size": min_cell_size(),
            "collapse_rule": "adjacent age bands within the zone, then sex within the zone, then city-wide "
            "sex x age band (docs/methodology.md, 'Small cells')",
            "margins": ["zone", "zone x sex", "zone x age band", "sex x age band (city)"],
            "missing_profile": "fractional imputation over the zone's residents (docs/methodology.md)",
            "mode": campaign.mode,
        },
    )
    answers = inputs.answers
    if answers.empty or inputs.population.empty:
        return _failed(run, "no population margins on record" if inputs.population.empty else "no answers with a zone")
    living = inputs.population.groupby(est.ZONE)[est.POPULATION].sum()
    empty = sorted(set(answers[est.ZONE]) & set(living.index[living <= 0]))
    if empty:
        names = ", ".join(Zone.objects.filter(pk__in=empty).order_by("code").values_list("code", flat=True)[:10])
        return _failed(run, f"respondents live in zones with no residents on record at {inputs.reference_date} "
                            f"({names}): no collapse can weight them; import those zones' residents "
                            "(manage.py import_population) and weight again")  # fmt: skip
    rows = est.complete_profiles(answers[[est.ZONE, est.SEX, est.AGE, est.WEIGHT, "stratum"]], inputs.population)
    if rows.empty:
        return _failed(run, "no respondent lives in a zone whose residents are on record by sex and age band")
    try:
        result = est.rake(rows, inputs.population, sexes=list(Sex.values), age_order=list(AgeBand.values),
                          trim_ratio=trim_ratio, min_cell_size=min_cell_size())  # fmt: skip
    except est.WeightingImpossible as exc:
        return _failed(run, str(exc))
    aux = result.aux
    run.converged = result.converged
    codes = dict(Zone.objects.filter(pk__in=answers[est.ZONE].unique().tolist()).values_list("pk", "code"))
    diagnostics = result.diagnostics()
    diagnostics["collapsed"] = [
        {**entry, "zone": codes.get(int(entry["zone"]), entry["zone"]) if entry["zone"] is not None else None}
        for entry in diagnostics["collapsed"]
    ]
    run.diagnostics = {
        **diagnostics,
        "respondents": len(answers),
        "respondents_without_zone": inputs.without_zone,
        "respondents_outside_margins": inputs.outside_margins,
        "profiles_completed": int((answers[est.SEX].isna() | answers[est.AGE].isna()).sum()),
    }
    zone_ids = sorted(inputs.population[est.ZONE].unique().tolist())
    with transaction.atomic():
        run.status = WeightingRun.Status.DONE
        run.finished_at = timezone.now()
        run.save()
        nonresponse = answers[est.WEIGHT].to_numpy()
        ResponseWeight.objects.bulk_create(
            [
                ResponseWeight(run=run, response_id=int(rid), design_weight=float(dw or 1.0 / (p or 1.0)),
                               nonresponse_weight=float(nw), raked_weight=float(rw), final_weight=float(fw))
                for rid, dw, p, nw, rw, fw in zip(answers["id"], answers["design_weight"].fillna(0),
                                                  answers["invitation__inclusion_probability"].fillna(0), nonresponse,
                                                  result.unit_raked_weights, result.unit_weights, strict=True)
            ],
            batch_size=2000,
        )  # fmt: skip
        SurveyEstimate.objects.filter(campaign=campaign, method_version=est.METHOD_VERSION).delete()
        SurveyEstimate.objects.bulk_create(
            _estimates(campaign, run, inputs, rows, result.weights, aux, zone_ids), batch_size=2000
        )
        # The indicator engine takes the new estimates up for the fieldwork's nights (later periods at the
        # nightly full recompute): the surveys app announces, it does not call the engine.
        mark_stale(_fieldwork_zone_nights(answers, zone_ids), source=CITIZENS)
    return run


def _failed(run: WeightingRun, reason: str) -> WeightingRun:
    run.status = WeightingRun.Status.FAILED
    run.error = reason
    run.finished_at = timezone.now()
    run.save()
    return run


def _fieldwork_zone_nights(answers: pd.DataFrame, zone_ids: list[int]) -> list[tuple[int, dt.date]]:
    first = nightslots.night_of(answers["answered_at"].min())
    last = nightslots.night_of(answers["answered_at"].max())
    nights = [first + dt.timedelta(days=d) for d in range((last - first).days + 1)]
    return [(zone, night) for zone in zone_ids for night in nights]


def _estimates(campaign, run, inputs: _Inputs, rows, weights, aux, zone_ids) -> list[SurveyEstimate]:
    answers = inputs.answers
    unit = rows[est.UNIT].to_numpy()
    zone_code = {zone: i for i, zone in enumerate(zone_ids)}
    row_zone = rows[est.ZONE].map(zone_code).to_numpy()
    stratum = rows["stratum"].to_numpy()
    # Covariates over the year of nights up to the last answer: enough reports and readings per zone.
    last = nightslots.night_of(answers["answered_at"].max())
    raw = covariates.zone_covariates(zone_ids, first=last - dt.timedelta(days=364), last=last)
    design = covariates.model_matrix(raw)
    slots = [("", np.ones(len(answers), dtype=bool))]
    if inputs.slot_item:
        chosen = answers["answers"].map(lambda a: a.get(inputs.slot_item) or [])
        slots += [(s, chosen.map(lambda c, s=s: s in c).to_numpy()) for s in nightslots.slot_codes()]
    minimum = min_effective_n()
    out: list[SurveyEstimate] = []
    for reading in NeverOutReading.values:
        y_answer = _outcome(answers["safe_after_dark"].to_numpy(), reading)
        for kind, start, in_period in _periods(campaign, answers["answered_at"]):
            for slot, in_slot in slots:
                keep = (in_period & in_slot)[unit]
                y = np.where(keep, y_answer[unit], np.nan)
                common = {"campaign": campaign, "period_kind": kind, "period_start": start, "slot": slot,
                          "reading": reading, "method_version": est.METHOD_VERSION, "weighting_run": run,
                          "self_selected": campaign.self_selected}  # fmt: skip
                out += _method_rows(y, weights, row_zone, stratum, unit, aux, zone_ids, design, minimum, common)
    return out


def _method_rows(y, weights, row_zone, stratum, unit, aux, zone_ids, design, minimum, common) -> list[SurveyEstimate]:
    zones = len(zone_ids)
    out = []
    city_domain = np.zeros(len(y), dtype=int)
    for method, w, x in ((Method.DIRECT, np.ones(len(y)), None), (Method.WEIGHTED, weights, aux)):
        by_zone = est.domain_shares(y, w, domain=row_zone, domains=zones, stratum=stratum, unit=unit, aux=x)
        city = est.domain_shares(y, w, domain=city_domain, domains=1, stratum=stratum, unit=unit, aux=x)
        for i, zone in [*enumerate(zone_ids), (0, None)]:
            shares = by_zone if zone is not None else city
            out.append(_row(common, method, zone, shares.value[i], shares.lower[i], shares.upper[i],
                            np.sqrt(shares.variance[i]), shares.n[i], shares.effective_n[i], minimum))  # fmt: skip
        if method == Method.WEIGHTED:
            weighted, city_share = by_zone, city.value[0]
    if not np.isfinite(city_share) or not 0 < city_share < 1:
        return out
    sampled = weighted.n >= 2
    if sampled.sum() < design.shape[1] + 3:
        return out  # too few zones with answers to fit the model
    psi = est.smoothed_sampling_variance(city_share, np.ones(zones), weighted.effective_n)
    x = design[:, [j for j in range(design.shape[1]) if np.ptp(design[sampled, j]) > 0]]
    fit = est.fay_herriot(weighted.value[sampled], psi[sampled], x[sampled], predict=x[~sampled])
    order = np.concatenate([np.flatnonzero(sampled), np.flatnonzero(~sampled)])
    for position, i in enumerate(order):
        value = float(np.clip(fit.estimate[position], 0, 1))
        se = float(np.sqrt(fit.mse[position]))
        # The EBLUP's effective n: the answers a simple random sample would need for the same precision.
        n_eff = city_share * (1 - city_share) / fit.mse[position]
        out.append(_row(common, Method.SMALL_AREA, zone_ids[i], value, max(0.0, value - est.Z_95 * se),
                        min(1.0, value + est.Z_95 * se), se, weighted.n[i], n_eff, minimum))  # fmt: skip
    return out


def _row(common, method, zone, value, lower, upper, se, n, n_eff, minimum) -> SurveyEstimate:
    hidden = bool(est.suppressed(np.array([n_eff]), minimum)[0]) or not np.isfinite(value)
    number = lambda v: None if hidden or not np.isfinite(v) else float(v)  # noqa: E731
    return SurveyEstimate(**common, method=method, zone_id=zone, value=number(value), lower=number(lower),
                          upper=number(upper), standard_error=number(se), n=int(n),
                          effective_n=float(n_eff) if np.isfinite(n_eff) else None, suppressed=hidden)  # fmt: skip
