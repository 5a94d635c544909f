"""What the pages show of the surveys: the representative share (city and zone) and its national reference.

A share is representative when it comes from a campaign that is not self-selected (a probability
sample or an import), weighted to the residents; the reporters' share never is. A national figure is
set beside a representative share only when it was collected the same way (``reference_for``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Sum

from . import labels
from .estimation import METHOD_VERSION
from .models import (
    AgeBand,
    Campaign,
    NationalReference,
    NeverOutReading,
    PopulationMargin,
    Response,
    Sex,
    SurveyEstimate,
)

# How each campaign mode collected its answers: the web questionnaire is self-completed; an import
# (CATI, paper...) does not say, so it is compared with no national figure.
COLLECTION_OF_MODE = {
    Campaign.Mode.PROBABILITY: NationalReference.Collection.SELF_COMPLETED,
    Campaign.Mode.OPEN: NationalReference.Collection.SELF_COMPLETED,
}


@dataclass(frozen=True)
class RepresentativeShare:
    value: float | None
    lower: float | None
    upper: float | None
    n: int
    effective_n: float | None
    method: str
    suppressed: bool
    campaign_code: str
    campaign_title: str
    collection: str | None
    source: str = ""  # the instrument in words (surveys.labels.campaign_source)


def _latest(zone_id: int | None, *, slot: str = "") -> RepresentativeShare | None:
    """The latest representative campaign's whole-campaign estimate, small-area first for a zone."""
    methods = (
        [SurveyEstimate.Method.SMALL_AREA, SurveyEstimate.Method.WEIGHTED]
        if zone_id
        else [SurveyEstimate.Method.WEIGHTED]
    )
    rows = (
        SurveyEstimate.objects.filter(
            zone_id=zone_id,
            period_kind=SurveyEstimate.PeriodKind.CAMPAIGN,
            slot=slot,
            reading=NeverOutReading.NOT_SAFE,
            method__in=methods,
            method_version=METHOD_VERSION,
            self_selected=False,
        )
        .select_related("campaign")
        .order_by("-campaign__opens_at", "method")  # "small_area" sorts before "weighted"
    )
    estimate = rows.first()
    if estimate is None:
        return None
    if estimate.suppressed and zone_id:
        # The small-area row may be withheld where the direct one is too; take whichever stands.
        estimate = next((e for e in rows.filter(campaign=estimate.campaign) if not e.suppressed), estimate)
    return RepresentativeShare(
        estimate.value, estimate.lower, estimate.upper, estimate.n, estimate.effective_n, estimate.method,
        estimate.suppressed, estimate.campaign.code, estimate.campaign.title,
        COLLECTION_OF_MODE.get(estimate.campaign.mode), labels.campaign_source(estimate.campaign),
    )  # fmt: skip


def city_share() -> RepresentativeShare | None:
    """The city-wide weighted share of the latest representative campaign (None without one)."""
    return _latest(None)


def zone_share(zone_id: int) -> RepresentativeShare | None:
    """A zone's representative share: its small-area estimate, else its weighted one (None without a survey)."""
    return _latest(zone_id)


def reference_for(collection: str | None) -> NationalReference | None:
    """The latest national reference collected the same way; None when the collection is unknown."""
    if not collection:
        return None
    return NationalReference.objects.filter(collection=collection).order_by("-year").first()


def zone_profile(zone_id: int) -> dict:
    """Residents and the latest representative campaign's respondents of a zone by sex and age band.

    Rows (sex, age band, residents, their share, respondents, their share); respondents who did not
    give sex or age band have a row of their own, so nobody disappears from the count. Reports carry no
    profile: only their number is known (``reporters`` is for the caller to add).
    """
    reference = PopulationMargin.objects.filter(zone_id=zone_id).aggregate(latest=Max("reference_date"))["latest"]
    residents = {
        (sex, band): count
        for sex, band, count in PopulationMargin.objects.filter(zone_id=zone_id, reference_date=reference)
        .values_list("sex", "age_band")
        .annotate(total=Sum("residents"))
    }
    campaign = (
        Campaign.objects.exclude(mode=Campaign.Mode.OPEN)
        .filter(responses__zone_id=zone_id)
        .order_by("-opens_at")
        .first()
    )
    answered = {}
    if campaign is not None:
        answered = {
            (sex, band): count
            for sex, band, count in Response.objects.filter(campaign=campaign, zone_id=zone_id)
            .values_list("sex", "age_band")
            .annotate(total=Count("id"))
        }
    total_residents, total_answered = sum(residents.values()), sum(answered.values())
    rows = []
    for sex in Sex:
        for band in AgeBand:
            key = (sex.value, band.value)
            rows.append({"sex": sex.label, "age_band": band.label, "residents": residents.get(key, 0),
                         "respondents": answered.get(key, 0)})  # fmt: skip
    blank = sum(count for (sex, band), count in answered.items() if not sex or not band)
    if blank:
        rows.append({"sex": "", "age_band": "", "residents": None, "respondents": blank})
    for row in rows:
        row["residents_share"] = (
            row["residents"] / total_residents if total_residents and row["residents"] is not None else None
        )
        row["respondents_share"] = row["respondents"] / total_answered if total_answered else None
    return {"rows": rows, "residents": total_residents, "respondents": total_answered,
            "campaign": campaign, "reference_date": reference}  # fmt: skip


def share_provenance(share: RepresentativeShare) -> dict:
    """What a representative share's honest label names: the instrument (and its version), the campaign, how it
    was drawn, its fieldwork dates and the estimation method, in the reader's language (one query)."""
    campaign = Campaign.objects.select_related("instrument_version__instrument").get(code=share.campaign_code)
    version = campaign.instrument_version
    return {
        "question": version.headline,
        "instrument": version.instrument.name,
        "instrument_version": version.number,
        "campaign": campaign.title,
        "mode": str(campaign.get_mode_display()),
        "opens_at": campaign.opens_at,
        "closes_at": campaign.closes_at,
        "method": str(SurveyEstimate.Method(share.method).label),
    }
