"""Import the city's street register (names with geometry) for the offline address search, all or nothing.

A CSV file (a name column and a WKT column, coordinates in EPSG:4326 unless ``srid`` says otherwise) or any
OGR-readable file (GeoJSON, Shapefile, GeoPackage, ...). Every row is read and checked before anything is
written; the register is then replaced in one transaction, so a bad line leaves the old register whole.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry, LineString, MultiLineString
from django.db import connection, transaction

from .dataversion import bump_data_version
from .models import Street
from .zones_import import MAX_LISTED_ERRORS, ImportResult, _field_indexes, _layer, _open, _transform_to_wgs84

NAME_LIMIT = Street._meta.get_field("name").max_length


class StreetImportError(ValueError):
    """The file cannot be imported; nothing was written. ``errors`` lists every problem, by line or feature."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])


@dataclass
class StreetImportResult:
    imported: int = 0
    replaced: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.dry_run:
            return f"Dry run, nothing written. Would import {self.imported} streets (replacing {self.replaced})"
        return f"Imported {self.imported} streets (replacing {self.replaced})"


def _as_lines(geom: GEOSGeometry) -> MultiLineString:
    """A street's geometry as a MultiLineString in EPSG:4326; ValueError when it is not a line."""
    if isinstance(geom, LineString) and not isinstance(geom, MultiLineString):
        geom = MultiLineString(geom, srid=geom.srid)
    if not isinstance(geom, MultiLineString):
        raise ValueError(f"a street is a line or multi-line, not a {geom.geom_type}")
    if geom.empty:
        raise ValueError("the geometry is empty")
    if not geom.valid:
        raise ValueError(f"invalid geometry ({geom.valid_reason})")
    return geom


def _check_name(raw) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise ValueError("the street has no name")
    if "\x00" in name:
        raise ValueError("the name contains a NUL character")
    if len(name) > NAME_LIMIT:
        raise ValueError(f"the name is longer than {NAME_LIMIT} characters")
    return name


def _read_csv(path: Path, *, name_field: str, wkt_field: str, srid: int) -> tuple[list, list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise StreetImportError(f"{path} is not UTF-8 text: {error}") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [name for name in (name_field, wkt_field) if name not in (reader.fieldnames or [])]
    if missing:
        raise StreetImportError(
            f"{path} has no column {', '.join(repr(m) for m in missing)}; "
            f"its columns are: {', '.join(reader.fieldnames or []) or 'none'}"
        )
    transform = None if srid == 4326 else CoordTransform(SpatialReference(srid), SpatialReference(4326))
    rows, errors = [], []
    for record in reader:
        line = reader.line_num
        try:
            name = _check_name(record[name_field])
            wkt = (record[wkt_field] or "").strip()
            if not wkt:
                raise ValueError("the geometry is empty")
            try:
                geom = GEOSGeometry(wkt, srid=srid)
            except (GEOSException, ValueError, GDALException) as error:
                raise ValueError(f"cannot read the WKT ({error})") from None
            if transform is not None:
                geom.transform(transform)
            rows.append((name, _as_lines(geom)))
        except ValueError as error:
            errors.append(f"line {line}: {error}")
    return rows, errors


def _read_ogr(path: Path | str, *, name_field: str, layer, result: StreetImportResult) -> tuple[list, list[str]]:
    try:
        data_source = _open(path)
        ogr_layer = _layer(data_source, layer, path)
        label = f"layer {ogr_layer.name!r} of {path}"
        index = _field_indexes(ogr_layer, label, {"--name-field": name_field})[name_field]
        notes = ImportResult()
        transform = _transform_to_wgs84(ogr_layer, label, notes)
        result.notes.extend(notes.notes)
    except ValueError as error:  # ZoneImportError: the same messages for the same file problems
        raise StreetImportError(str(error)) from error
    rows, errors = [], []
    for number, feature in enumerate(ogr_layer, start=1):
        try:
            name = _check_name(feature[index].value)
            if feature.geom is None:
                raise ValueError("the feature has no geometry")
            geom = feature.geom.clone()
            if transform is not None:
                geom.transform(transform)
            rows.append((name, _as_lines(GEOSGeometry(geom.wkb, srid=4326))))
        except (ValueError, GDALException, GEOSException) as error:
            errors.append(f"feature {number}: {error}")
    return rows, errors


def streets_import(
    *,
    path: str | Path,
    name_field: str = "name",
    wkt_field: str = "wkt",
    srid: int = 4326,
    layer: int | str = 0,
    dry_run: bool = False,
) -> StreetImportResult:
    """Replace the street register with the streets of ``path``; all or nothing.

    A ``.csv`` file is read with Python's csv module (its header names ``name_field`` and ``wkt_field``) so
    that problems are named by line; any other file through OGR, by feature. Raises StreetImportError naming
    every problem when anything is wrong, and then writes nothing."""
    path = Path(path) if not str(path).startswith("/vsi") else path
    result = StreetImportResult(dry_run=dry_run)
    if isinstance(path, Path) and path.suffix.lower() == ".csv":
        if not path.exists():
            raise StreetImportError(f"File not found: {path}")
        try:
            SpatialReference(srid)
        except (GDALException, TypeError) as error:
            raise StreetImportError(f"Unknown spatial reference EPSG:{srid}") from error
        rows, errors = _read_csv(path, name_field=name_field, wkt_field=wkt_field, srid=srid)
    else:
        rows, errors = _read_ogr(path, name_field=name_field, layer=layer, result=result)
    if not rows and not errors:
        raise StreetImportError(f"{path} holds no street; nothing to import")
    if errors:
        listed = errors[:MAX_LISTED_ERRORS]
        more = len(errors) - len(listed)
        message = "\n  ".join(
            [f"Nothing imported: {len(errors)} problem(s) in {path}:", *listed]
            + ([f"... and {more} more"] if more else [])
        )
        raise StreetImportError(message, errors)
    with transaction.atomic():
        result.replaced = Street.objects.count()
        Street.objects.all().delete()
        Street.objects.bulk_create([Street(name=name, geom=geom) for name, geom in rows], batch_size=1000)
        result.imported = len(rows)
        if dry_run:
            transaction.set_rollback(True)
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE city_street")
            # The maps' reference labels are drawn from the register: pages cached under the version rebuild.
            transaction.on_commit(bump_data_version)
    return result
