"""A small surveyed city for the weighting tests: zones, residents by sex and age band, a probability sample.

Residents, invitations and answers are rows of the surveys models (the campaign's own services are
the other branch's; these tests exercise the weighting over the rows they store).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db.models import Sum
from django.utils import timezone

from conftest import square_zone
from surveys.models import (
    AgeBand,
    Campaign,
    Instrument,
    InstrumentVersion,
    Invitation,
    PopulationMargin,
    Response,
    SampleDraw,
    Sex,
)

REFERENCE_DATE = dt.date(2026, 1, 1)
FIELDWORK = dt.datetime(2026, 11, 2, 19, 0, tzinfo=dt.UTC)
BANDS = [b.value for b in AgeBand]


def surveyed_city(*, zones: int = 6, invited: int = 60, seed: int = 3, blank_profiles: int = 2, mode=None):
    """``zones`` zones with residents, a probability campaign with ``invited`` invitations per zone and answers.

    Women and older people answer more often and feel less safe, as in real surveys. Returns
    (campaign, zones).
    """
    rng = np.random.default_rng(seed)
    made = [square_zone(f"S{i}", 7.60 + 0.01 * i, 45.00, population=4000 + 500 * i) for i in range(zones)]
    for zone in made:
        for sex in Sex.values:
            for band in BANDS:
                PopulationMargin.objects.create(
                    zone=zone, reference_date=REFERENCE_DATE, sex=sex, age_band=band,
                    residents=int(rng.integers(150, 400)), source="test",
                )  # fmt: skip
    instrument = Instrument.objects.create(code="safety", name_it="Sicurezza", name_en="Safety")
    version = InstrumentVersion.objects.create(instrument=instrument, number=1, published_at=timezone.now())
    campaign = Campaign.objects.create(
        code="autumn", title_it="Autunno", title_en="Autumn", instrument_version=version,
        mode=mode or Campaign.Mode.PROBABILITY, opens_at=FIELDWORK, closes_at=FIELDWORK + dt.timedelta(days=20),
    )  # fmt: skip
    draw = SampleDraw.objects.create(campaign=campaign, seed=seed, allocation={}, from_frame=False)
    blanks = blank_profiles
    margins = PopulationMargin.objects.values("zone").annotate(total=Sum("residents"))
    residents = {row["zone"]: row["total"] for row in margins}
    invitations, answers = [], []
    answered_at = timezone.now()
    for z, zone in enumerate(made):
        for i in range(invited):
            invitation = Invitation(
                campaign=campaign, draw=draw, zone=zone, inclusion_probability=invited / residents[zone.pk]
            )
            invitations.append(invitation)
            sex = Sex.values[int(rng.integers(2))]
            band_index = int(rng.integers(len(BANDS)))
            older = band_index / (len(BANDS) - 1)
            if not rng.random() < 0.25 + 0.3 * older + (0.15 if sex == "F" else 0.0):
                continue
            feels = rng.random() < 0.85 - 0.35 * older - (0.2 if sex == "F" else 0.0) + 0.02 * z
            profile = {"sex": sex, "age_band": BANDS[band_index]}
            if blanks and i % 7 == 3:
                profile = {"sex": "", "age_band": BANDS[band_index]} if blanks % 2 else {"sex": sex, "age_band": ""}
                blanks -= 1
            invitation.used_at = answered_at
            answers.append((invitation, zone, feels, profile, int(rng.integers(0, 15))))
    Invitation.objects.bulk_create(invitations)
    Response.objects.bulk_create(
        [
            Response(
                campaign=campaign,
                instrument_version=version,
                invitation=invitation,
                source=Response.Source.WEB,
                answered_at=FIELDWORK + dt.timedelta(days=day, hours=2),
                zone=zone,
                safe_after_dark=int(rng.choice([3, 4])) if feels else int(rng.choice([0, 1, 2])),
                **profile,
            )
            for invitation, zone, feels, profile, day in answers
        ]
    )
    return campaign, made
