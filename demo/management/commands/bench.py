"""manage.py bench: seed a scale into a database of its own and print the figures as JSON."""

from __future__ import annotations

import argparse
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from demo.bench import DEFAULT_LOAD_SECONDS, DEFAULT_SUBMITS, bench_inside, bench_run
from demo.seed import DEFAULT_SEED, SCALES


class Command(BaseCommand):
    help = (
        "Benchmark: seed a synthetic city into a separate database (default <main database>_bench, created "
        "if missing and dropped afterwards unless --keep), time seeding, the full indicator recompute against "
        "a plain GROUP BY, and citizen form submissions; print the figures as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--submits", type=int, default=DEFAULT_SUBMITS, help="form submissions to time")
        parser.add_argument("--database", default=None, help="bench database name (default <main>_bench)")
        parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
        parser.add_argument(
            "--load-seconds",
            type=float,
            default=DEFAULT_LOAD_SECONDS,
            help="warm load per dashboard page through gunicorn (the cold pass always runs)",
        )
        # The timed work, run by the outer bench in a subprocess pointed at the bench database.
        parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["submits"] < 1:
            raise CommandError("--submits must be at least 1")
        if options["load_seconds"] <= 0:
            raise CommandError("--load-seconds must be positive")
        try:
            if options["inside"]:
                # stdout carries only the JSON line; progress goes to stderr.
                figures = bench_inside(
                    scale=options["scale"],
                    seed=options["seed"],
                    submits=options["submits"],
                    load_seconds=options["load_seconds"],
                    log=sys.stderr,
                )
                self.stdout.write(json.dumps(figures))
                return
            figures = bench_run(
                scale=options["scale"],
                seed=options["seed"],
                submits=options["submits"],
                database=options["database"],
                keep=options["keep"],
                load_seconds=options["load_seconds"],
                log=self.stderr,
            )
        except (ValueError, RuntimeError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(figures, indent=2))
