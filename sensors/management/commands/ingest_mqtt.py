"""manage.py ingest_mqtt: the long-running MQTT subscriber (see sensors/mqtt.py for the topic scheme)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from sensors.mqtt import Subscriber


class Command(BaseCommand):
    help = (
        "Subscribe to observatory/sensors/+/readings on the MQTT broker (MQTT_HOST, MQTT_PORT) and store the "
        "readings through the same service as the HTTP API. Runs until SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="broker host (default MQTT_HOST)")
        parser.add_argument("--port", type=int, default=None, help="broker port (default MQTT_PORT)")
        parser.add_argument("--client-id", default=None, help="MQTT client id (default MQTT_CLIENT_ID)")
        parser.add_argument("--batch-messages", type=int, default=500, help="write after this many messages")
        parser.add_argument("--flush-ms", type=int, default=100, help="or after this many milliseconds")

    def handle(self, *args, **options):
        subscriber = Subscriber(
            host=options["host"] or settings.MQTT_HOST,
            port=options["port"] or settings.MQTT_PORT,
            client_id=options["client_id"] or settings.MQTT_CLIENT_ID,
            username=settings.MQTT_USERNAME,
            password=settings.MQTT_PASSWORD,
            batch_messages=options["batch_messages"],
            flush_ms=options["flush_ms"],
        )
        self.stderr.write(f"ingest_mqtt: subscribing to {settings.MQTT_TOPIC} on {subscriber.host}:{subscriber.port}")
        stats = subscriber.run()
        self.stderr.write(f"ingest_mqtt: stopped; {dict(stats)}")
