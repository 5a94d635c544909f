"""manage.py weight_survey --campaign CODE: weight a campaign's answers and store its estimates."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from surveys.models import Campaign, WeightingRun
from surveys.weighting import weighting_run_execute


class Command(BaseCommand):
    help = (
        "Weight a survey campaign's answers to the population margins (design weights, non-response, raking, "
        "trimming), store the run with its diagnostics and the direct, weighted and small-area estimates."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="the campaign's code")
        parser.add_argument(
            "--trim-ratio", type=float, default=None, help="cap weights at this multiple of the median (default 5)"
        )

    def handle(self, *args, **options):
        campaign = Campaign.objects.filter(code=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"no campaign with code {options['campaign']!r}")
        kwargs = {} if options["trim_ratio"] is None else {"trim_ratio": options["trim_ratio"]}
        run = weighting_run_execute(campaign=campaign, **kwargs)
        if run.status == WeightingRun.Status.FAILED:
            raise CommandError(f"weighting run {run.pk} failed: {run.error}")
        self.stdout.write(json.dumps({"run": run.pk, "converged": run.converged, **run.diagnostics}, indent=2))
