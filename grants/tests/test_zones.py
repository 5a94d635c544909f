"""A project's zones are those within the buffer (150 m by default) of its sites, computed in SQL on the geography."""

import pytest
from django.contrib.gis.geos import GeometryCollection, LineString, Point

from grants import services
from grants.tests.conftest import LAT0, LON0, award, make_call, make_ranked, point_site

pytestmark = pytest.mark.django_db
METRES_PER_DEGREE_LON = 111_320 * 0.7077  # at 45.05° N


def _codes(project):
    return sorted(project.zones.values_list("code", flat=True))


def test_a_site_deep_inside_a_zone_touches_only_that_zone(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator))  # a 160 m square in the middle of G11
    assert _codes(project) == ["G11"]


def test_a_site_within_150_m_of_a_border_also_touches_the_neighbour(grid, evaluator):
    border = LON0 + 0.02  # between G1x and G2x
    lat = LAT0 + 0.015  # middle of row 1
    near = point_site(border - 100 / METRES_PER_DEGREE_LON, lat)  # 100 m west of the border
    far = point_site(border - 250 / METRES_PER_DEGREE_LON, lat)  # 250 m west of it
    call = make_call()
    assert _codes(award(make_ranked(call, evaluator, sites=near, title="near"), "1000")) == ["G11", "G21"]
    assert _codes(award(make_ranked(call, evaluator, sites=far, title="far"), "1000")) == ["G11"]


def test_a_line_across_zones_touches_each_of_them(grid, evaluator):
    line = GeometryCollection(LineString((LON0 + 0.005, LAT0 + 0.005), (LON0 + 0.035, LAT0 + 0.005)), srid=4326)
    project = award(make_ranked(make_call(), evaluator, sites=line))
    assert _codes(project) == ["G00", "G10", "G20", "G30"]


def test_moving_the_sites_recomputes_the_zones(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator))
    services.project_sites_update(
        project=project, sites=GeometryCollection(Point(LON0 + 0.035, LAT0 + 0.035, srid=4326), srid=4326)
    )
    assert _codes(project) == ["G33"]


def test_a_wider_buffer_reaches_more_zones(grid, evaluator, settings):
    settings.GRANTS_ZONE_BUFFER_METRES = 1000
    project = award(make_ranked(make_call(), evaluator))
    assert len(_codes(project)) == 9  # G11 and its eight neighbours
