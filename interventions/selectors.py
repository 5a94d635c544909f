"""Reads of the interventions register for pages, charts and the brief (bounded queries)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch

from city.models import Zone

from .models import Intervention


def intervention_rows(
    *, zone_ids: list[int] | None = None, first: dt.date | None = None, last: dt.date | None = None
) -> list[dict]:
    """Interventions (newest first) touching ``zone_ids`` (all when None) and running between ``first`` and
    ``last``, as plain rows with their zone codes (two queries)."""
    interventions = Intervention.objects.all()
    if zone_ids is not None:
        interventions = interventions.touching_zones(zone_ids)
    if first is not None and last is not None:
        interventions = interventions.active_between(first, last)
    interventions = interventions.select_related("department").prefetch_related(
        Prefetch("zones", queryset=Zone.objects.only("id", "code"))
    )
    return [
        {
            "id": i.pk,
            "what": i.what,
            "kind": i.kind,
            "kind_label": i.get_kind_display(),
            "partner": i.partner,
            "department": i.department.name if i.department else "",
            "start_on": i.start_on,
            "end_on": i.end_on,
            "night_time": i.night_time,
            "cost": i.cost,
            "cancelled": i.cancelled,
            "zone_codes": sorted(z.code for z in i.zones.all()),
            "url": i.get_absolute_url(),
        }
        for i in interventions
    ]


def timeline_markers(*, zone_ids: list[int] | None, first: dt.date, last: dt.date) -> list[dict]:
    """The starts of the interventions inside [first, last] (for markers on a trend chart), oldest first."""
    rows = Intervention.objects.effective().filter(start_on__gte=first, start_on__lte=last)
    if zone_ids is not None:
        rows = rows.touching_zones(zone_ids)
    return [
        {"start_on": i.start_on, "what": i.what, "kind_label": str(i.get_kind_display()), "url": i.get_absolute_url()}
        for i in rows.order_by("start_on", "id")
    ]
