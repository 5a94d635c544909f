"""manage.py recompute_indicators: the indicator engine, synchronously, with a progress bar."""

from __future__ import annotations

import datetime as dt
import json
import time

from django.core.management.base import BaseCommand, CommandError

from city.progress import progress_bar
from indicators import alerts, engine, hotspots, registry


class Command(BaseCommand):
    help = (
        "Recompute indicators synchronously: the stale (zone, night) pairs by default, everything with --full, "
        "or the periods from --since DATE on; then hot spots and alerts (unless --no-statistics). "
        "--sensitivity prints the sensitivity analysis of one group's index as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every indicator from raw rows")
        parser.add_argument("--since", type=dt.date.fromisoformat, help="recompute periods with nights from DATE on")
        parser.add_argument("--no-statistics", action="store_true", help="skip hot spots and alerts")
        parser.add_argument("--sensitivity", action="store_true", help="print the sensitivity analysis and stop")
        parser.add_argument("--slot", default="night")
        parser.add_argument("--period-kind", default="rolling28", choices=["night", "week", "month", "rolling28"])
        parser.add_argument("--period-start", type=dt.date.fromisoformat, help="default: the latest rolling window")

    def handle(self, *args, **options):
        if options["full"] and options["since"]:
            raise CommandError("use either --full or --since, not both")
        if options["sensitivity"]:
            start = options["period_start"] or engine.anchor_night() - dt.timedelta(days=registry.ROLLING_NIGHTS - 1)
            result = engine.sensitivity_run(
                period_kind=options["period_kind"], period_start=start, slot=options["slot"]
            )
            self.stdout.write(json.dumps(result, indent=2))
            return
        started = time.perf_counter()
        if options["full"] or options["since"]:
            with progress_bar("recompute", unit="step") as bar:
                pairs = engine.recompute_all(since=options["since"], progress=bar.report)
        else:
            pairs = engine.recompute_stale()
        self.stdout.write(f"{pairs} (zone, night) pairs recomputed in {time.perf_counter() - started:.2f} s")
        if not options["no_statistics"]:
            step = time.perf_counter()
            count = hotspots.compute_hotspots()
            self.stdout.write(f"hot spots: {count} zone x slot rows in {time.perf_counter() - step:.2f} s")
            step = time.perf_counter()
            count = alerts.compute_alerts()
            self.stdout.write(f"alerts: {count} standing in {time.perf_counter() - step:.2f} s")
