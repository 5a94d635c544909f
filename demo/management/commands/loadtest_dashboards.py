"""manage.py loadtest_dashboards: the officers' pages under load through gunicorn, against this database."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from demo.loadgen import DEFAULT_CONCURRENCY, DEFAULT_SECONDS, dashboard_load


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

    def handle(self, *args, **options):
        if options["seconds"] <= 0 or options["concurrency"] < 1:
            raise CommandError("--seconds must be positive and --concurrency at least 1")
        try:
            figures = dashboard_load(seconds=options["seconds"], concurrency=options["concurrency"])
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(figures, indent=2))
