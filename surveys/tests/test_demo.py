"""The demo's surveys: margins for every zone, a probability sample answered with a known bias, an open link."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from demo.seed import SCALES, DemoContext
from demo.surveys import seed_surveys, weight_surveys
from surveys.models import (
    Campaign,
    Instrument,
    InstrumentVersion,
    Invitation,
    PopulationMargin,
    Response,
    SurveyEstimate,
    WeightingRun,
)


def context(seed: int = 42) -> DemoContext:
    last = dt.date(2026, 11, 30)
    return DemoContext(
        scale_name="small", scale=SCALES["small"], seed=seed, months=1, first_night=last, last_night=last
    )


def test_the_demo_seeds_margins_a_biased_probability_sample_and_an_open_link(two_zones):
    answers = seed_surveys(context())
    assert PopulationMargin.objects.filter(zone__code="W").count() == 16  # 2 sexes x 8 bands
    assert PopulationMargin.objects.filter(zone__code="W").values_list("residents", flat=True).count() == 16
    probability = Campaign.objects.get(code="indagine-campionaria")
    opened = Campaign.objects.get(code="questionario-aperto")
    assert probability.mode == "probability" and opened.self_selected
    invited = Invitation.objects.filter(campaign=probability)
    answered = invited.filter(used_at__isnull=False).count()
    assert invited.count() == 80 and 0 < answered < 80  # 40 a zone, some answer
    assert Response.objects.filter(campaign=probability).count() == answered
    assert answers == answered + Response.objects.filter(campaign=opened).count()
    # the open link is answered by the worried: its share feeling safe is below the sample's
    shares = {
        row["campaign__code"]: row["safe"] / row["n"]
        for row in Response.objects.values("campaign__code").annotate(
            n=Count("id"), safe=Count("id", filter=Q(safe_after_dark__gte=3))
        )
    }
    assert shares["questionario-aperto"] < shares["indagine-campionaria"]


def test_the_same_seed_gives_the_same_answers(two_zones):
    seed_surveys(context())
    first = list(
        Response.objects.order_by("campaign__code", "answered_at").values_list("safe_after_dark", "sex", "age_band")
    )
    # Answers protect their campaign and version: remove them first, as seed_demo's TRUNCATE does at once.
    Response.objects.all().delete()
    Campaign.objects.all().delete()
    InstrumentVersion.objects.all().delete()
    Instrument.objects.all().delete()
    PopulationMargin.objects.all().delete()
    seed_surveys(context())
    again = list(
        Response.objects.order_by("campaign__code", "answered_at").values_list("safe_after_dark", "sex", "age_band")
    )
    assert first == again


def test_the_demo_weights_its_campaigns_and_publishes_weighted_estimates(two_zones):
    ctx = context()
    seed_surveys(ctx)
    assert weight_surveys(ctx) > 0
    for campaign in Campaign.objects.all():
        run = WeightingRun.objects.get(campaign=campaign)
        assert run.status == WeightingRun.Status.DONE, run.error
        assert "collapsed" in run.diagnostics
    city = SurveyEstimate.objects.get(
        campaign__code="indagine-campionaria", zone=None, method="weighted", period_kind="campaign", slot="",
        reading="not_safe",
    )  # fmt: skip
    assert not city.suppressed and city.lower < city.value < city.upper
    assert any(note.startswith("survey weights indagine-campionaria") for note in ctx.notes)
