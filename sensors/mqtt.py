"""The MQTT subscriber behind ``manage.py ingest_mqtt``: readings from a broker into the same ingest service.

Topic scheme: a sensor publishes to ``observatory/sensors/<sensor id>/readings`` with QoS 1. The
payload is JSON: the sensor's ``token`` plus one of the HTTP API's shapes (``{"readings": [...]}``,
the SensorThings ``components``/``dataArray``) or a single reading (``observed_at`` and ``value``).

Nothing the broker delivered is lost: the subscriber connects with MQTT 5, a fixed client id, no
clean start and a long session expiry, so the broker keeps its subscription and queues readings
while it is away; it acknowledges a message (manual PUBACK) only after the transaction that stored
it has committed, so a crash or a broker restart between delivery and commit makes the broker
deliver the message again, and the (sensor, observed_at) key turns the redelivery into a no-op.
Messages are batched (every ``batch_messages`` messages or ``flush_ms`` milliseconds) and written
in one transaction. A malformed or refused message is logged, counted and acknowledged (resending
it would not make it valid); it never stops the subscriber. Paho reconnects with backoff after the
broker restarts; while the database is down the batch is retried and nothing is acknowledged.
"""

from __future__ import annotations

import hmac
import logging
import queue
import signal
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction

from city import opscounters
from city.jsonparser import JSONInputError, loads_limited

from .models import Sensor, token_hash
from .services import (
    BatchRejected,
    ReadingIn,
    readings_conflicts,
    readings_parse,
    readings_repeated,
    readings_store,
    readings_validate,
)

logger = logging.getLogger(__name__)

TOPIC_PREFIX = "observatory/sensors/"
TOPIC_SUFFIX = "/readings"
# How long the broker keeps the subscriber's session (and queued readings) while it is disconnected.
SESSION_EXPIRY_SECONDS = 7 * 24 * 3600


@dataclass
class Delivery:
    generation: int  # which connection delivered it: a PUBACK belongs to that connection only
    mid: int
    qos: int
    topic: str
    payload: bytes


def sensor_id_of_topic(topic: str) -> int | None:
    if not (topic.startswith(TOPIC_PREFIX) and topic.endswith(TOPIC_SUFFIX)):
        return None
    middle = topic[len(TOPIC_PREFIX) : -len(TOPIC_SUFFIX)]
    return int(middle) if middle.isdigit() else None


class Subscriber:
    """Subscribe, batch, store through ``readings_store``, acknowledge after commit."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        client_id: str,
        username: str = "",
        password: str = "",
        batch_messages: int = 500,
        flush_ms: int = 100,
        receive_maximum: int = 1000,
    ):
        self.host, self.port, self.client_id = host, port, client_id
        self.username, self.password = username, password
        self.batch_messages, self.flush_seconds = batch_messages, flush_ms / 1000
        self.receive_maximum = receive_maximum
        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        self.generation = 0
        self.stopping = threading.Event()
        self.stats: Counter[str] = Counter()
        self.client = self._make_client()

    # --- the broker connection (paho's network thread) -------------------------------------------------

    def _make_client(self):
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
        )
        client.manual_ack_set(True)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        if self.username:
            client.username_pw_set(self.username, self.password or None)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._connect_properties = Properties(PacketTypes.CONNECT)
        self._connect_properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        self._connect_properties.ReceiveMaximum = self.receive_maximum
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            logger.error("MQTT broker refused the connection: %s", reason_code)
            return
        self.generation += 1
        self.stats["connections"] += 1
        logger.info(
            "connected to MQTT %s:%s as %r (session present: %s)",
            self.host,
            self.port,
            self.client_id,
            flags.session_present,
        )
        client.subscribe(settings.MQTT_TOPIC, qos=1)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        if not self.stopping.is_set():
            logger.warning("disconnected from MQTT (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        self.deliveries.put(Delivery(self.generation, message.mid, message.qos, message.topic, message.payload))

    # --- the main loop -------------------------------------------------------------------------------------

    def run(self, *, install_signal_handlers: bool = True) -> Counter[str]:
        if install_signal_handlers:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stopping.set())
        self.client.connect_async(
            self.host, self.port, keepalive=30, clean_start=False, properties=self._connect_properties
        )
        self.client.loop_start()
        last_report = time.monotonic()
        last_heartbeat = 0.0
        try:
            while not self.stopping.is_set():
                batch = self._collect()
                if batch:
                    self._flush(batch)
                if time.monotonic() - last_heartbeat > 15:  # readiness looks for one within a minute
                    opscounters.heartbeat("mqtt_subscriber", connected=int(self.client.is_connected()))
                    last_heartbeat = time.monotonic()
                if time.monotonic() - last_report > 60:
                    logger.info("MQTT ingest so far: %s", dict(self.stats))
                    last_report = time.monotonic()
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            logger.info("MQTT ingest stopped: %s", dict(self.stats))
        return self.stats

    def _collect(self) -> list[Delivery]:
        """Up to batch_messages deliveries, waiting at most flush_ms after the first one."""
        try:
            first = self.deliveries.get(timeout=0.5)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.flush_seconds
        while len(batch) < self.batch_messages:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.deliveries.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _flush(self, batch: list[Delivery]) -> None:
        delay = 0.5
        while True:
            try:
                self._store(batch)
                break
            except DatabaseError:
                # The database is away: keep the batch, acknowledge nothing, retry with backoff.
                logger.exception("could not store %d MQTT messages; retrying in %.1f s", len(batch), delay)
                self.stats["database_retries"] += 1
                connection.close()
                if self.stopping.wait(delay):
                    return  # not acknowledged: the broker delivers them again after a restart
                delay = min(delay * 2, 30)
        current = self.generation
        for delivery in batch:
            # A PUBACK on a later connection could not be matched to the message; the broker
            # delivers the message again on the new connection, and that copy is acknowledged.
            if delivery.generation == current and delivery.qos > 0:
                self.client.ack(delivery.mid, delivery.qos)

    def _store(self, batch: list[Delivery]) -> None:
        close_old_connections()
        decoded: list[tuple[Delivery, int, dict]] = []
        for delivery in batch:
            sensor_id = sensor_id_of_topic(delivery.topic)
            if sensor_id is None:
                self._malformed(delivery, "topic is not observatory/sensors/<id>/readings")
                continue
            try:
                # The one JSON parser: depth, size, duplicate keys and NaN refused as on the HTTP API.
                payload = loads_limited(delivery.payload)
            except JSONInputError as error:
                self._malformed(delivery, f"not JSON within the limits ({error})")
                continue
            if not isinstance(payload, dict) or not isinstance(payload.get("token"), str):
                self._malformed(delivery, "no token in the payload")
                continue
            decoded.append((delivery, sensor_id, payload))
        sensors = Sensor.objects.select_related("kind").in_bulk({sensor_id for _d, sensor_id, _p in decoded})
        accepted: dict[int, list[tuple[Delivery, list[ReadingIn]]]] = defaultdict(list)
        for delivery, sensor_id, payload in decoded:
            sensor = sensors.get(sensor_id)
            presented = token_hash(payload.pop("token"))
            if sensor is None:
                self._refused(delivery, "unknown sensor")
            elif not sensor.token_hash or not hmac.compare_digest(presented, sensor.token_hash):
                self._refused(delivery, "wrong or revoked token")
            elif not sensor.accepts_readings:
                self._refused(delivery, "sensor removed or deactivated")
            else:
                try:
                    rows, _shape = readings_parse(payload)
                    readings = readings_validate(kind=sensor.kind, rows=rows, installed_on=sensor.installed_on)
                    repeated = readings_repeated(readings)
                    if repeated:
                        raise BatchRejected(repeated)
                    accepted[sensor_id].append((delivery, readings))
                except BatchRejected as rejected:
                    self._malformed(delivery, f"bad readings {rejected.errors[:5]}")
        storable: dict[int, list[ReadingIn]] = {}
        messages = 0
        for sensor_id, sensor_messages in accepted.items():
            kept = self._without_conflicts(sensors[sensor_id], sensor_messages)
            storable[sensor_id] = [reading for _delivery, readings in kept for reading in readings]
            messages += len(kept)
        stored: Counter[str] = Counter()
        with transaction.atomic():
            for sensor_id, readings in storable.items():
                for start in range(0, len(readings), settings.SENSORS_MAX_BATCH):
                    result = readings_store(
                        sensor=sensors[sensor_id],
                        readings=readings[start : start + settings.SENSORS_MAX_BATCH],
                        refuse_conflicts=False,  # checked message by message just above
                    )
                    stored.update(result.as_dict())
        self.stats.update(stored)
        self.stats["messages"] += messages
        opscounters.count("readings_ingested", "mqtt", stored["inserted"])

    def _without_conflicts(
        self, sensor: Sensor, messages: list[tuple[Delivery, list[ReadingIn]]]
    ) -> list[tuple[Delivery, list[ReadingIn]]]:
        """The sensor's messages less each one that gives a time another value or flag (one query).

        As on the HTTP API a stored reading is never overwritten and a message that contradicts one is
        refused whole; so is one that contradicts an earlier message of the same flush.
        """
        combined = [reading for _delivery, readings in messages for reading in readings]
        clashing = {error["index"] for error in readings_conflicts(sensor=sensor, readings=combined, limit=None)}
        seen: dict = {}
        kept: list[tuple[Delivery, list[ReadingIn]]] = []
        start = 0
        for delivery, readings in messages:
            indices = range(start, start + len(readings))
            start += len(readings)
            if clashing.intersection(indices):
                self._refused(delivery, "a reading differs from the one stored for its time")
                continue
            if any(seen.get(r.observed_at, r[1:]) != r[1:] for r in readings):
                self._refused(delivery, "a reading differs from an earlier message's for its time")
                continue
            seen.update((r.observed_at, r[1:]) for r in readings)
            kept.append((delivery, readings))
        return kept

    def _malformed(self, delivery: Delivery, reason: str) -> None:
        self.stats["malformed"] += 1
        logger.warning("malformed MQTT message on %s: %s", delivery.topic, reason)

    def _refused(self, delivery: Delivery, reason: str) -> None:
        self.stats["refused"] += 1
        logger.warning("refused MQTT message on %s: %s", delivery.topic, reason)
