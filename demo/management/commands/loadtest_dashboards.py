"""manage.py loadtest_dashboards: the officers' pages under load through gunicorn, against this database."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from demo.loadgen import DEFAULT_CONCURRENCY, DEFAULT_SECONDS, dashboard_load, public_load


class Command(BaseCommand):
    help = (
        "Start gunicorn (gunicorn.conf.py) on a free port against the configured database, sign an officer in, "
        "and measure the city overview and a zone page: cold (cache emptied, every slot and period once) and "
        "warm (concurrent keep-alive clients); server-side latencies from gunicorn's access log. Run it against "
        "a seeded database, e.g. one kept by `bench --keep`. Empties the cache it uses."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="warm load per page")
        parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="concurrent clients")
        parser.add_argument(
            "--public",
            action="store_true",
            help="measure the public reads instead (public map data, public zone page, Open311 GET requests)",
        )
        parser.add_argument(
            "--code-dir",
            type=Path,
            help="run gunicorn from another checkout (e.g. a worktree of main) against this database, for a "
            "before/after pair",
        )
        parser.add_argument(
            "--before",
            action="store_true",
            help="with --public: the reads as they were before the clustered public map (for --code-dir of main)",
        )

    def handle(self, *args, **options):
        if options["seconds"] <= 0 or options["concurrency"] < 1:
            raise CommandError("--seconds must be positive and --concurrency at least 1")
        try:
            if options["public"]:
                figures = public_load(
                    seconds=options["seconds"],
                    concurrency=options["concurrency"],
                    code_dir=options["code_dir"],
                    before=options["before"],
                )
            else:
                figures = dashboard_load(seconds=options["seconds"], concurrency=options["concurrency"])
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(figures, indent=2))
