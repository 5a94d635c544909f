"""Recording interventions: the one write path the admin, the staff page, the grants and the seeder share."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from city.dataversion import bump_data_version

from .models import Intervention

ALLOWED_GEOMETRIES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                      "GeometryCollection"}  # fmt: skip


def intervention_check(*, what: str, kind: str, place: GEOSGeometry | None, start_on, end_on, cost) -> None:
    """Refuse what cannot be recorded, with every problem named (nothing is written on error)."""
    errors: dict[str, list[str]] = {}
    if not (what or "").strip():
        errors.setdefault("what", []).append(_("Say what was done."))
    if kind not in Intervention.Kind.values:
        errors.setdefault("kind", []).append(_("Choose a kind from the list."))
    if place is None or place.empty:
        errors.setdefault("place", []).append(_("Draw or give the place of the intervention."))
    elif place.geom_type not in ALLOWED_GEOMETRIES or not place.valid:
        errors.setdefault("place", []).append(_("The place must be a valid point, line or area."))
    if not isinstance(start_on, dt.date):
        errors.setdefault("start_on", []).append(_("Give the start date."))
    elif end_on is not None and end_on < start_on:
        errors.setdefault("end_on", []).append(_("The end cannot come before the start."))
    if cost is not None and Decimal(cost) < 0:
        errors.setdefault("cost", []).append(_("A cost cannot be negative."))
    if errors:
        raise ValidationError(errors)


def intervention_zones_assign(*, intervention: Intervention) -> int:
    """Set the intervention's zones to those its place touches (ST_Intersects, GiST-indexed), in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH touching AS (
                SELECT z.id FROM observatory_zone z JOIN interventions_intervention i ON i.id = %(id)s
                WHERE z.geom && i.place AND ST_Intersects(z.geom, i.place)
            ), gone AS (
                DELETE FROM interventions_intervention_zones iz
                WHERE iz.intervention_id = %(id)s AND iz.zone_id NOT IN (SELECT id FROM touching)
            )
            INSERT INTO interventions_intervention_zones (intervention_id, zone_id)
            SELECT %(id)s, id FROM touching
            ON CONFLICT (intervention_id, zone_id) DO NOTHING
            """,
            {"id": intervention.pk},
        )
    return intervention.zones.count()


def _set_place(place: GEOSGeometry) -> GEOSGeometry:
    if place.srid is None:
        place.srid = 4326
    elif place.srid != 4326:
        place = place.transform(4326, clone=True)
    return place


def intervention_record(
    *,
    what: str,
    kind: str,
    place: GEOSGeometry,
    start_on: dt.date,
    end_on: dt.date | None = None,
    night_time: bool = False,
    cost: Decimal | None = None,
    partner: str = "",
    notes: str = "",
    recorded_by=None,
    **links,
) -> Intervention:
    """Record an intervention and compute the zones its place touches; a place outside every zone is refused."""
    intervention_check(what=what, kind=kind, place=place, start_on=start_on, end_on=end_on, cost=cost)
    with transaction.atomic():
        intervention = Intervention.objects.create(
            what=what.strip(), kind=kind, place=_set_place(place), start_on=start_on, end_on=end_on,
            night_time=night_time, cost=cost, partner=partner.strip(), notes=notes, recorded_by=recorded_by,
            **links,
        )  # fmt: skip
        if not intervention_zones_assign(intervention=intervention):
            raise ValidationError({"place": [_("The place is outside every zone of the city.")]})
        # Zone pages and trends are cached under the data version: move it on so the new marker shows.
        transaction.on_commit(bump_data_version)
    return intervention


def intervention_update(*, intervention: Intervention, **changes) -> Intervention:
    """Change an intervention's fields (checked as a whole) and recompute its zones if its place moved."""
    merged = {f: changes.get(f, getattr(intervention, f)) for f in ("what", "kind", "place", "start_on", "end_on",
                                                                   "cost")}  # fmt: skip
    intervention_check(**merged)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(intervention, name, _set_place(value) if name == "place" else value)
        intervention.save()
        if "place" in changes and not intervention_zones_assign(intervention=intervention):
            raise ValidationError({"place": [_("The place is outside every zone of the city.")]})
        transaction.on_commit(bump_data_version)
    return intervention


def intervention_for_project(
    *,
    intervention: Intervention | None,
    what: str,
    place: GEOSGeometry,
    zone_ids: list[int],
    start_on: dt.date,
    end_on: dt.date | None,
    night_time: bool,
    cost: Decimal | None,
    cancelled: bool,
    partner: str = "",
) -> Intervention:
    """The intervention row of a funded project, created or brought in step with it.

    Its zones are the project's own (the grants' buffer around its sites decides them), so the estimator
    treats exactly the zones the grants pages show; the caller (grants) passes them in.
    """
    fields = {"what": what[:200], "kind": Intervention.Kind.GRANT_PROJECT, "place": _set_place(place),
              "start_on": start_on, "end_on": end_on, "night_time": night_time, "cost": cost,
              "cancelled": cancelled, "partner": partner[:200]}  # fmt: skip
    with transaction.atomic():
        if intervention is None:
            intervention = Intervention.objects.create(**fields)
        else:
            for name, value in fields.items():
                setattr(intervention, name, value)
            intervention.save()
        intervention.zones.set(zone_ids)
    return intervention
