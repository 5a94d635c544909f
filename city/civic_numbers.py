"""The civic-number register: how a typed address splits into street and house number, and its import.

Italian cities publish their house numbers as a CSV in the national register's shape (ANNCSU): one row per
entrance with the street (``ODONIMO``, or ``DUG`` + ``DENOMINAZIONE``: "VIA" + "ROMA"), the number
(``CIVICO``), its suffix (``ESPONENTE``: "A", "BIS") and the coordinates (``COORD_X``, ``COORD_Y``, in
EPSG:4326 unless ``srid`` says otherwise), separated by commas or semicolons, decimals with a point or a
comma. Every line is checked before anything is written; the register is then replaced in one transaction
(COPY), so a bad line leaves the old register whole. Rows without a number ("SNC", senza numero civico) are
skipped and counted.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, GDALException, SpatialReference
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from .models import CivicNumber
from .zones_import import MAX_LISTED_ERRORS

STREET_LIMIT = CivicNumber._meta.get_field("street_name").max_length
SUFFIX_LIMIT = CivicNumber._meta.get_field("suffix").max_length
WITHOUT_NUMBER = {"snc", "sn", "s.n.", "s.n.c."}

# "Via Roma 12", "via roma, 12", "Via Roma n. 12/A", "Corso Francia 5 bis": a number at the end, after a space
# or a comma; a number inside the name ("Via 4 Novembre") is part of the street.
_ADDRESS = re.compile(
    r"^(?P<street>.*?\S)\s*(?:,\s*|\s+)(?:n\.?\s*|nr\.?\s*|numero\s+)?(?P<number>\d{1,5})"
    r"\s*(?:[/-]?\s*(?P<suffix>[a-z]{1,6}|\d{1,3}))?\s*(?:,.*)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TypedAddress:
    street: str
    number: int | None = None
    suffix: str = ""


def parse_address(text: str) -> TypedAddress:
    """A typed address split into the street and, when it ends with one, the house number and its suffix."""
    typed = " ".join((text or "").split())
    match = _ADDRESS.match(typed)
    if match is None:
        return TypedAddress(typed.strip(" ,;"))
    return TypedAddress(match["street"].strip(" ,;"), int(match["number"]), (match["suffix"] or "").lower())


class CivicNumberImportError(ValueError):
    """The file cannot be imported; nothing was written. ``errors`` lists every problem, by line."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])


@dataclass
class CivicNumberImportResult:
    imported: int = 0
    replaced: int = 0
    skipped_without_number: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counted = f"{self.imported} civic numbers (replacing {self.replaced})"
        skipped = (
            f"; {self.skipped_without_number} rows without a number skipped" if self.skipped_without_number else ""
        )
        if self.dry_run:
            return f"Dry run, nothing written. Would import {counted}{skipped}"
        return f"Imported {counted}{skipped}"


@dataclass(frozen=True)
class Columns:
    street: str = "ODONIMO"
    dug: str = "DUG"  # used with ``name`` when the file has no ``street`` column
    name: str = "DENOMINAZIONE"
    number: str = "CIVICO"
    suffix: str = "ESPONENTE"
    x: str = "COORD_X"
    y: str = "COORD_Y"


def _coordinate(raw: str, label: str) -> float:
    text = (raw or "").strip().replace(",", ".")
    if not text:
        raise ValueError(f"{label} is empty")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{label} {raw!r} is not a number") from None


def _street(record: dict, columns: Columns, has_street: bool) -> str:
    if has_street:
        name = record.get(columns.street) or ""
    elif not (record.get(columns.name) or "").strip():
        raise ValueError(f"the street has no name ({columns.name} is empty)")
    else:
        name = f"{record.get(columns.dug) or ''} {record.get(columns.name)}"
    name = " ".join(name.split())
    if not name:
        raise ValueError("the street has no name")
    if "\x00" in name:
        raise ValueError("the street name contains a NUL character")
    if len(name) > STREET_LIMIT:
        raise ValueError(f"the street name is longer than {STREET_LIMIT} characters")
    return name


def _read(path: Path, columns: Columns, srid: int, result: CivicNumberImportResult) -> tuple[list, list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CivicNumberImportError(f"{path} is not UTF-8 text: {error}") from error
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = reader.fieldnames or []
    has_street = columns.street in header
    needed = [columns.number, columns.x, columns.y] + ([] if has_street else [columns.dug, columns.name])
    missing = [name for name in needed if name not in header]
    if missing:
        street_hint = (
            "" if has_street else f" (the street is {columns.street!r}, or {columns.dug!r} + {columns.name!r})"
        )
        raise CivicNumberImportError(
            f"{path} has no column {', '.join(repr(m) for m in missing)}{street_hint}; "
            f"its columns are: {', '.join(header) or 'none'}"
        )
    transform = None if srid == 4326 else CoordTransform(SpatialReference(srid), SpatialReference(4326))
    rows, errors = [], []
    for record in reader:
        line = reader.line_num
        try:
            if None in record:
                raise ValueError(f"more fields than the header's {len(header)}")
            street = _street(record, columns, has_street)
            raw_number = (record.get(columns.number) or "").strip()
            if raw_number.lower() in WITHOUT_NUMBER:
                result.skipped_without_number += 1
                continue
            if not raw_number.isdigit() or int(raw_number) < 1:
                raise ValueError(f"the number {raw_number!r} is not a whole number above 0 (or SNC)")
            suffix = (record.get(columns.suffix) or "").strip().strip("/").lower()
            if len(suffix) > SUFFIX_LIMIT or "\x00" in suffix:
                raise ValueError(f"the suffix {suffix[:20]!r} is longer than {SUFFIX_LIMIT} characters")
            x, y = _coordinate(record.get(columns.x), columns.x), _coordinate(record.get(columns.y), columns.y)
            point = Point(x, y, srid=srid)
            if transform is not None:
                try:
                    point.transform(transform)
                except GDALException as error:
                    raise ValueError(f"cannot convert ({x}, {y}) from EPSG:{srid} ({error})") from None
            if not (-180 <= point.x <= 180 and -90 <= point.y <= 90):
                raise ValueError(f"({x}, {y}) is not a place on Earth in EPSG:{srid}")
            rows.append((street, int(raw_number), suffix, point.x, point.y))
        except ValueError as error:
            errors.append(f"line {line}: {error}")
    return rows, errors


def civic_numbers_import(
    *, path: str | Path, columns: Columns | None = None, srid: int = 4326, dry_run: bool = False
) -> CivicNumberImportResult:
    """Replace the civic-number register with the rows of the CSV at ``path``; all or nothing.

    Raises CivicNumberImportError naming every problem by line when anything is wrong, and then writes nothing.
    Numbers whose street the street register does not hold are imported and counted in a note: they are found
    once that street is imported."""
    path, columns = Path(path), columns or Columns()
    result = CivicNumberImportResult(dry_run=dry_run)
    if not path.exists():
        raise CivicNumberImportError(f"File not found: {path}")
    try:
        SpatialReference(srid)
    except (GDALException, TypeError) as error:
        raise CivicNumberImportError(f"Unknown spatial reference EPSG:{srid}") from error
    rows, errors = _read(path, columns, srid, result)
    if not rows and not errors:
        raise CivicNumberImportError(f"{path} holds no civic number; nothing to import")
    if errors:
        listed = errors[:MAX_LISTED_ERRORS]
        more = len(errors) - len(listed)
        message = "\n  ".join(
            [f"Nothing imported: {len(errors)} problem(s) in {path}:", *listed]
            + ([f"... and {more} more"] if more else [])
        )
        raise CivicNumberImportError(message, errors)
    now = timezone.now().isoformat()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for street, number, suffix, x, y in rows:
        writer.writerow([street, number, suffix, f"SRID=4326;POINT({x!r} {y!r})", now])
    buffer.seek(0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM city_civicnumber")
        result.replaced = cursor.fetchone()[0]
        cursor.execute("DELETE FROM city_civicnumber")
        # A city's register holds a few hundred thousand entrances: COPY, not one INSERT per row.
        cursor.copy_expert(
            "COPY city_civicnumber (street_name, number, suffix, point, created_at) FROM STDIN "
            "WITH (FORMAT csv, FORCE_NOT_NULL (suffix))",
            buffer,
        )
        result.imported = len(rows)
        cursor.execute(
            """
            SELECT count(DISTINCT city_search_text(c.street_name)) FROM city_civicnumber c
            WHERE NOT EXISTS (SELECT 1 FROM city_street s
                              WHERE city_search_text(s.name) = city_search_text(c.street_name))
            """
        )
        unknown = cursor.fetchone()[0]
        if unknown:
            result.notes.append(
                f"{unknown} street(s) of this file are not in the street register (import_streets): their numbers "
                "are found once the street is imported"
            )
        if dry_run:
            transaction.set_rollback(True)
        else:
            cursor.execute("ANALYZE city_civicnumber")
    return result
