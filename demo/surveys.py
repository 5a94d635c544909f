"""Demo surveys: residents by zone, sex and age band; ISTAT's questionnaire; a probability sample whose
invitees answer at rates that differ by group; an open link answered mostly by the worried.

Runs inside ``demo.seed.demo_seed`` after the zones. The truth is known: a person's chance of feeling safe
after dark falls with age, is lower for women and varies by zone; older people and women answer the letter
more often, so the unweighted share of the sample is biased down and weighting to the margins corrects it.
Rows are written in bulk (a few thousand), drawn from the step's own random stream: same seed, same rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from city.models import Zone
from surveys import services
from surveys.models import (
    AgeBand,
    Campaign,
    Invitation,
    PopulationMargin,
    Response,
    SafeAfterDark,
    Sex,
    SurveyEstimate,
    WeightingRun,
)
from surveys.weighting import weighting_run_execute

# Share of the residents aged 14+ in each band (Torino's shape: an old city) and the share of women in it.
BAND_SHARES = {
    "14-17": 0.040, "18-24": 0.072, "25-34": 0.112, "35-44": 0.132,
    "45-54": 0.168, "55-64": 0.164, "65-74": 0.136, "75+": 0.176,
}  # fmt: skip
WOMEN_SHARE = {"14-17": 0.48, "18-24": 0.49, "25-34": 0.49, "35-44": 0.50, "45-54": 0.51, "55-64": 0.52,
               "65-74": 0.54, "75+": 0.61}  # fmt: skip
RESIDENTS_14_PLUS = 0.88
# Log-odds of feeling safe (very or fairly) after dark: intercept, by band, for women, per zone (sd).
SAFE_INTERCEPT = 1.2
SAFE_BY_BAND = {"14-17": 0.3, "18-24": 0.4, "25-34": 0.3, "35-44": 0.2, "45-54": 0.0, "55-64": -0.3,
                "65-74": -0.7, "75+": -1.1}  # fmt: skip
SAFE_WOMEN = -0.9
ZONE_SD = 0.45
# Who answers a letter: older people and women more often (the bias weighting must undo).
RESPONSE_BY_BAND = {"14-17": 0.15, "18-24": 0.14, "25-34": 0.18, "35-44": 0.24, "45-54": 0.30, "55-64": 0.38,
                    "65-74": 0.46, "75+": 0.40}  # fmt: skip
RESPONSE_WOMEN = 1.25
PROFILE_LEFT_EMPTY = 0.04  # share who leave sex or age band empty
INVITATIONS_PER_ZONE = {"small": 40, "medium": 24, "large": 16}
OPEN_ANSWERS = {"small": 600, "medium": 1500, "large": 3000}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def seed_surveys(ctx) -> int:
    """Population margins, the standard instrument, a probability-sample campaign with its invitations and
    answers, and an open campaign; the number of answers made."""
    rng = ctx.rng("surveys")
    zones = list(Zone.objects.order_by("code"))
    if not zones:
        return 0
    bands = list(AgeBand.values)
    reference_date = dt.date(ctx.last_night.year, 1, 1)
    margins, cells = [], {}
    for zone in zones:
        adults = max(round((zone.population or 0) * RESIDENTS_14_PLUS), 40)
        shares = np.array([BAND_SHARES[b] for b in bands]) * rng.lognormal(0.0, 0.15, len(bands))
        shares /= shares.sum()
        for band, share in zip(bands, shares, strict=True):
            women = round(adults * share * WOMEN_SHARE[band])
            men = round(adults * share) - women
            for sex, residents in ((Sex.FEMALE, women), (Sex.MALE, men)):
                cells[(zone.code, sex, band)] = residents
                margins.append(
                    PopulationMargin(zone=zone, reference_date=reference_date, sex=sex, age_band=band,
                                     residents=residents, source="demo (synthetic)")
                )  # fmt: skip
    PopulationMargin.objects.bulk_create(margins, batch_size=2000)

    version = services.instrument_create_standard(
        code="istat-sicurezza", name_it="Sicurezza percepita (ISTAT)", name_en="Perceived safety (ISTAT)"
    )
    now = timezone.now()
    probability = Campaign.objects.create(
        code="indagine-campionaria", title_it="Come si sente la sera nella sua zona",
        title_en="How your area feels in the evening", instrument_version=version, mode=Campaign.Mode.PROBABILITY,
        opens_at=now - dt.timedelta(days=40), closes_at=now + dt.timedelta(days=20),
    )  # fmt: skip
    per_zone = INVITATIONS_PER_ZONE.get(ctx.scale_name, 24)
    sizes = services.stratum_sizes(probability)
    draw = services.sample_draw(
        campaign=probability, seed=ctx.seed, sample_sizes={code: min(per_zone, size) for code, size in sizes.items()}
    )
    zone_effect = {zone.code: rng.normal(0.0, ZONE_SD) for zone in zones}
    by_id = {zone.pk: zone for zone in zones}
    invitations = list(draw.invitations.order_by("zone__code", "code"))
    responses, used = [], []
    for invitation in invitations:
        zone = by_id[invitation.zone_id]
        sex, band = _person(rng, cells, zone.code, bands)
        propensity = RESPONSE_BY_BAND[band] * (RESPONSE_WOMEN if sex == Sex.FEMALE else 1.0)
        if rng.random() >= propensity:
            continue
        answered_at = probability.opens_at + dt.timedelta(seconds=float(rng.uniform(3600, 39 * 86400)))
        responses.append(_response(rng, probability, version, zone, sex, band, zone_effect, answered_at, invitation))
        invitation.used_at = answered_at
        used.append(invitation)
    Invitation.objects.bulk_update(used, ["used_at"], batch_size=2000)

    open_campaign = Campaign.objects.create(
        code="questionario-aperto", title_it="Dica la sua: la sera nella sua zona",
        title_en="Have your say: evenings in your area", instrument_version=version, mode=Campaign.Mode.OPEN,
        opens_at=now - dt.timedelta(days=60),
    )  # fmt: skip
    weights = np.array([float(z.population or 1) for z in zones])
    for _n in range(OPEN_ANSWERS.get(ctx.scale_name, 1000)):
        zone = zones[int(rng.choice(len(zones), p=weights / weights.sum()))]
        sex, band = _person(rng, cells, zone.code, bands)
        # Self-selection: the worried answer an open link more, so its share is lower than the city's.
        answered_at = open_campaign.opens_at + dt.timedelta(seconds=float(rng.uniform(3600, 59 * 86400)))
        response = _response(rng, open_campaign, version, zone, sex, band, zone_effect, answered_at, None, shift=-0.8)
        responses.append(response)
    Response.objects.bulk_create(responses, batch_size=2000)
    ctx.notes.append(
        f"surveys: {len(invitations)} invitations, {len(used)} answered ({len(used) / max(len(invitations), 1):.0%}); "
        f"{len(responses) - len(used)} answers to the open link"
    )
    return len(responses)


def weight_surveys(ctx) -> int:
    """Weight every demo campaign as an officer would after fieldwork (``manage.py weight_survey``), so the
    pages, the API and the index have published estimates; the number of estimates stored.

    Runs before the indicators step, which then takes the representative share up. A failed run stops the
    seed with its reason: the demo must show weighted estimates, not silently none.
    """
    for campaign in Campaign.objects.order_by("code"):
        run = weighting_run_execute(campaign=campaign)
        if run.status != WeightingRun.Status.DONE:
            raise RuntimeError(f"weighting the demo campaign {campaign.code} failed: {run.error}")
        figures = run.diagnostics
        ctx.notes.append(
            f"survey weights {campaign.code}: {figures['respondents']} answers, effective n "
            f"{figures['effective_n']:.0f}, {len(figures['collapsed'])} margin blocks collapsed "
            f"(fewer than {figures['min_cell_size']:.0f} answers), margins: {figures['margins']}"
        )
    return SurveyEstimate.objects.count()


def _person(rng, cells, zone_code: str, bands: list[str]) -> tuple[str, str]:
    """A resident of the zone drawn from its margins: (sex, band)."""
    keys = [(sex, band) for sex in Sex.values for band in bands]
    counts = np.array([cells[(zone_code, sex, band)] for sex, band in keys], dtype=float) + 0.5
    return keys[int(rng.choice(len(keys), p=counts / counts.sum()))]


def _response(rng, campaign, version, zone, sex, band, zone_effect, answered_at, invitation, shift: float = 0.0):
    safe_logit = SAFE_INTERCEPT + SAFE_BY_BAND[band] + (SAFE_WOMEN if sex == Sex.FEMALE else 0.0)
    safe_logit += zone_effect[zone.code] + shift
    p_safe = float(_sigmoid(safe_logit))
    never_out = 0.02 + (0.08 if band in ("65-74", "75+") else 0.0) + (0.03 if sex == Sex.FEMALE else 0.0)
    if rng.random() < never_out:
        safe = SafeAfterDark.NEVER_OUT_ALONE
    elif rng.random() < p_safe:
        safe = SafeAfterDark.VERY_SAFE if rng.random() < 0.3 else SafeAfterDark.FAIRLY_SAFE
    else:
        safe = SafeAfterDark.A_BIT_UNSAFE if rng.random() < 0.65 else SafeAfterDark.NOT_SAFE_AT_ALL
    feels_safe = safe in SafeAfterDark.feeling_safe()
    avoids = rng.choice(["often", "sometimes", "never"], p=[0.05, 0.25, 0.70] if feels_safe else [0.3, 0.45, 0.25])
    worry = rng.choice(
        ["very", "fairly", "little", "not_at_all"], p=[0.1, 0.3, 0.4, 0.2] if feels_safe else [0.35, 0.4, 0.2, 0.05]
    )
    slots = sorted(
        {
            "day",
            *(
                s
                for s in ("evening", "night", "late_night")
                if rng.random() < {"evening": 0.7, "night": 0.3, "late_night": 0.05}[s]
            ),
        }
    )
    leave_sex, leave_band = rng.random() < PROFILE_LEFT_EMPTY, rng.random() < PROFILE_LEFT_EMPTY
    return Response(
        campaign=campaign, instrument_version=version, invitation=invitation, source=Response.Source.WEB,
        language="it" if rng.random() < 0.93 else "en", answered_at=answered_at, safe_after_dark=int(safe),
        sex="" if leave_sex else sex, age_band="" if leave_band else band, zone=zone,
        zone_source=Response.ZoneSource.LIST if invitation is None else Response.ZoneSource.INVITATION,
        answers={"avoids_going_out": str(avoids), "worry_crime": str(worry), "slots_out": slots},
    )  # fmt: skip
