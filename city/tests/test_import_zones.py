"""`manage.py import_zones`: real Torino boundaries, reprojection, repair, and all-or-nothing failures."""

from __future__ import annotations

import json
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from city.models import Zone
from city.zones_import import zones_import

TORINO_FILE_NAME = "torino_province_municipalities.geojson"
TORINO_CENTRE = Point(7.6869, 45.0703, srid=4326)

# A 1 km square in UTM zone 32N (EPSG:32632) around the centre of Torino.
UTM_SQUARE = [[396000, 4991000], [397000, 4991000], [397000, 4992000], [396000, 4992000], [396000, 4991000]]


def torino_file() -> Path:
    base = Path(settings.BASE_DIR)
    for folder in (base.parent / "shared" / "data", base / ".." / "shared" / "data"):
        if (folder / TORINO_FILE_NAME).is_file():
            return folder / TORINO_FILE_NAME
    pytest.skip(f"{TORINO_FILE_NAME} is not in ../shared/data")


def import_zones(path: Path | str, *args: str) -> tuple[str, str]:
    """Run the command; return what it printed on stdout and stderr."""
    stdout, stderr = StringIO(), StringIO()
    call_command("import_zones", str(path), *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def import_torino(*args: str) -> tuple[str, str]:
    return import_zones(torino_file(), "--code-field", "com_istat_code", "--kind", "municipality", *args)


def feature(geometry: dict | None, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def polygon(*rings: list) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


def lon_lat_square(lon: float, lat: float, size: float = 0.01) -> dict:
    return polygon([[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]])


def write_geojson(path: Path, *features: dict, crs: str | None = None) -> Path:
    collection: dict = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def ogr2ogr(*args: str | Path) -> None:
    subprocess.run(["ogr2ogr", *map(str, args)], check=True, capture_output=True)


# --- The real boundaries of the Metropolitan City of Torino ---


@pytest.mark.django_db
def test_it_imports_the_312_municipalities_of_torino():
    stdout, _ = import_torino()

    assert "Imported 312 zones: 312 created, 0 updated" in stdout
    assert Zone.objects.count() == 312
    assert set(Zone.objects.values_list("kind", flat=True)) == {Zone.Kind.MUNICIPALITY}
    torino = Zone.objects.get(code="001272")
    assert torino.name == "Torino"
    assert Zone.objects.zone_for_point(TORINO_CENTRE) == torino
    assert Zone.objects.filter(name="Agliè").exists()


@pytest.mark.django_db
def test_imported_boundaries_are_valid_multipolygons_with_geodesic_areas():
    import_torino()

    assert all(zone.geom.geom_type == "MultiPolygon" for zone in Zone.objects.all())
    assert not Zone.objects.filter(geom__isvalid=False).exists()
    assert not Zone.objects.filter(area_km2__isnull=True).exists()
    assert 125 <= Zone.objects.get(code="001272").area_km2 <= 135


@pytest.mark.django_db
def test_reimporting_updates_the_zones_instead_of_duplicating_them():
    import_torino()
    Zone.objects.filter(code="001272").update(name="Turin", kind=Zone.Kind.DISTRICT)

    stdout, _ = import_torino()

    assert "Imported 312 zones: 0 created, 312 updated" in stdout
    assert Zone.objects.count() == 312
    torino = Zone.objects.get(code="001272")
    assert (torino.name, torino.kind) == ("Torino", Zone.Kind.MUNICIPALITY)


@pytest.mark.django_db
def test_where_keeps_only_the_features_whose_field_equals_the_value():
    stdout, _ = import_torino("--where", "prov_acr=TO", "--where", "com_istat_code=001272")

    assert "Imported 1 zones: 1 created, 0 updated" in stdout
    assert list(Zone.objects.values_list("name", flat=True)) == ["Torino"]


@pytest.mark.django_db
def test_where_matching_every_feature_of_the_province_imports_them_all():
    import_torino("--where", "prov_acr=TO")

    assert Zone.objects.count() == 312


@pytest.mark.django_db
def test_where_matching_nothing_is_refused():
    with pytest.raises(CommandError, match=r"No feature .* matches prov_acr='MI'"):
        import_torino("--where", "prov_acr=MI")

    assert not Zone.objects.exists()


@pytest.mark.django_db
def test_where_on_a_missing_field_names_it():
    with pytest.raises(CommandError, match="no field 'province'"):
        import_torino("--where", "province=TO")


@pytest.mark.django_db
def test_dry_run_counts_but_writes_nothing():
    stdout, _ = import_torino("--dry-run")

    assert "Would import 312 zones: 312 created, 0 updated" in stdout
    assert not Zone.objects.exists()


# --- Coordinates, formats and geometry repair ---


@pytest.mark.django_db
def test_a_polygon_in_utm_32n_is_reprojected_to_wgs84(tmp_path):
    path = write_geojson(
        tmp_path / "utm.geojson",
        feature(polygon(UTM_SQUARE), name="Centro", code="C1"),
        crs="urn:ogc:def:crs:EPSG::32632",
    )

    import_zones(path)

    zone = Zone.objects.get(code="C1")
    assert zone.geom.srid == 4326
    assert Zone.objects.zone_for_point(TORINO_CENTRE) == zone
    assert zone.area_km2 == pytest.approx(1.0, rel=0.01)


@pytest.mark.django_db
def test_a_shapefile_in_monte_mario_italy_1_is_imported(tmp_path):
    source = write_geojson(
        tmp_path / "utm.geojson",
        feature(polygon(UTM_SQUARE), name="Centro", code="C1", population=41000),
        crs="urn:ogc:def:crs:EPSG::32632",
    )
    shapefile = tmp_path / "zones.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-t_srs", "EPSG:3003", shapefile, source)

    stdout, _ = import_zones(shapefile, "--population-field", "population", "--kind", "district")

    assert "1 created" in stdout
    zone = Zone.objects.get(code="C1")
    assert (zone.name, zone.kind, zone.population) == ("Centro", Zone.Kind.DISTRICT, 41000)
    assert Zone.objects.zone_for_point(TORINO_CENTRE) == zone
    assert zone.area_km2 == pytest.approx(1.0, rel=0.01)


@pytest.mark.django_db
def test_a_geopackage_layer_is_chosen_by_name_or_index(tmp_path):
    geopackage = tmp_path / "zones.gpkg"
    ogr2ogr(
        "-f",
        "GPKG",
        "-nln",
        "districts",
        geopackage,
        write_geojson(tmp_path / "a.geojson", feature(lon_lat_square(7.60, 45.00), name="Uno", code="D1")),
    )
    ogr2ogr(
        "-update",
        "-nln",
        "quarters",
        geopackage,
        write_geojson(tmp_path / "b.geojson", feature(lon_lat_square(7.70, 45.00), name="Due", code="Q1")),
    )

    import_zones(geopackage, "--layer", "quarters")
    import_zones(geopackage, "--layer", "0")

    assert sorted(Zone.objects.values_list("code", flat=True)) == ["D1", "Q1"]
    with pytest.raises(CommandError, match=r"no layer 'streets'; its layers are: 'districts', 'quarters'"):
        import_zones(geopackage, "--layer", "streets")


@pytest.mark.django_db
def test_a_self_intersecting_bow_tie_is_repaired_into_its_two_triangles(tmp_path):
    bow_tie = polygon([[7.60, 45.00], [7.62, 45.02], [7.62, 45.00], [7.60, 45.02], [7.60, 45.00]])
    path = write_geojson(tmp_path / "bow_tie.geojson", feature(bow_tie, name="Farfalla", code="B1"))

    _, stderr = import_zones(path)

    zone = Zone.objects.get(code="B1")
    assert zone.geom.geom_type == "MultiPolygon"
    assert zone.geom.valid
    assert len(zone.geom) == 2
    assert Zone.objects.filter(code="B1", geom__isvalid=True).exists()
    assert "Repaired 1 invalid geometry" in stderr


@pytest.mark.django_db
def test_a_layer_without_a_spatial_reference_in_lon_lat_is_taken_as_wgs84(tmp_path):
    shapefile = tmp_path / "zones.shp"
    ogr2ogr(
        "-f",
        "ESRI Shapefile",
        shapefile,
        write_geojson(tmp_path / "z.geojson", feature(lon_lat_square(7.68, 45.06, 0.02), name="Centro", code="C1")),
    )
    shapefile.with_suffix(".prj").unlink()

    _, stderr = import_zones(shapefile)

    assert Zone.objects.zone_for_point(TORINO_CENTRE).code == "C1"
    assert "declares no spatial reference" in stderr
    assert "EPSG:4326 was assumed" in stderr


@pytest.mark.django_db
def test_a_layer_without_a_spatial_reference_in_metres_is_refused(tmp_path):
    shapefile = tmp_path / "zones.shp"
    ogr2ogr(
        "-f",
        "ESRI Shapefile",
        shapefile,
        write_geojson(
            tmp_path / "z.geojson",
            feature(polygon(UTM_SQUARE), name="Centro", code="C1"),
            crs="urn:ogc:def:crs:EPSG::32632",
        ),
    )
    shapefile.with_suffix(".prj").unlink()

    with pytest.raises(CommandError, match=r"declares no spatial reference .* not longitude/latitude"):
        import_zones(shapefile)

    assert not Zone.objects.exists()


# --- Populations and parents ---


@pytest.mark.django_db
def test_parents_are_linked_by_code_in_the_file_or_already_in_the_database(tmp_path, two_zones):
    west, _ = two_zones
    path = write_geojson(
        tmp_path / "zones.geojson",
        feature(lon_lat_square(7.60, 45.00), name="Quartiere", code="Q1", parent="C"),
        feature(lon_lat_square(7.50, 44.90, 0.3), name="Città", code="C", parent="W"),
        feature(lon_lat_square(7.70, 45.00), name="Isola", code="I1", parent=None),
    )

    import_zones(path, "--parent-code-field", "parent")

    assert Zone.objects.get(code="Q1").parent.code == "C"
    assert Zone.objects.get(code="C").parent == west
    assert Zone.objects.get(code="I1").parent is None


@pytest.mark.django_db
def test_an_unknown_parent_code_is_refused(tmp_path):
    path = write_geojson(
        tmp_path / "zones.geojson", feature(lon_lat_square(7.60, 45.00), name="Quartiere", code="Q1", parent="X")
    )

    with pytest.raises(CommandError, match=r"feature 1 \(code 'Q1'\): parent code 'X' matches no zone"):
        import_zones(path, "--parent-code-field", "parent")

    assert not Zone.objects.exists()


@pytest.mark.django_db
def test_reimporting_without_a_population_field_keeps_known_populations(tmp_path, two_zones):
    path = write_geojson(tmp_path / "zones.geojson", feature(lon_lat_square(7.67, 45.06), name="Ovest nuova", code="W"))

    stdout, _ = import_zones(path)

    assert "0 created, 1 updated" in stdout
    west = Zone.objects.get(code="W")
    assert (west.name, west.population) == ("Ovest nuova", 12000)


@pytest.mark.django_db
def test_the_service_function_reports_what_it_did(tmp_path):
    path = write_geojson(
        tmp_path / "zones.geojson",
        feature(lon_lat_square(7.60, 45.00), nome="Uno", id_zona=1, abitanti="1500"),
        feature(lon_lat_square(7.70, 45.00), nome="Due", id_zona=2, abitanti=None),
    )

    result = zones_import(
        path=path, name_field="nome", code_field="id_zona", population_field="abitanti", kind=Zone.Kind.HEX
    )

    assert (result.created, result.updated, result.summary()) == (2, 0, "Imported 2 zones: 2 created, 0 updated")
    assert dict(Zone.objects.values_list("code", "population")) == {"1": 1500, "2": None}


@pytest.mark.django_db
def test_a_real_population_must_be_a_whole_number(tmp_path):
    path = write_geojson(
        tmp_path / "zones.geojson",
        feature(lon_lat_square(7.60, 45.00), name="Uno", code="1", population=1500.0),
        feature(lon_lat_square(7.70, 45.00), name="Due", code="2", population=12.5),
    )

    with pytest.raises(CommandError, match=r"feature 2 \(code '2'\): population 12.5 is not an integer"):
        import_zones(path, "--population-field", "population")

    assert not Zone.objects.exists()


# --- All or nothing: every failure names the problem and writes nothing ---


@pytest.mark.django_db
def test_one_bad_feature_aborts_the_import_and_every_bad_feature_is_named(tmp_path, two_zones):
    path = write_geojson(
        tmp_path / "zones.geojson",
        feature(lon_lat_square(7.60, 45.00), name="Buona", code="W"),
        feature(lon_lat_square(7.61, 45.00), name="Senza codice", code=""),
        feature({"type": "Point", "coordinates": [7.6, 45.0]}, name="Punto", code="P"),
        feature(None, name="Nessuna geometria", code="N"),
        feature(lon_lat_square(7.62, 45.00), name="Abitanti?", code="A", population="molti"),
        feature(lon_lat_square(7.63, 45.00), name="Mezzo", code="M", population="12.5"),
    )

    with pytest.raises(CommandError) as raised:
        import_zones(path, "--population-field", "population")

    message = str(raised.value)
    assert "5 problem(s)" in message
    assert "feature 2: empty code" in message
    assert "feature 3 (code 'P'): geometry is a Point" in message
    assert "feature 4 (code 'N'): no geometry" in message
    assert "feature 5 (code 'A'): population 'molti' is not a non-negative integer" in message
    assert "feature 6 (code 'M'): population '12.5' is not a non-negative integer" in message
    assert Zone.objects.count() == 2
    assert Zone.objects.get(code="W").name == "Ovest"


@pytest.mark.django_db
def test_duplicate_codes_in_the_file_are_refused(tmp_path):
    path = write_geojson(
        tmp_path / "zones.geojson",
        feature(lon_lat_square(7.60, 45.00), name="Uno", code="Z"),
        feature(lon_lat_square(7.61, 45.00), name="Due", code="Y"),
        feature(lon_lat_square(7.62, 45.00), name="Tre", code="Z"),
    )

    with pytest.raises(CommandError, match=r"feature 3 \(code 'Z'\): duplicate code, already used by feature 1"):
        import_zones(path)

    assert not Zone.objects.exists()


@pytest.mark.django_db
def test_a_missing_field_is_named_with_the_available_ones(tmp_path):
    path = write_geojson(tmp_path / "zones.geojson", feature(lon_lat_square(7.60, 45.00), nome="Uno", codice="Z"))

    with pytest.raises(CommandError, match=r"no field 'name' \(--name-field\); available fields: nome, codice"):
        import_zones(path, "--code-field", "codice")


@pytest.mark.django_db
def test_a_nonexistent_path_is_refused(tmp_path):
    with pytest.raises(CommandError, match=r"File not found: .*missing\.geojson"):
        import_zones(tmp_path / "missing.geojson")


@pytest.mark.django_db
def test_a_file_gdal_cannot_read_is_refused(tmp_path):
    path = tmp_path / "zones.geojson"
    path.write_text("this is not a vector file {", encoding="utf-8")

    with pytest.raises(CommandError, match=r"Cannot read .*zones\.geojson as a vector file"):
        import_zones(path)


@pytest.mark.django_db
def test_an_empty_layer_is_refused(tmp_path):
    path = write_geojson(tmp_path / "empty.geojson")

    with pytest.raises(CommandError, match="has no features"):
        import_zones(path)


@pytest.mark.django_db
def test_an_unknown_kind_is_refused(tmp_path):
    path = write_geojson(tmp_path / "zones.geojson", feature(lon_lat_square(7.60, 45.00), name="Uno", code="Z"))

    with pytest.raises(CommandError, match="invalid choice: 'quartiere'"):
        import_zones(path, "--kind", "quartiere")


@pytest.mark.django_db
def test_a_where_without_an_equals_sign_is_refused(tmp_path):
    path = write_geojson(tmp_path / "zones.geojson", feature(lon_lat_square(7.60, 45.00), name="Uno", code="Z"))

    with pytest.raises(CommandError, match="--where expects FIELD=VALUE"):
        import_zones(path, "--where", "prov_acr")
