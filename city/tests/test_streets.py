"""The street register: imported all or nothing (CSV with WKT or any OGR file), searched with accents ignored."""

import json

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from city.models import Street
from city.streets_import import StreetImportError, streets_import

pytestmark = pytest.mark.django_db

GOOD_CSV = """name,wkt
Via della Libertà,"LINESTRING(7.670 45.062, 7.679 45.062)"
Corso Vittorio Emanuele II,"MULTILINESTRING((7.670 45.065, 7.679 45.065))"
Via Nizza,"LINESTRING(7.675 45.060, 7.675 45.069)"
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_streets_from_a_csv_with_wkt(tmp_path):
    call_command("import_streets", str(write(tmp_path, "streets.csv", GOOD_CSV)), verbosity=0)
    assert sorted(Street.objects.values_list("name", flat=True)) == [
        "Corso Vittorio Emanuele II", "Via Nizza", "Via della Libertà",
    ]  # fmt: skip
    assert Street.objects.get(name="Via Nizza").geom.geom_type == "MultiLineString"


def test_a_bad_line_imports_nothing_and_every_problem_is_named_by_line(tmp_path):
    streets_import(path=write(tmp_path, "old.csv", GOOD_CSV))
    bad = GOOD_CSV + ',"LINESTRING(7.6 45.0, 7.7 45.0)"\nVia Po,"POINT(7.69 45.07)"\nVia Roma,"LINESTRING(nonsense"\n'
    with pytest.raises(StreetImportError) as caught:
        streets_import(path=write(tmp_path, "bad.csv", bad))
    errors = caught.value.errors
    assert errors[:2] == ["line 5: the street has no name", "line 6: a street is a line or multi-line, not a Point"]
    assert len(errors) == 3 and errors[2].startswith("line 7: cannot read the WKT")
    assert Street.objects.count() == 3  # the register before the failed import is whole


def test_the_command_reports_the_problems_and_fails(tmp_path):
    path = write(tmp_path, "bad.csv", "name,wkt\nVia Po,\n")
    with pytest.raises(CommandError, match="line 2: the geometry is empty"):
        call_command("import_streets", str(path), verbosity=0)
    with pytest.raises(CommandError, match="has no column 'name', 'wkt'; its columns are: nome, geom"):
        call_command("import_streets", str(write(tmp_path, "cols.csv", "nome,geom\nVia Po,x\n")), verbosity=0)


def test_import_streets_from_geojson_in_another_projection(tmp_path):
    # EPSG:32632 (UTM 32N), Torino's usual projected system: reprojected to longitude/latitude on import.
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32632"}},
        "features": [
            {"type": "Feature", "properties": {"nome": "Via Garibaldi"},
             "geometry": {"type": "LineString", "coordinates": [[395000, 4990000], [395500, 4990000]]}},
        ],
    }  # fmt: skip
    path = write(tmp_path, "streets.geojson", json.dumps(collection))
    result = streets_import(path=path, name_field="nome")
    assert result.imported == 1
    lon, lat = Street.objects.get().geom.coords[0][0]
    assert 7.6 < lon < 7.75 and 45.0 < lat < 45.1


def test_search_ignores_accents_case_and_finds_prefixes(tmp_path):
    streets_import(path=write(tmp_path, "streets.csv", GOOD_CSV))
    assert [s.name for s in Street.objects.matching("LIBERTA")][:1] == ["Via della Libertà"]
    assert [s.name for s in Street.objects.matching("corso vitt")][:1] == ["Corso Vittorio Emanuele II"]
    assert Street.objects.matching("zzzz qqqq") == []
    assert Street.objects.matching("a\x00b") == []
    found = Street.objects.matching("via nizza")[0]
    assert found.point.x == pytest.approx(7.675) and 45.060 <= found.point.y <= 45.069


def test_nearest_street_is_measured_in_metres(tmp_path):
    streets_import(path=write(tmp_path, "streets.csv", GOOD_CSV))
    near_nizza = Point(7.6752, 45.0675, srid=4326)  # about 16 m east of Via Nizza
    assert Street.objects.nearest(near_nizza, within_m=100).name == "Via Nizza"
    assert Street.objects.nearest(Point(7.70, 45.09, srid=4326), within_m=100) is None
