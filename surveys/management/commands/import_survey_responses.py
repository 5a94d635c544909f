"""manage.py import_survey_responses FILE.csv --campaign CODE — answers collected elsewhere, all or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from surveys.importers import SurveyImportError, responses_import
from surveys.models import Campaign


class Command(BaseCommand):
    help = (
        "Import survey answers (CATI, paper) into an import campaign. Columns: respondent_id, zone_code, sex, "
        "age_band, answered_at (ISO 8601 with time zone), safe_after_dark (4..1, 0 = never goes out alone after "
        "dark), optional design_weight, one column per item of the campaign's questionnaire. Nothing is saved "
        "unless every row is valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--campaign", required=True, help="code of an import campaign")

    def handle(self, *args, file: str, campaign: str, **options):
        found = Campaign.objects.select_related("instrument_version").filter(code=campaign).first()
        if found is None:
            raise CommandError(f"no campaign has code {campaign!r}")
        try:
            summary = responses_import(path=file, campaign=found)
        except SurveyImportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"imported {summary.rows} answers into {found.code}")
