"""`manage.py import_streets PATH`: load the city's street register (offline address search), all or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from city.streets_import import StreetImportError, streets_import


class Command(BaseCommand):
    help = (
        "Replace the street register with the streets of a CSV file (a name column and a WKT column) or of any "
        "OGR-readable file (GeoJSON, Shapefile, GeoPackage...) of named lines. Any bad line or feature aborts the "
        "whole import, names every problem, and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV file, or any file (or GDAL path such as /vsizip/...) OGR can read.")
        parser.add_argument(
            "--name-field", default="name", help="Column or field with the street name (default: name)."
        )
        parser.add_argument("--wkt-field", default="wkt", help="CSV only: column with the WKT geometry (default: wkt).")
        parser.add_argument("--srid", type=int, default=4326, help="CSV only: EPSG code of the WKT (default: 4326).")
        parser.add_argument("--layer", default="0", help="OGR only: layer name or 0-based index (default: 0).")
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, write nothing.")

    def handle(self, *args, **options) -> None:
        try:
            result = streets_import(
                path=options["path"],
                name_field=options["name_field"],
                wkt_field=options["wkt_field"],
                srid=options["srid"],
                layer=options["layer"],
                dry_run=options["dry_run"],
            )
        except StreetImportError as error:
            raise CommandError(str(error)) from error
        for note in result.notes:
            self.stderr.write(self.style.WARNING(f"Note: {note}"))
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS(result.summary()))
