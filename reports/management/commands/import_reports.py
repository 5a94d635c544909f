"""manage.py import_reports FILE.csv — historical reports, validated row by row, all or nothing.

Columns: category (service code), latitude, longitude, perceived_safety (1-4), occurred_at (ISO 8601
with time zone, or local time), and optionally description and address. Every row goes through
report_submit, the same checks as the form (except the age limit: these are historical).
"""

from __future__ import annotations

import csv

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from city.progress import progress_bar
from reports.models import Category, Report
from reports.services import report_submit
from reports.validation import parse_coordinate

REQUIRED = ("category", "latitude", "longitude", "perceived_safety", "occurred_at")


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Import historical reports from a CSV file; nothing is saved unless every row is valid."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--delimiter", default=",")

    def handle(self, *args, file: str, delimiter: str, **options):
        try:
            handle = open(file, newline="", encoding="utf-8-sig")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        categories = {c.code: c for c in Category.objects.all()}
        errors: list[str] = []
        count = 0
        try:
            with handle, transaction.atomic():
                reader = csv.DictReader(handle, delimiter=delimiter)
                missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
                if missing:
                    raise CommandError(f"line 1: missing column(s) {', '.join(missing)}")
                with progress_bar("reports", unit="row") as bar:
                    for row in reader:
                        line = reader.line_num
                        try:
                            report_submit(**self._parse(row, categories), source=Report.Source.IMPORT, check_age=False)
                            count += 1
                        except ValidationError as error:
                            for field, messages in error.message_dict.items():
                                errors.extend(f"line {line}: {field}: {message}" for message in messages)
                        bar.advance()
                if errors:
                    raise Rollback
        except Rollback:
            raise CommandError("nothing imported:\n" + "\n".join(errors)) from None
        except (UnicodeDecodeError, csv.Error) as error:
            raise CommandError(f"nothing imported: the file is not a readable UTF-8 CSV ({error})") from None
        self.stdout.write(f"imported {count} reports")

    def _parse(self, row: dict, categories: dict) -> dict:
        errors: dict[str, str] = {}
        category = categories.get((row.get("category") or "").strip())
        if category is None:
            errors["category"] = f"unknown category {row.get('category')!r}"
        try:
            longitude = parse_coordinate(row.get("longitude") or "", field="longitude")
            location = Point(longitude, parse_coordinate(row.get("latitude") or "", field="latitude"), srid=4326)
        except ValidationError as error:
            location = None
            errors.update({field: " ".join(messages) for field, messages in error.message_dict.items()})
        try:
            safety = int(row["perceived_safety"])
        except (TypeError, ValueError):
            safety = None
            errors["perceived_safety"] = "must be 1 (very unsafe) to 4 (very safe)"
        try:
            occurred_at = parse_datetime((row.get("occurred_at") or "").strip())
        except ValueError:  # well formed but impossible, such as month 13
            occurred_at = None
        if occurred_at is None:
            errors["occurred_at"] = "must be an ISO 8601 date and time, e.g. 2025-11-02T23:30:00+01:00"
        elif timezone.is_naive(occurred_at):
            occurred_at = timezone.make_aware(occurred_at)
        if errors:
            raise ValidationError({field: [message] for field, message in errors.items()})
        return {
            "category": category,
            "location": location,
            "perceived_safety": safety,
            "occurred_at": occurred_at,
            "description": row.get("description") or "",
            "address": row.get("address") or "",
        }
