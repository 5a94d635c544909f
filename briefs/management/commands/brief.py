"""manage.py brief --month 2026-11 [--zone CODE | --council CODE] [--language it|en] --output FILE.pdf"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from briefs import rendering
from briefs.selectors import BriefError, month_parse, scope_resolve


class Command(BaseCommand):
    help = "Write the monthly intersectoral brief of a month (the city, or one zone) as a PDF."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="the month, as YYYY-MM (for instance 2026-11)")
        parser.add_argument("--zone", default="", help="a zone code (a district: its zones); default the whole city")
        parser.add_argument("--council", default="", help="a district council's code: the zones it covers")
        languages = [code for code, _name in settings.LANGUAGES]
        parser.add_argument("--language", default=settings.LANGUAGE_CODE[:2], choices=languages)
        parser.add_argument("--output", required=True, help="the PDF file to write")

    def handle(self, *args, month, zone, council, language, output, **options):
        with translation.override(language):
            try:
                first = month_parse(month)
                scope = scope_resolve(zone_code=zone, council_code=council)
            except BriefError as error:
                raise CommandError(str(error)) from None
        path = Path(output)
        if path.is_dir() or not path.parent.exists():
            raise CommandError(f"Cannot write {output}: give a file in an existing folder.")
        started = time.perf_counter()
        pdf = rendering.brief_pdf(month=first, scope=scope, language=language)
        try:
            path.write_bytes(pdf)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from None
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{output}: {len(pdf)} bytes, {first:%Y-%m}, {scope.label}, {language}, {elapsed:.2f} s")
