"""manage.py import_readings FILE.csv [--sensor ID]: bulk import through COPY, all or nothing."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from city.progress import progress_bar
from sensors.importer import ImportRejected, readings_import
from sensors.models import Sensor


def describe(line: int | None, column: str | None, reason: str) -> str:
    """``line 3, column observed_at: the time has no time zone`` (the parts that apply)."""
    where = ", ".join(part for part in (line and f"line {line}", column and f"column {column}") if part)
    return f"{where}: {reason}" if where else reason


class Command(BaseCommand):
    help = (
        "Import readings from a CSV with a header (sensor, observed_at, value; sensor may be left out with "
        "--sensor). Validated in SQL; any bad row refuses the whole file and is reported by line number."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file")
        parser.add_argument("--sensor", help="the sensor of every row: its id or external id")

    def handle(self, *args, path: str, sensor: str | None, **options):
        target = None
        if sensor:
            lookup = Sensor.objects.filter(external_id=sensor)
            if sensor.isdigit():
                lookup = lookup | Sensor.objects.filter(pk=int(sensor))
            target = lookup.first()
            if target is None:
                raise CommandError(f"no sensor with id or external id {sensor!r}")
        started = time.perf_counter()
        try:
            with progress_bar("COPY", unit="B", unit_scale=True) as bar:
                result = readings_import(
                    path=path, sensor=target, progress=lambda done, total: bar.report("COPY", done, total)
                )
        except FileNotFoundError:
            raise CommandError(f"no such file: {path}") from None
        except ImportRejected as rejected:
            described = [describe(*error) for error in rejected.errors]
            for line in described:
                self.stderr.write(line)
            more = rejected.total - len(rejected.errors)
            if more > 0:
                self.stderr.write(f"... and {more} more bad row(s)")
            first = f" (first: {described[0]})" if described else ""
            raise CommandError(f"{rejected.total} bad row(s); nothing was imported{first}") from None
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{result.rows} readings read, {result.inserted} stored, {result.duplicates} already there "
            f"({seconds:.1f} s, {result.rows / seconds:,.0f} readings/s)"
        )
