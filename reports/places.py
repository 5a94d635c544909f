"""Where a citizen is: the map's own layers (city boundary, zones, streets, reference labels), the place of a
pin said in words, and street suggestions; read from the observatory's data, so a map works without tiles.

The layers are cached under the indicator data version, which a zone or street import moves on.
"""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _

from city import dataversion
from city.civic_numbers import parse_address
from city.models import Street, Zone

from . import services

LAYERS_CACHE_SECONDS = 6 * 3600
# Outlines are simplified to about this many degrees (~10 m): plenty for a phone's screen.
SIMPLIFY_DEGREES = 0.0001
# A street is named "near" a pin only within this distance.
NEAR_STREET_M = 250.0
# The register's longest streets are drawn (lines and names); the rest are still found by the search.
MAX_DRAWN_STREETS = 1500

LAYERS_SQL = """
    WITH zones AS (
        SELECT z.id, z.code, z.name, z.district, p.name AS parent_name, z.geom
        FROM observatory_zone z LEFT JOIN observatory_zone p ON p.id = z.parent_id
    ),
    districts AS (
        SELECT coalesce(nullif(district, ''), parent_name) AS name, ST_Union(geom) AS geom
        FROM zones WHERE coalesce(nullif(district, ''), parent_name) IS NOT NULL
        GROUP BY 1
    ),
    features AS (
        SELECT json_build_object(
            'type', 'Feature', 'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(ST_Union(geom), %(tol)s), 6)::json,
            'properties', json_build_object('layer', 'boundary')) AS f, 0 AS ord
        FROM zones HAVING count(*) > 0
        UNION ALL
        SELECT json_build_object(
            'type', 'Feature', 'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, %(tol)s), 6)::json,
            'properties', json_build_object(
                'layer', 'zone', 'id', id, 'code', code, 'name', name,
                'district', coalesce(nullif(district, ''), parent_name, ''),
                'label_point', json_build_array(round(ST_Y(ST_PointOnSurface(geom))::numeric, 6),
                                                round(ST_X(ST_PointOnSurface(geom))::numeric, 6)))), 1
        FROM zones
        UNION ALL
        SELECT json_build_object(
            'type', 'Feature', 'geometry', ST_AsGeoJSON(ST_PointOnSurface(geom), 6)::json,
            'properties', json_build_object('layer', 'district_label', 'name', name)), 2
        FROM districts
        UNION ALL
        SELECT json_build_object(
            'type', 'Feature', 'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, %(tol)s), 6)::json,
            'properties', json_build_object('layer', 'street', 'name', name)), 3
        FROM (SELECT name, geom FROM city_street ORDER BY ST_Length(geom) DESC, id LIMIT %(streets)s) s
    )
    SELECT json_build_object('type', 'FeatureCollection',
                             'features', coalesce(json_agg(f ORDER BY ord), '[]'::json))::text
    FROM features
"""


def map_layers_geojson() -> str:
    """The map's own layers as one GeoJSON FeatureCollection (text): the city boundary, each zone's outline
    with its name and district, one label per district, and the register's streets with their names."""
    key = f"places:layers:{dataversion.data_version()}"
    body = cache.get(key)
    if body is None:
        with connection.cursor() as cursor:
            cursor.execute(LAYERS_SQL, {"tol": SIMPLIFY_DEGREES, "streets": MAX_DRAWN_STREETS})
            body = cursor.fetchone()[0]
        cache.set(key, body, timeout=LAYERS_CACHE_SECONDS)
    return body


def place_in_words(point: Point) -> dict:
    """A pin's place as a person reads it back: the zone (name, district) and the nearest known street."""
    zone = Zone.objects.select_related("parent").covering(point).first()
    street = Street.objects.nearest(point, within_m=NEAR_STREET_M) if zone is not None else None
    if zone is None:
        text = _("This place is outside the area the observatory covers. Please pick a point in the city.")
    elif street is not None:
        text = _("You are in: %(zone)s, near %(street)s") % {"zone": zone.place_label, "street": street.name}
    else:
        text = _("You are in: %(zone)s") % {"zone": zone.place_label}
    return {
        "inside": zone is not None,
        "zone": zone.place_label if zone else "",
        "zone_id": zone.pk if zone else None,
        "street": street.name if street else "",
        "text": text,
    }


def street_suggestions(text: str, *, limit: int = 8) -> list[dict]:
    """Streets whose names resemble what was typed (accents ignored), with the point the pin moves to."""
    return [
        {"name": street.name, "lat": round(street.point.y, 6), "lon": round(street.point.x, 6)}
        for street in Street.objects.matching(parse_address(text).street, limit=limit)
    ]


def address_found(text: str) -> dict | None:
    """Where the typed address is, for the form's pin: the door when the house number is in the register, else
    the street and a note saying so (``services.address_match``, the rule the server applies on submit)."""
    match = services.address_match(text)
    if match is None:
        return None
    return {"name": match.label, "lat": round(match.point.y, 6), "lon": round(match.point.x, 6),
            "exact": match.exact, "note": match.note}  # fmt: skip


def recent_moments(now=None) -> list[dict]:
    """The moments a person most often reports, as one-tap choices under the time field: now, an hour ago, and
    the last 22:00 and 2:00 that have passed (yesterday evening, last night), each with its day in words.
    The field stays: the choices only fill it."""
    import datetime as dt

    from django.utils import timezone
    from django.utils.formats import date_format

    now = timezone.localtime(now).replace(second=0, microsecond=0)

    def last(hour: int) -> dt.datetime:
        moment = now.replace(hour=hour, minute=0)
        return moment if moment <= now else moment - dt.timedelta(days=1)

    def said(moment: dt.datetime) -> str:
        if moment.date() == now.date():
            day = _("today")
        elif moment.date() == now.date() - dt.timedelta(days=1):
            day = _("yesterday")
        else:
            day = date_format(moment, "l")
        return _("%(day)s at %(time)s") % {"day": day, "time": moment.strftime("%H:%M")}

    moments = [(_("Just now"), now), (_("An hour ago"), now - dt.timedelta(hours=1))]
    moments += [(said(m), m) for m in sorted({last(22), last(2)}, reverse=True)]
    return [{"label": label, "value": moment.strftime("%Y-%m-%dT%H:%M")} for label, moment in moments]
