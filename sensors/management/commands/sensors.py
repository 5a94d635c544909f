"""manage.py sensors add|rotate|revoke|list: the sensor registry from the command line."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from city import dateguard
from sensors import services
from sensors.models import Sensor, SensorKind


class Command(BaseCommand):
    help = "Register sensors and manage their tokens. A new token is printed once; only its hash is stored."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser("add", help="register a sensor and print its id and token")
        add.add_argument("--kind", required=True, help="kind code, e.g. illuminance, footfall, noise")
        add.add_argument("--lat", type=float, required=True)
        add.add_argument("--lon", type=float, required=True)
        add.add_argument("--external-id", default=None)
        add.add_argument("--name", default="")
        add.add_argument(
            "--installed-on",
            default=None,
            help="YYYY-MM-DD (default today); readings from before this day are refused, so set it before a backfill",
        )
        for name, text in (("rotate", "give the sensor a new token and print it"), ("revoke", "remove its token")):
            sub = commands.add_parser(name, help=text)
            sub.add_argument("sensor", help="sensor id or external id")
        commands.add_parser("list", help="list sensors with their health")

    def handle(self, *args, action: str, **options):
        getattr(self, f"_{action}")(**options)

    def _sensor(self, key: str) -> Sensor:
        sensor = Sensor.objects.filter(external_id=key).first()
        if sensor is None and key.isdigit():
            sensor = Sensor.objects.filter(pk=int(key)).first()
        if sensor is None:
            raise CommandError(f"no sensor with id or external id {key!r}")
        return sensor

    def _add(self, *, kind, lat, lon, external_id, name, installed_on, **_options):
        found = SensorKind.objects.filter(code=kind).first()
        if found is None:
            codes = ", ".join(SensorKind.objects.values_list("code", flat=True))
            raise CommandError(f"no sensor kind {kind!r}; known kinds: {codes}")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise CommandError("--lat must lie in -90..90 and --lon in -180..180")
        if external_id and Sensor.objects.filter(external_id=external_id).exists():
            raise CommandError(f"a sensor {external_id!r} exists already")
        try:
            installed = (
                dateguard.parse_date(installed_on, field="installed_on", label="--installed-on", future_days=0)
                if installed_on
                else None
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.message_dict["installed_on"])) from None
        sensor, token = services.sensor_register(
            kind=found, location=Point(lon, lat, srid=4326), external_id=external_id, name=name, installed_on=installed
        )
        zone = sensor.zone.code if sensor.zone else "outside every zone"
        self.stdout.write(f"id: {sensor.id}\nexternal id: {sensor.external_id}\nzone: {zone}\ntoken: {token}")
        self.stderr.write("Keep the token now: it is not stored and cannot be shown again.")

    def _rotate(self, *, sensor, **_options):
        found = self._sensor(sensor)
        self.stdout.write(f"id: {found.id}\ntoken: {services.sensor_token_rotate(sensor=found)}")

    def _revoke(self, *, sensor, **_options):
        found = self._sensor(sensor)
        services.sensor_token_revoke(sensor=found)
        self.stdout.write(f"token of sensor {found.id} ({found.external_id}) revoked")

    def _list(self, **_options):
        self.stdout.write(f"{'id':>6}  {'external id':<24} {'kind':<12} {'zone':<10} {'last reading':<26} state")
        for s in Sensor.objects.select_related("kind", "zone").order_by("id"):
            state = "removed" if s.removed_on else ("inactive" if not s.active else ("SILENT" if s.silent else "ok"))
            if not s.has_token:
                state += ", no token"
            last = s.last_seen_at.isoformat() if s.last_seen_at else "never"
            zone = s.zone.code if s.zone else "-"
            self.stdout.write(f"{s.id:>6}  {s.external_id:<24} {s.kind.code:<12} {zone:<10} {last:<26} {state}")
