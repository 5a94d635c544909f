"""`manage.py import_civic_numbers PATH`: load the city's house numbers (a CSV shaped like ANNCSU's), all or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from city.civic_numbers import CivicNumberImportError, Columns, civic_numbers_import


class Command(BaseCommand):
    help = (
        "Replace the civic-number register with the rows of a CSV file (comma or semicolon separated): the street "
        "(ODONIMO, or DUG + DENOMINAZIONE), the number (CIVICO), its suffix (ESPONENTE) and the coordinates "
        "(COORD_X, COORD_Y). Rows numbered SNC are skipped. Any bad line aborts the whole import, every problem is "
        "named by line, and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Columns()
        parser.add_argument("path", help="CSV file.")
        for option, attribute, what in [
            ("--street-field", "street", "the whole street name (VIA ROMA)"),
            ("--dug-field", "dug", "the street's kind (VIA), without --street-field's column"),
            ("--name-field", "name", "the street's name (ROMA), without --street-field's column"),
            ("--number-field", "number", "the house number"),
            ("--suffix-field", "suffix", "the suffix after the number (A, BIS)"),
            ("--x-field", "x", "the longitude or easting"),
            ("--y-field", "y", "the latitude or northing"),
        ]:
            default = getattr(defaults, attribute)
            parser.add_argument(
                option, dest=attribute, default=default, help=f"Column with {what} (default: {default})."
            )
        parser.add_argument("--srid", type=int, default=4326, help="EPSG code of the coordinates (default: 4326).")
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, write nothing.")

    def handle(self, *args, **options) -> None:
        columns = Columns(**{name: options[name] for name in ("street", "dug", "name", "number", "suffix", "x", "y")})
        try:
            result = civic_numbers_import(
                path=options["path"], columns=columns, srid=options["srid"], dry_run=options["dry_run"]
            )
        except CivicNumberImportError as error:
            raise CommandError(str(error)) from error
        for note in result.notes:
            self.stderr.write(self.style.WARNING(f"Note: {note}"))
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS(result.summary()))
