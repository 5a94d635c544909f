"""Import zone boundaries from any OGR-readable file (GeoJSON, Shapefile, GeoPackage, ...) into `Zone`.

The import is all-or-nothing: every feature is read, reprojected to EPSG:4326, repaired and checked
before anything is written, and the writes happen in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, DataSource, GDALException, SpatialReference
from django.contrib.gis.gdal.field import Field, OFTInteger, OFTInteger64, OFTReal
from django.contrib.gis.gdal.layer import Layer
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.db import transaction
from django.db.models.expressions import RawSQL

from .dataversion import bump_data_version
from .models import Zone

# Long enough to see the pattern of what is wrong, short enough to read in a terminal.
MAX_LISTED_ERRORS = 20

# Rows per INSERT/UPDATE statement: boundaries are large, so keep each statement a sensible size.
WRITE_BATCH_SIZE = 500

# PositiveIntegerField is a PostgreSQL integer with a CHECK >= 0.
MAX_POPULATION = 2_147_483_647

_POPULATION_TEXT = re.compile(r"\+?[0-9]+")


class ZoneImportError(ValueError):
    """The file cannot be imported; nothing was written. `errors` lists the individual problems."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    repaired: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        counts = f"{self.total} zones: {self.created} created, {self.updated} updated"
        if self.dry_run:
            return f"Dry run, nothing written. Would import {counts}"
        return f"Imported {counts}"


@dataclass
class _ZoneRow:
    """One feature, read and checked, ready to be written."""

    number: int  # 1-based position in the layer, as people count features
    code: str
    name: str
    geom: MultiPolygon
    population: int | None
    parent_code: str | None


class _FeatureProblem(Exception):
    """A problem with a single feature; collected so that all of them are reported at once."""


def parse_where(condition: str) -> tuple[str, str]:
    """Split a `FIELD=VALUE` filter as given on the command line."""
    field_name, sep, value = condition.partition("=")
    if not sep or not field_name.strip():
        raise ZoneImportError(f"--where expects FIELD=VALUE, got {condition!r}")
    return field_name.strip(), value.strip()


def zones_import(
    *,
    path: str | Path,
    name_field: str = "name",
    code_field: str = "code",
    kind: str = Zone.Kind.OTHER,
    population_field: str | None = None,
    parent_code_field: str | None = None,
    where: Iterable[tuple[str, str]] | None = None,
    layer: int | str = 0,
    dry_run: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """Create or update (by code) one zone per feature of a layer; all or nothing.

    Zones are matched by `code`. Name, kind and boundary are always written; population and parent
    only when their field is given, so re-importing boundaries alone keeps known populations.
    `where` keeps only the features whose fields equal the given values (all must match).
    With `dry_run` the import runs in full and is then rolled back, so database checks still apply.
    Raises ZoneImportError naming every bad feature (1-based) when anything is wrong.
    """
    if kind not in Zone.Kind.values:
        raise ZoneImportError(f"Unknown zone kind {kind!r}; choose one of: {', '.join(Zone.Kind.values)}")
    where = list(where or [])
    result = ImportResult(dry_run=dry_run)

    data_source = _open(path)
    ogr_layer = _layer(data_source, layer, path)
    layer_label = f"layer {ogr_layer.name!r} of {path}"
    if len(ogr_layer) == 0:
        raise ZoneImportError(f"{layer_label} has no features")

    field_index = _field_indexes(
        ogr_layer,
        layer_label,
        {
            "--name-field": name_field,
            "--code-field": code_field,
            "--population-field": population_field,
            "--parent-code-field": parent_code_field,
            **{f"--where {name}=...": name for name, _ in where},
        },
    )

    transform = _transform_to_wgs84(ogr_layer, layer_label, result)
    rows, errors = _read_features(
        ogr_layer,
        transform,
        result,
        name_index=field_index[name_field],
        code_index=field_index[code_field],
        population_index=field_index.get(population_field) if population_field else None,
        parent_code_index=field_index.get(parent_code_field) if parent_code_field else None,
        where=[(field_index[name], value) for name, value in where],
        progress=progress,
    )
    if not rows and not errors:
        conditions = " and ".join(f"{name}={value!r}" for name, value in where)
        raise ZoneImportError(f"No feature of {layer_label} matches {conditions}; nothing to import")
    if parent_code_field and not errors:
        errors = _check_parents(rows)
    if errors:
        listed = errors[:MAX_LISTED_ERRORS]
        more = len(errors) - len(listed)
        message = "\n  ".join(
            [f"Nothing imported: {len(errors)} problem(s) in {layer_label}:", *listed]
            + ([f"... and {more} more"] if more else [])
        )
        raise ZoneImportError(message, errors)

    with transaction.atomic():
        _write(
            rows,
            kind=kind,
            population=population_field is not None,
            parent=parent_code_field is not None,
            result=result,
        )
        if dry_run:
            transaction.set_rollback(True)
    return result


def _open(path: str | Path) -> DataSource:
    text = str(path)
    # GDAL virtual file systems (/vsizip/, /vsicurl/, ...) are not local paths, so only check real ones.
    if not text.startswith("/vsi") and not Path(text).exists():
        raise ZoneImportError(f"File not found: {text}")
    try:
        return DataSource(text)
    except GDALException as error:
        raise ZoneImportError(f"Cannot read {text} as a vector file (GDAL/OGR): {error}") from error


def _layer(data_source: DataSource, layer: int | str, path: str | Path) -> Layer:
    names = [data_source[index].name for index in range(len(data_source))]
    # From the command line every layer arrives as text: "0" is an index unless a layer is named "0".
    if isinstance(layer, str) and layer not in names and layer.isdigit():
        layer = int(layer)
    try:
        return data_source[layer]
    except (IndexError, TypeError) as error:
        names_text = ", ".join(repr(name) for name in names) or "none"
        raise ZoneImportError(f"{path} has no layer {layer!r}; its layers are: {names_text}") from error


def _field_indexes(ogr_layer: Layer, layer_label: str, wanted: dict[str, str | None]) -> dict[str, int]:
    """Map each wanted field name to its index; exact names first, then case-insensitively
    (Shapefile and some drivers change the case of field names)."""
    available = ogr_layer.fields
    by_lower: dict[str, list[int]] = {}
    for index, name in enumerate(available):
        by_lower.setdefault(name.lower(), []).append(index)
    indexes: dict[str, int] = {}
    missing: list[str] = []
    for option, name in wanted.items():
        if name is None:
            continue
        if name in available:
            indexes[name] = available.index(name)
        elif len(by_lower.get(name.lower(), [])) == 1:
            indexes[name] = by_lower[name.lower()][0]
        else:
            missing.append(f"{name!r} ({option})")
    if missing:
        raise ZoneImportError(
            f"{layer_label} has no field {', '.join(missing)}; available fields: {', '.join(available) or 'none'}"
        )
    return indexes


def _looks_like_lon_lat(ogr_layer: Layer) -> bool:
    min_x, min_y, max_x, max_y = ogr_layer.extent.tuple
    return -180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90


def _transform_to_wgs84(ogr_layer: Layer, layer_label: str, result: ImportResult) -> CoordTransform | None:
    """How to bring the layer's coordinates to EPSG:4326; None when they already are."""
    source = ogr_layer.srs
    if source is None:
        # A Shapefile without .prj, for instance. Lon/lat is by far the usual case; anything else
        # (metres of a projected system) would silently land in the wrong place, so refuse it.
        if not _looks_like_lon_lat(ogr_layer):
            raise ZoneImportError(
                f"{layer_label} declares no spatial reference and its coordinates "
                f"{ogr_layer.extent.tuple} are not longitude/latitude; add one (e.g. a .prj file, or "
                "ogr2ogr -a_srs EPSG:xxxx) and import again"
            )
        result.notes.append(
            f"{layer_label} declares no spatial reference; its coordinates look like longitude/latitude, "
            "so EPSG:4326 was assumed"
        )
        return None
    if source.srid == 4326:
        return None
    # Django builds SpatialReference with the traditional GIS axis order (x = longitude), for both ends.
    return CoordTransform(source, SpatialReference(4326))


def _read_features(
    ogr_layer: Layer,
    transform: CoordTransform | None,
    result: ImportResult,
    *,
    name_index: int,
    code_index: int,
    population_index: int | None,
    parent_code_index: int | None,
    where: list[tuple[int, str]],
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[_ZoneRow], list[str]]:
    rows: list[_ZoneRow] = []
    total = len(ogr_layer)
    errors: list[str] = []
    first_seen: dict[str, int] = {}
    number = 0
    for feature in ogr_layer:
        # Numbered by position in the layer, not among the kept ones, so the number finds it in the file.
        number += 1
        if progress is not None:
            progress("features", number, total)
        try:
            if any((_text(feature[index]) or "") != value for index, value in where):
                continue
        except _FeatureProblem:
            continue  # a value that cannot be decoded does not equal the wanted one
        code: str | None = None
        try:
            code = _text(feature[code_index])
            if not code:
                raise _FeatureProblem("empty code")
            if len(code) > Zone._meta.get_field("code").max_length:
                raise _FeatureProblem(f"code is longer than {Zone._meta.get_field('code').max_length} characters")
            if code in first_seen:
                raise _FeatureProblem(f"duplicate code, already used by feature {first_seen[code]}")
            first_seen[code] = number
            name = _text(feature[name_index])
            if not name:
                raise _FeatureProblem("empty name")
            if len(name) > Zone._meta.get_field("name").max_length:
                raise _FeatureProblem(f"name is longer than {Zone._meta.get_field('name').max_length} characters")
            population = _population(feature[population_index]) if population_index is not None else None
            parent_code = (_text(feature[parent_code_index]) or None) if parent_code_index is not None else None
            if parent_code == code:
                raise _FeatureProblem("zone is its own parent")
            geom, repaired = _multipolygon(feature, transform)
        except _FeatureProblem as problem:
            errors.append(f"feature {number}{f' (code {code!r})' if code else ''}: {problem}")
            continue
        result.repaired += repaired
        rows.append(_ZoneRow(number, code, name, geom, population, parent_code))
    if result.repaired:
        result.notes.append(f"Repaired {result.repaired} invalid geometr{'y' if result.repaired == 1 else 'ies'}")
    return rows, errors


def _text(ogr_field: Field) -> str | None:
    try:
        value = ogr_field.as_string()
    except UnicodeDecodeError as error:
        raise _FeatureProblem(f"field {ogr_field.name!r} is not valid UTF-8") from error
    return value.strip() if value is not None else None


def _population(ogr_field: Field) -> int | None:
    if not ogr_field.is_set:
        return None
    if isinstance(ogr_field, OFTInteger | OFTInteger64):
        population = ogr_field.value
    elif isinstance(ogr_field, OFTReal):
        # Shapefiles often store counts as reals (12345.0); accept those, refuse real fractions.
        number = ogr_field.as_double()
        if not number.is_integer():
            raise _FeatureProblem(f"population {number} is not an integer")
        population = int(number)
    else:
        text = _text(ogr_field)
        if not text:
            return None
        if not _POPULATION_TEXT.fullmatch(text):
            raise _FeatureProblem(f"population {text!r} is not a non-negative integer")
        population = int(text)
    if not 0 <= population <= MAX_POPULATION:
        raise _FeatureProblem(f"population {population} is out of range")
    return population


def _multipolygon(feature, transform: CoordTransform | None) -> tuple[MultiPolygon, bool]:
    """The feature's boundary as a valid MultiPolygon in EPSG:4326, and whether it had to be repaired."""
    try:
        ogr_geom = feature.geom
    except GDALException as error:
        raise _FeatureProblem("no geometry") from error
    # The column is 2D; a Z or M coordinate would be refused by PostGIS.
    ogr_geom.set_3d(False)
    ogr_geom.set_measured(False)
    if ogr_geom.geom_name not in ("POLYGON", "MULTIPOLYGON"):
        raise _FeatureProblem(f"geometry is a {ogr_geom.geom_name.title()}; only Polygon and MultiPolygon are accepted")
    if ogr_geom.empty:
        raise _FeatureProblem("empty geometry")
    if transform is not None:
        try:
            ogr_geom.transform(transform)
        except GDALException as error:
            raise _FeatureProblem(f"cannot reproject to EPSG:4326: {error}") from error
    try:
        geom = GEOSGeometry(ogr_geom.wkb, srid=4326)
    except (GEOSException, ValueError) as error:
        raise _FeatureProblem(f"unreadable geometry: {error}") from error

    repaired = not geom.valid
    if repaired:
        # MakeValid can return lines or points where a ring collapses; a zone is only its area.
        geom = geom.make_valid()
    polygons = _polygons(geom)
    if not polygons:
        raise _FeatureProblem("geometry has no area once repaired")
    multi = MultiPolygon(polygons, srid=4326)
    if not multi.valid:
        # Polygonal parts of a repaired collection may touch or overlap; their union is valid.
        union = multi.unary_union
        multi = union if isinstance(union, MultiPolygon) else MultiPolygon(union, srid=4326)
        multi.srid = 4326
    return multi, repaired


def _polygons(geom: GEOSGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.empty else [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [polygon for part in geom for polygon in _polygons(part)]
    return []


def _check_parents(rows: list[_ZoneRow]) -> list[str]:
    """Every parent code must name a zone in the file or already in the database, without cycles."""
    in_file = {row.code: row for row in rows}
    elsewhere = {row.parent_code for row in rows if row.parent_code and row.parent_code not in in_file}
    known = set(Zone.objects.filter(code__in=elsewhere).values_list("code", flat=True))
    errors = [
        f"feature {row.number} (code {row.code!r}): parent code {row.parent_code!r} matches no zone "
        "in the file or in the database"
        for row in rows
        if row.parent_code and row.parent_code not in in_file and row.parent_code not in known
    ]
    for row in rows:
        seen = {row.code}
        parent = in_file.get(row.parent_code) if row.parent_code else None
        while parent is not None:
            if parent.code in seen:
                errors.append(f"feature {row.number} (code {row.code!r}): parent codes form a cycle")
                break
            seen.add(parent.code)
            parent = in_file.get(parent.parent_code) if parent.parent_code else None
    return errors


def _write(rows: list[_ZoneRow], *, kind: str, population: bool, parent: bool, result: ImportResult) -> None:
    codes = [row.code for row in rows]
    # Lock the zones being replaced so a concurrent import cannot change them between count and write.
    existing = set(Zone.objects.select_for_update().filter(code__in=codes).values_list("code", flat=True))
    result.updated = len(existing)
    result.created = len(rows) - result.updated

    zones = [Zone(code=row.code, name=row.name, kind=kind, geom=row.geom, population=row.population) for row in rows]
    update_fields = ["name", "kind", "geom", "updated_at"] + (["population"] if population else [])
    # One INSERT ... ON CONFLICT (code) DO UPDATE per batch instead of a query per zone.
    Zone.objects.bulk_create(
        zones, update_conflicts=True, unique_fields=["code"], update_fields=update_fields, batch_size=WRITE_BATCH_SIZE
    )

    if parent:
        # Parents may come later in the same file, so they are linked once every zone has an id.
        parent_codes = {row.parent_code for row in rows if row.parent_code}
        ids = dict(Zone.objects.filter(code__in=parent_codes).values_list("code", "id"))
        for zone, row in zip(zones, rows, strict=True):
            if row.parent_code and row.parent_code not in ids:
                # Checked before writing; only a zone deleted meanwhile gets here, and this rolls back.
                raise ZoneImportError(f"feature {row.number}: parent zone {row.parent_code!r} no longer exists")
            zone.parent_id = ids.get(row.parent_code) if row.parent_code else None
        Zone.objects.bulk_update(zones, ["parent"], batch_size=WRITE_BATCH_SIZE)

    # Geodesic area on the spheroid, computed by PostGIS in one statement for the whole import.
    Zone.objects.filter(code__in=codes).update(area_km2=RawSQL("ST_Area(geom::geography) / 1e6", ()))
    # Pages cache derived data per zone under the data version: new or changed zones move it on.
    transaction.on_commit(bump_data_version)
