"""`manage.py import_zones PATH`: load zone boundaries from any OGR-readable file, all or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from city.models import Zone
from city.progress import progress_bar
from city.zones_import import ZoneImportError, parse_where, zones_import


class Command(BaseCommand):
    help = (
        "Create or update (matched by code) one zone per feature of a GeoJSON, Shapefile, GeoPackage or any "
        "other OGR-readable file. Boundaries are reprojected to EPSG:4326 and repaired; any bad feature "
        "aborts the whole import and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="File (or GDAL path such as /vsizip/...) to read.")
        parser.add_argument("--layer", default="0", help="Layer name or 0-based index (default: 0).")
        parser.add_argument("--name-field", default="name", help="Field holding the zone name (default: name).")
        parser.add_argument("--code-field", default="code", help="Field holding the unique zone code (default: code).")
        parser.add_argument("--population-field", help="Field holding the resident population (optional).")
        parser.add_argument(
            "--parent-code-field", help="Field holding the code of the parent zone, in the file or already imported."
        )
        parser.add_argument(
            "--kind", default=Zone.Kind.OTHER, choices=Zone.Kind.values, help="Kind of the imported zones."
        )
        parser.add_argument(
            "--where",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="Keep only features whose FIELD equals VALUE; repeat to require several (e.g. --where prov_acr=TO).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, write nothing.")

    def handle(self, *args, **options) -> None:
        try:
            with progress_bar("features", unit="feature") as bar:
                result = self._import(options, bar)
        except ZoneImportError as error:
            raise CommandError(str(error)) from error
        self._report(options, result)

    def _import(self, options, bar):
        return zones_import(
            progress=bar.report,
            path=options["path"],
            name_field=options["name_field"],
            code_field=options["code_field"],
            kind=options["kind"],
            population_field=options["population_field"],
            parent_code_field=options["parent_code_field"],
            where=[parse_where(condition) for condition in options["where"]],
            layer=options["layer"],
            dry_run=options["dry_run"],
        )

    def _report(self, options, result):
        for note in result.notes:
            self.stderr.write(self.style.WARNING(f"Note: {note}"))
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS(result.summary()))
