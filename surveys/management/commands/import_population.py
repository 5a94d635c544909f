"""manage.py import_population FILE.csv — residents by zone, sex and age (ISTAT's shape), all or nothing."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from surveys.importers import SurveyImportError, population_import


class Command(BaseCommand):
    help = (
        "Import the resident population by zone, sex and age (single years or bands) as the survey's weighting "
        "margins. Columns: zone_code, sex, age, residents; or ISTAT's zone_code, age, males, females. The zones "
        "in the file are replaced at the reference date; nothing is saved unless every row is valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--reference-date", help="the population's date, YYYY-MM-DD (ISTAT: 1 January); default 1 January this year"
        )
        parser.add_argument("--source", default="", help='where the figures come from, e.g. "ISTAT, demo.istat.it"')

    def handle(self, *args, file: str, reference_date: str | None, source: str, **options):
        if reference_date:
            try:
                day = dt.date.fromisoformat(reference_date)
            except ValueError:
                raise CommandError(f"--reference-date: {reference_date!r} is not a date YYYY-MM-DD") from None
        else:
            day = dt.date(timezone.localdate().year, 1, 1)
        try:
            summary = population_import(path=file, reference_date=day, source=source)
        except SurveyImportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"imported {summary.rows} margins: " + "; ".join(summary.notes))
