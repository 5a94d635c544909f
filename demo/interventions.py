"""Demo interventions: what the city's departments and partners did in a few busy zones, through the service.

Runs inside ``demo.seed.demo_seed`` after the grants (whose funded projects already have their
intervention rows) and before the indicator recompute. A lighting repair and night patrols are
followed by a one-step nudge of some unsafe answers in their zones after their start (one UPDATE on
the seeded reports), so the interventions page and the brief have a measured effect to show; the
others are left as they were, so they show "no clear change".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.gis.geos import LineString, Point
from django.db import connection

from city.models import Department, Zone
from interventions.models import Intervention
from interventions.services import intervention_record

from .grants import NIGHT_SLOTS

IMPROVING_SHIFT_PERCENT = 70
# (what, kind, partner, start as a fraction of the seeded nights, lasting days or None, night-time, cost,
#  place as a point or a short street, improves after start)
INTERVENTIONS = [
    ("Riparazione di 14 lampioni in via Nizza", Intervention.Kind.LIGHTING_REPAIR, "", 0.55, 3, True, "8400",
     "line", True),
    ("Pattuglie serali della polizia municipale", Intervention.Kind.PATROLS, "", 0.5, 60, True, None, "point", True),
    ("Festa di via in piazza", Intervention.Kind.EVENT, "Comitato Borgo Dora", 0.7, 2, True, "3500", "point", False),
    ("Pulizia straordinaria dei giardini", Intervention.Kind.CLEANING, "", 0.6, 5, False, "1200", "point", False),
    ("Unità di strada notturna", Intervention.Kind.SOCIAL_SERVICE, "Cooperativa Strade", 0.45, 90, True, None,
     "point", False),
    ("Potatura e nuova illuminazione del viale", Intervention.Kind.LIGHTING_REPAIR, "", 0.8, 10, True, "22000",
     "line", False),
]  # fmt: skip


def _free_busy_zones(limit: int) -> list[Zone]:
    """Zones with many night-time reports that no funded project treats (their own experiments stay clean)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.zone_id FROM reports_report r
            WHERE r.zone_id IS NOT NULL AND r.slot = ANY(%s)
              AND r.zone_id NOT IN (SELECT zone_id FROM interventions_intervention_zones)
            GROUP BY r.zone_id ORDER BY count(*) DESC, r.zone_id LIMIT %s
            """,
            [list(NIGHT_SLOTS), limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
    zones = Zone.objects.in_bulk(ids)
    return [zones[i] for i in ids]


def _place(zone: Zone, shape: str):
    centre = zone.geom.point_on_surface
    if shape == "line":  # a short street inside the zone (about 150 m)
        line = LineString((centre.x - 0.001, centre.y), (centre.x + 0.001, centre.y), srid=4326)
        return line if zone.geom.contains(line) else centre
    return Point(centre.x, centre.y, srid=4326)


def _improve(treated: list[tuple[int, dt.date]]) -> int:
    """Nudge unsafe answers up one step in the improving interventions' zones after their start (one UPDATE)."""
    if not treated:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH treated AS (
                SELECT iz.zone_id, min(t.start_on) AS start_on
                FROM unnest(%s::bigint[], %s::date[]) AS t(intervention_id, start_on)
                JOIN interventions_intervention_zones iz ON iz.intervention_id = t.intervention_id
                GROUP BY iz.zone_id
            )
            UPDATE reports_report r SET perceived_safety = r.perceived_safety + 1
            FROM treated
            WHERE r.zone_id = treated.zone_id AND r.night >= treated.start_on AND r.slot = ANY(%s)
              AND r.perceived_safety IN (1, 2)
              AND abs(hashtext(r.tracking_code || 'intervention')) %% 100 < %s
            """,
            [[i for i, _s in treated], [s for _i, s in treated], list(NIGHT_SLOTS), IMPROVING_SHIFT_PERCENT],
        )
        return cursor.rowcount


# The department that carried out each kind (when the partner column is empty); codes from city/0003.
DEPARTMENT_OF_KIND = {
    Intervention.Kind.LIGHTING_REPAIR: "lighting",
    Intervention.Kind.PATROLS: "municipal_police",
    Intervention.Kind.CLEANING: "waste_public_space",
}


def seed_interventions(ctx) -> int:
    """A handful of interventions in busy zones without a funded project, two of them with a real effect."""
    zones = _free_busy_zones(len(INTERVENTIONS))
    if len(zones) < len(INTERVENTIONS):
        ctx.notes.append("interventions: too few zones with reports; no demo interventions were made")
        return 0
    departments = Department.objects.in_bulk(DEPARTMENT_OF_KIND.values(), field_name="code")
    improving = []
    for zone, (what, kind, partner, at, days, night, cost, shape, improves) in zip(zones, INTERVENTIONS, strict=True):
        start = ctx.first_night + dt.timedelta(days=int(at * ctx.nights))
        intervention = intervention_record(
            what=what, kind=kind, partner=partner, place=_place(zone, shape), start_on=start,
            end_on=start + dt.timedelta(days=days) if days else None, night_time=night,
            cost=Decimal(cost) if cost else None, department=departments.get(DEPARTMENT_OF_KIND.get(kind, "")),
        )  # fmt: skip
        if improves:
            improving.append((intervention.pk, start))
    _improve(improving)
    return len(INTERVENTIONS)
