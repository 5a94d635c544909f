"""manage.py seed_demo: replace zones, reports and indicators with a deterministic synthetic city."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from city.models import Zone
from city.progress import progress_bar
from demo.seed import DEFAULT_MONTHS, DEFAULT_SEED, SCALES, demo_seed


class Command(BaseCommand):
    help = (
        "Seed a deterministic synthetic city: hexagonal zones around the city centre (or zones read from "
        "--zones files), months of citizen reports, indicators and the demo logins. Deletes existing zones, "
        "reports and indicators first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="same seed, same data")
        parser.add_argument(
            "--zones",
            action="append",
            default=[],
            metavar="PATH",
            help="OGR-readable file of zones (GeoJSON, Shapefile...) instead of hexagons; repeatable",
        )
        parser.add_argument("--name-field", default="name", help="field holding the zone name (with --zones)")
        parser.add_argument("--code-field", default="code", help="field holding the zone code (with --zones)")
        parser.add_argument("--population-field", default=None, help="field holding residents (with --zones)")
        parser.add_argument(
            "--kind", choices=Zone.Kind.values, default=Zone.Kind.OTHER, help="zone kind (with --zones)"
        )
        parser.add_argument("--months", type=int, default=DEFAULT_MONTHS, help="months of reports")
        parser.add_argument(
            "--until",
            type=dt.date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="last night of data (default: the last complete night)",
        )

    def handle(self, *args, **options):
        try:
            with progress_bar("seed", unit="step") as bar:
                summary = demo_seed(
                    progress=bar.report,
                    scale=options["scale"],
                    seed=options["seed"],
                    zones_paths=options["zones"],
                    months=options["months"],
                    until=options["until"],
                    name_field=options["name_field"],
                    code_field=options["code_field"],
                    population_field=options["population_field"],
                    zone_kind=options["kind"],
                    stdout=self.stdout,
                )
        except ValueError as error:  # bad options, or a zone file that cannot be imported (ZoneImportError)
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(f"{summary.zones:,} zones and {summary.reports:,} reports seeded.")
            + f" Demo logins (password {settings.DEMO_PASSWORD!r}):"
        )
        for username in summary.accounts:
            self.stdout.write(f"  {username}")
