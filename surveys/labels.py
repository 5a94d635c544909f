"""The one wording of where a share of people feeling safe comes from, for pages, exports, API and briefs.

A share is only readable with its instrument: reports and audits are written by those who chose to
(self-selected); an open survey link is answered by those who chose to (self-selected); a probability
sample (or an imported survey), weighted to the residents, speaks for the residents; a national figure
is a named ISTAT survey of a given year. Every page and file says which, in these words.
"""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Campaign, NationalReference

REPORTERS = gettext_lazy("reporters (self-selected)")
OPEN_LINK = gettext_lazy("open link (self-selected)")
# Indicator metrics whose value is a share feeling safe, and the instrument behind each.
REPORTERS_METRIC = "share_feeling_safe"
SURVEY_METRIC = "survey_share_feeling_safe"


def _dates(campaign: Campaign) -> str:
    opens = formats.date_format(campaign.opens_at, "SHORT_DATE_FORMAT")
    if campaign.closes_at is None:
        return _("from %(opens)s") % {"opens": opens}
    return f"{opens}–{formats.date_format(campaign.closes_at, 'SHORT_DATE_FORMAT')}"


def campaign_source(campaign: Campaign) -> str:
    """The instrument of a campaign's estimates, with its name and fieldwork dates."""
    values = {"campaign": campaign.title, "dates": _dates(campaign)}
    if campaign.mode == Campaign.Mode.OPEN:
        return _("open link (self-selected): %(campaign)s, %(dates)s") % values
    return _("residents' survey, weighted (%(campaign)s, %(dates)s)") % values


def reference_source(reference: NationalReference) -> str:
    """A national figure named by its survey, year and mode, e.g. ISTAT, Aspetti della vita quotidiana 2023."""
    return _("%(survey)s %(year)s, %(mode)s") % {
        "survey": reference.survey,
        "year": reference.year,
        "mode": reference.mode,
    }


def metric_source(metric: str, *, campaign: Campaign | None = None) -> str:
    """The instrument of an indicator metric's value: reporters for the report share, the survey for the
    survey share (named when the campaign is known); empty for metrics that are not a share feeling safe."""
    if metric == REPORTERS_METRIC:
        return str(REPORTERS)
    if metric == SURVEY_METRIC:
        return campaign_source(campaign) if campaign else _("residents' survey, weighted")
    return ""
