"""Sensor ingest figures for ``manage.py bench``: HTTP batches, CSV COPY and MQTT, each against one INSERT per reading.

Runs inside the bench database after the demo seed. The baseline is the same stamped INSERT issued
once per reading (in one transaction, so it is not penalised by commits): the ratios say what
batching and COPY buy over the naive way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from city import nightslots
from sensors import services
from sensors.importer import readings_import
from sensors.models import Reading, SensorKind
from sensors.partitions import ensure_month_partitions

HTTP_BATCH = 1_000
HTTP_BATCHES = 20
COPY_ROWS = {"small": 500_000, "medium": 1_000_000, "large": 2_000_000}
PER_ROW_READINGS = 5_000
MQTT_MESSAGES = 5_000
MQTT_READINGS_PER_MESSAGE = 10


def _say(log: TextIO | None, line: str) -> None:
    if log is not None:
        log.write(line + "\n")
        log.flush()


def _register(external_id: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM observatory_zone "
                       "ORDER BY id LIMIT 1) t")  # fmt: skip
        row = cursor.fetchone()
    lon, lat = row if row else settings.OBSERVATORY_CITY_CENTRE[::-1]
    kind = SensorKind.objects.get(code="illuminance")
    # Installed before the 2019 readings the bench sends: a reading before its sensor's installation is refused.
    return services.sensor_register(
        kind=kind, location=Point(lon, lat, srid=4326), external_id=external_id, installed_on=dt.date(2019, 1, 1)
    )


def _instants(start: dt.datetime, count: int, step_seconds: int = 60) -> list[dt.datetime]:
    return [start + dt.timedelta(seconds=step_seconds * i) for i in range(count)]


def per_row_inserts(count: int) -> float:
    """Readings per second with one stamped INSERT statement per reading (the baseline)."""
    sensor, _token = _register("BENCH-PER-ROW")
    instants = _instants(dt.datetime(2019, 3, 1, tzinfo=dt.UTC), count)
    night, slot = nightslots.sql_night_of("%s::timestamptz"), nightslots.sql_slot_of("%s::timestamptz")
    sql = f"""
        INSERT INTO sensors_reading (sensor_id, observed_at, value, zone_id, night, slot)
        VALUES (%s, %s, %s, %s, {night}, {slot})
        ON CONFLICT (sensor_id, observed_at) DO NOTHING
    """
    with transaction.atomic():
        ensure_month_partitions({dt.date(i.year, i.month, 1) for i in instants})
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for i, instant in enumerate(instants):
            cursor.execute(sql, [sensor.id, instant, float(i % 500), sensor.zone_id, instant, instant])
    return count / (time.perf_counter() - started)


def http_batches() -> float:
    """Readings per second POSTed in batches of 1,000 through the real view (Django test client)."""
    sensor, token = _register("BENCH-HTTP")
    client = Client()
    url = reverse("sensors-api:sensor-readings", args=[sensor.id])
    start = dt.datetime(2019, 6, 1, tzinfo=dt.UTC)
    bodies = []
    for b in range(HTTP_BATCHES):
        instants = _instants(start + dt.timedelta(days=b), HTTP_BATCH)
        readings = [{"observed_at": i.isoformat(), "value": float(n % 500)} for n, i in enumerate(instants)]
        bodies.append(json.dumps({"readings": readings}))
    # One untimed request first: the test client builds Django's handler (the middleware chain,
    # WhiteNoise's scan of the static files: ~0.3 s) on its first request, once per process, as a
    # gunicorn worker does at start-up; timing it charged a start-up cost to 20 batches.
    client.get(url)
    started = time.perf_counter()
    for body in bodies:
        response = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
        if response.status_code != 201:
            raise RuntimeError(f"the ingest answered {response.status_code}: {response.content[:300]!r}")
    return HTTP_BATCH * HTTP_BATCHES / (time.perf_counter() - started)


def copy_import(rows: int, directory: Path) -> float:
    """Readings per second through ``readings_import`` (COPY, SQL validation, one INSERT ... SELECT)."""
    sensors = [_register(f"BENCH-CSV-{n:02d}")[0] for n in range(50)]
    per_sensor = rows // len(sensors)
    start = dt.datetime(2019, 9, 1, tzinfo=dt.UTC)
    path = directory / "readings.csv"
    with path.open("w") as f:
        f.write("sensor,observed_at,value\n")
        for n in range(per_sensor):
            at = (start + dt.timedelta(minutes=15 * n)).isoformat()
            for s in sensors:
                f.write(f"{s.external_id},{at},{n % 500}.5\n")
    started = time.perf_counter()
    result = readings_import(path=str(path))
    seconds = time.perf_counter() - started
    if result.inserted != per_sensor * len(sensors):
        raise RuntimeError(f"COPY import stored {result.inserted} of {per_sensor * len(sensors)}")
    return result.rows / seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mqtt_sustained(directory: Path, log: TextIO | None) -> dict | None:
    """Readings per second from the first publish until every reading is stored, through our own broker."""
    import paho.mqtt.client as mqtt

    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(mosquitto).exists():
        _say(log, "bench: mosquitto not installed, MQTT figure skipped")
        return None
    port = _free_port()
    config = directory / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n"
        f"{'user root' if os.geteuid() == 0 else ''}\n"
    )
    broker = subprocess.Popen([mosquitto, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    db = settings.DATABASES["default"]
    env = dict(os.environ, MQTT_HOST="127.0.0.1", MQTT_PORT=str(port), MQTT_CLIENT_ID=f"bench-{port}")
    env["DATABASE_URL"] = (
        f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    ingest = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "ingest_mqtt"],
        env=env, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        sensor, token = _register("BENCH-MQTT")
        device = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-device-{port}")
        device.max_inflight_messages_set(1000)
        device.max_queued_messages_set(0)
        deadline = time.monotonic() + 30
        while True:
            try:
                device.connect("127.0.0.1", port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        device.loop_start()
        topic = f"observatory/sensors/{sensor.id}/readings"
        start = dt.datetime(2019, 12, 1, tzinfo=dt.UTC)

        def stored() -> int:
            return Reading.objects.filter(sensor=sensor).count()

        probe = {"token": token, "observed_at": (start - dt.timedelta(days=1)).isoformat(), "value": 1.0}
        while stored() == 0:  # the subscriber is up and subscribed once its probe landed
            device.publish(topic, json.dumps(probe), qos=1).wait_for_publish(5)
            time.sleep(0.2)
            if time.monotonic() > deadline:
                raise RuntimeError("the MQTT subscriber never stored a reading")
        payloads = []
        for m in range(MQTT_MESSAGES):
            first = start + dt.timedelta(minutes=MQTT_READINGS_PER_MESSAGE * m)
            readings = [
                {"observed_at": (first + dt.timedelta(minutes=r)).isoformat(), "value": float(r)}
                for r in range(MQTT_READINGS_PER_MESSAGE)
            ]
            payloads.append(json.dumps({"token": token, "readings": readings}))
        expected = 1 + MQTT_MESSAGES * MQTT_READINGS_PER_MESSAGE
        started = time.perf_counter()
        for payload in payloads:
            device.publish(topic, payload, qos=1)
        while stored() < expected:
            if time.perf_counter() - started > 300:
                raise RuntimeError(f"MQTT: only {stored()} of {expected} readings stored after 300 s")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        device.disconnect()
        device.loop_stop()
        return {
            "messages": MQTT_MESSAGES,
            "readings_per_message": MQTT_READINGS_PER_MESSAGE,
            "readings_per_second": round(MQTT_MESSAGES * MQTT_READINGS_PER_MESSAGE / seconds),
            "messages_per_second": round(MQTT_MESSAGES / seconds),
        }
    finally:
        ingest.terminate()
        broker.terminate()
        ingest.wait(timeout=30)
        broker.wait(timeout=30)


def sensors_bench(*, scale: str, log: TextIO | None = None) -> dict:
    """The sensor ingest figures, as a dict for bench_inside's JSON."""
    _say(log, f"bench: sensors: one INSERT per reading ({PER_ROW_READINGS})")
    per_row = per_row_inserts(PER_ROW_READINGS)
    _say(log, f"bench: sensors: HTTP batches ({HTTP_BATCHES} x {HTTP_BATCH})")
    http = http_batches()
    rows = COPY_ROWS.get(scale, COPY_ROWS["small"])
    with tempfile.TemporaryDirectory() as directory:
        _say(log, f"bench: sensors: CSV COPY import ({rows})")
        copy = copy_import(rows, Path(directory))
        _say(log, f"bench: sensors: MQTT ({MQTT_MESSAGES} messages x {MQTT_READINGS_PER_MESSAGE} readings)")
        mqtt_figures = mqtt_sustained(Path(directory), log)
    figures = {
        "per_row_insert_readings_per_second": round(per_row),
        "http_batch_readings_per_second": round(http),
        "http_batch_size": HTTP_BATCH,
        "http_over_per_row_ratio": round(http / per_row, 1),
        "copy_import_readings": rows,
        "copy_import_readings_per_second": round(copy),
        "copy_over_per_row_ratio": round(copy / per_row, 1),
    }
    if mqtt_figures:
        figures["mqtt"] = mqtt_figures | {"over_per_row_ratio": round(mqtt_figures["readings_per_second"] / per_row, 1)}
    return figures
