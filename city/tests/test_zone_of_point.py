"""The zone of a point: ST_Covers, lowest id on a shared border, none outside every zone."""

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from city.models import ZONE_FOR_POINT_SQL, Zone

pytestmark = pytest.mark.django_db


def sql_zone_for(point: Point):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ZONE_FOR_POINT_SQL.format(point="ST_SetSRID(ST_MakePoint(%s, %s), 4326)"), [point.x, point.y]
        )
        return cursor.fetchone()[0]


def test_a_point_inside_a_zone_belongs_to_it(two_zones):
    west, east = two_zones
    assert Zone.objects.zone_for_point(Point(7.675, 45.065, srid=4326)) == west
    assert Zone.objects.zone_for_point(Point(7.685, 45.065, srid=4326)) == east


def test_a_point_on_a_shared_border_belongs_to_the_zone_with_the_lowest_id(two_zones):
    west, east = two_zones
    on_border = Point(7.68, 45.065, srid=4326)
    assert set(Zone.objects.covering(on_border)) == {west, east}
    assert Zone.objects.zone_for_point(on_border) == min(west, east, key=lambda z: z.id)
    assert sql_zone_for(on_border) == min(west.id, east.id)


def test_a_point_on_the_outer_boundary_still_belongs_to_its_zone(two_zones):
    west, _east = two_zones
    assert Zone.objects.zone_for_point(Point(7.67, 45.065, srid=4326)) == west


def test_a_point_outside_every_zone_belongs_to_none(two_zones):
    assert Zone.objects.zone_for_point(Point(7.5, 45.0, srid=4326)) is None
    assert sql_zone_for(Point(7.5, 45.0, srid=4326)) is None


def test_the_sql_and_orm_lookups_agree(two_zones):
    for x in (7.669, 7.67, 7.675, 7.68, 7.685, 7.69, 7.691):
        point = Point(x, 45.065, srid=4326)
        zone = Zone.objects.zone_for_point(point)
        assert sql_zone_for(point) == (zone.id if zone else None)
