"""Writes on reports: every channel (form, API, Open311, importer) submits through report_submit."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from observatory import indicators
from observatory.models import Zone
from observatory.nightslots import night_and_slot

from .models import Category, Report, SafetyAudit


def zone_for_location(location: Point) -> Zone:
    """The zone a citizen's point is stamped with; ValidationError on ``location`` outside the city."""
    if location.srid is None:
        location.srid = 4326
    zone = Zone.objects.zone_for_point(location)
    if zone is None:
        raise ValidationError(
            {"location": _("This place is outside the area the observatory covers. Please pick a point in the city.")}
        )
    return zone


def report_submit(
    *,
    category: Category,
    location: Point,
    perceived_safety: int,
    occurred_at: dt.datetime,
    description: str = "",
    source: str = Report.Source.WEB,
) -> Report:
    """Save a report stamped with its zone, night and slot, and mark that zone's night stale.

    Raises ValidationError (field ``location``) for a point outside every zone; nothing is saved.
    """
    zone = zone_for_location(location)
    night, slot = night_and_slot(occurred_at)
    with transaction.atomic():
        report = Report.objects.create(
            category=category,
            location=location,
            perceived_safety=perceived_safety,
            occurred_at=occurred_at,
            description=description.strip(),
            zone=zone,
            night=night,
            slot=slot,
            source=source,
        )
        indicators.mark_stale([(zone.id, night)])
    return report


def audit_submit(
    *, location: Point, occurred_at: dt.datetime, scores: dict[str, int], comment: str = "", source: str = "web"
) -> SafetyAudit:
    """Save a safety audit (nine 0-3 scores) stamped like reports, and mark its zone's night stale."""
    missing = [p for p in SafetyAudit.PARAMETERS if p not in scores]
    bad = [p for p in SafetyAudit.PARAMETERS if p in scores and scores[p] not in (0, 1, 2, 3)]
    if missing or bad:
        raise ValidationError({p: _("Give a score from 0 to 3.") for p in missing + bad})
    zone = zone_for_location(location)
    night, slot = night_and_slot(occurred_at)
    with transaction.atomic():
        audit = SafetyAudit.objects.create(
            location=location,
            occurred_at=occurred_at,
            comment=comment.strip(),
            zone=zone,
            night=night,
            slot=slot,
            source=source,
            **{p: scores[p] for p in SafetyAudit.PARAMETERS},
        )
        indicators.mark_stale([(zone.id, night)])
    return audit
