"""Reads of the surveys app: campaigns open to the public, response rates per zone, stored estimates."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Campaign, SurveyEstimate


def campaigns_answerable() -> QuerySet[Campaign]:
    """Campaigns a person can answer on the web now (open link or invitation code), newest first."""
    now = timezone.now()
    return (
        Campaign.objects.select_related("instrument_version__instrument")
        .filter(mode__in=[Campaign.Mode.OPEN, Campaign.Mode.PROBABILITY], opens_at__lte=now)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
    )


def campaign_for_answering(code: str) -> Campaign | None:
    return (
        Campaign.objects.select_related("instrument_version__instrument")
        .exclude(mode=Campaign.Mode.IMPORT)
        .filter(code=code)
        .first()
    )


def response_rates(campaign: Campaign) -> list[dict]:
    """Per zone (stratum) of a probability campaign: invited, answered, e-mailed, reminded and the response
    rate (answered / invited), in one query; the last row is the whole campaign."""
    rows = list(
        campaign.invitations.values("zone__code", "zone__name")
        .annotate(
            invited=Count("id"),
            answered=Count("id", filter=Q(used_at__isnull=False)),
            emailed=Count("id", filter=Q(emailed_at__isnull=False)),
            reminded=Count("id", filter=Q(reminders_sent__gt=0)),
        )
        .order_by("zone__code")
    )
    for row in rows:
        row["rate"] = row["answered"] / row["invited"] if row["invited"] else None
    if rows:
        total = {key: sum(r[key] for r in rows) for key in ("invited", "answered", "emailed", "reminded")}
        total.update({"zone__code": "", "zone__name": "", "rate": total["answered"] / total["invited"]})
        rows.append(total)
    return rows


def campaigns_with_counts() -> QuerySet[Campaign]:
    """Every campaign with its number of answers and invitations (the staff list, one query)."""
    return (
        Campaign.objects.select_related("instrument_version__instrument")
        .annotate(answers=Count("responses", distinct=True), invited=Count("invitations", distinct=True))
        .order_by("-opens_at", "code")
    )


def estimates(campaign: Campaign) -> QuerySet[SurveyEstimate]:
    """The stored estimates of a campaign, city rows (no zone) first, with their zone."""
    return (
        SurveyEstimate.objects.filter(campaign=campaign)
        .select_related("zone")
        .order_by("period_kind", "period_start", "slot", "reading", "method", "zone__code")
    )
