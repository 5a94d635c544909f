"""Reads of the grants app for the public: the published ranking of a call and the register of grants
published under D.lgs. 33/2013 art. 26-27 (the "Sovvenzioni, contributi, sussidi" section).

Natural persons' names and tax codes never leave here; organisations' tax codes do, as the law asks.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import F, QuerySet
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from city.outbox import absolute_url

from .models import Application, Call, Project

OPEN_DATA_LICENSE = "CC-BY-4.0"
OPEN_DATA_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"

# The three groups of a published ranking, in the order the act lists them.
FUNDED, ELIGIBLE_NOT_FUNDED, NOT_ELIGIBLE = "funded", "eligible_not_funded", "not_eligible"


def outcome_labels() -> dict[str, str]:
    return {
        FUNDED: pgettext("ranking group", "Funded"),
        ELIGIBLE_NOT_FUNDED: pgettext("ranking group", "Eligible, not funded"),
        NOT_ELIGIBLE: pgettext("ranking group", "Not eligible"),
    }


def _outcome(status: str) -> str:
    if status in (Application.Status.FUNDED, Application.Status.RANKED):
        return FUNDED  # ranked within the budget when the ranking was approved: funded at award
    if status == Application.Status.NOT_FUNDED:
        return ELIGIBLE_NOT_FUNDED
    return NOT_ELIGIBLE


def published_calls() -> QuerySet[Call]:
    return Call.objects.filter(published_at__isnull=False).order_by("-opens_on", "id")


def graduatoria_rows(call: Call) -> list[dict]:
    """The approved ranking of ``call`` (empty while it is not published): one row per application."""
    if call.ranking_published_at is None:
        return []
    applications = (
        Application.objects.with_weighted_score()
        .filter(call=call)
        .exclude(status__in=(Application.Status.SUBMITTED, Application.Status.WITHDRAWN))
        .select_related("applicant")
        .order_by(F("rank").asc(nulls_last=True), "submitted_on", "id")
    )
    rows = []
    for a in applications:
        natural = a.applicant is not None and a.applicant.natural_person
        outcome = _outcome(a.status)
        rows.append(
            {
                "rank": a.rank,
                "application_id": a.pk,
                "applicant": _("Natural person (name not published)") if natural else a.organisation,
                "title": a.title,
                "weighted_score": None if a.weighted_score is None else round(a.weighted_score, 2),
                "requested_eur": a.requested_amount,
                "outcome": outcome,
                "outcome_label": outcome_labels()[outcome],
                "reason": a.outcome_reason if outcome != FUNDED else "",
            }
        )
    return rows


GRADUATORIA_COLUMNS = ["rank", "application_id", "applicant", "title", "weighted_score", "requested_eur", "outcome",
                       "reason"]  # fmt: skip


def transparency_projects(year: int | None = None) -> QuerySet[Project]:
    """Grants published under art. 26 above the publication threshold, by year of publication."""
    threshold = Decimal(str(settings.GRANTS_PUBLICATION_THRESHOLD_EUR))
    projects = (
        Project.objects.filter(published_at__isnull=False, granted_amount__gt=threshold)
        .select_related("call", "organisation")
        .annotate(year=ExtractYear("published_at"))  # in the city's time zone
        .order_by("published_at", "id")
    )
    if year is not None:
        projects = projects.filter(year=year)
    return projects


def transparency_years() -> list[int]:
    return sorted(set(transparency_projects().values_list("year", flat=True)), reverse=True)


TRANSPARENCY_COLUMNS = [
    "beneficiary", "tax_code", "amount_eur", "legal_basis", "office", "responsible_official", "selection_method",
    "project_url", "cup", "award_act", "award_act_date", "call", "published_at",
]  # fmt: skip


def transparency_record(project: Project) -> dict:
    """The art. 27 record of one grant. A natural person is neither named nor identified by tax code."""
    organisation = project.organisation
    natural = organisation is not None and organisation.natural_person
    return {
        "beneficiary": _("Natural person (name not published)") if natural else project.beneficiary,
        "tax_code": "" if natural or organisation is None else organisation.tax_code,
        "amount_eur": project.granted_amount,
        "legal_basis": project.call.legal_basis,
        "office": project.office,
        "responsible_official": project.rup,
        "selection_method": project.call.selection_method,
        "project_url": absolute_url(project.get_absolute_url()),
        "cup": project.cup or "",
        "award_act": project.award_act_number,
        "award_act_date": project.award_act_date,
        "call": project.call.title,
        "published_at": project.published_at,
    }
