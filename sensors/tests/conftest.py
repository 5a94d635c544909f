"""Fixtures of the sensors tests: kinds and sensors made through the product's own services."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point

from sensors import services
from sensors.models import IndicatorMetric, SensorKind
from tests import processes


def kind(code: str = "illuminance", **fields) -> SensorKind:
    # get_or_create: the data migration seeds these, but transactional tests flush them.
    defaults = {
        "name_it": "Illuminamento",
        "name_en": "Illuminance",
        "observed_property": "illuminance",
        "unit": "lx",
        "valid_min": 0.0,
        "valid_max": 200_000.0,
        "expected_interval_seconds": 900,
        "indicator_metric": IndicatorMetric.ILLUMINANCE,
    } | fields
    return SensorKind.objects.get_or_create(code=code, defaults=defaults)[0]


@pytest.fixture
def lux(db) -> SensorKind:
    return kind()


@pytest.fixture
def noise(db) -> SensorKind:
    return kind(
        "noise", name_it="Rumore", name_en="Noise", observed_property="LAeq", unit="dB(A)", valid_max=140.0,
        indicator_metric=IndicatorMetric.NOISE,
    )  # fmt: skip


# The sensors of the tests were installed before the oldest readings the tests send (2019).
INSTALLED_ON = dt.date(2019, 1, 1)


@pytest.fixture
def west_sensor(two_zones, lux):
    """(sensor, token) of a light sensor inside the western zone."""
    return services.sensor_register(
        kind=lux, location=Point(7.675, 45.065, srid=4326), external_id="LUX-W", installed_on=INSTALLED_ON
    )


@pytest.fixture
def east_sensor(two_zones, lux):
    return services.sensor_register(
        kind=lux, location=Point(7.685, 45.065, srid=4326), external_id="LUX-E", installed_on=INSTALLED_ON
    )


# --- a Mosquitto broker and the ingest_mqtt subscriber, as real processes -------------------------------

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
OUTPUT_DIR = Path(settings.BASE_DIR) / "test-output"


free_port = processes.free_port


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 20) -> None:
    if not processes.wait_for_port(port, process, timeout=timeout, poll=0.05):
        raise RuntimeError(f"{what} did not start")


class Broker:
    """Our own Mosquitto on a free port, with persistence in a temporary directory; restartable."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {directory}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 0\n"
            "user root\n"
            f"log_dest file {directory}/mosquitto.log\n"
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)  # fmt: skip
        wait_for_port(self.port, self.process, "mosquitto")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Mosquitto saves its persistence file on the way out
            self.process.wait(timeout=15)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def broker(tmp_path) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        pytest.fail("mosquitto is not installed; ./dev test installs it")
    broker = Broker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgis://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class IngestProcess:
    """``manage.py ingest_mqtt`` as a subprocess against the test database and our broker."""

    def __init__(self, broker: Broker, name: str = "ingest-mqtt"):
        self.broker = broker
        self.log_path = OUTPUT_DIR / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        OUTPUT_DIR.mkdir(exist_ok=True)
        env = dict(os.environ, DATABASE_URL=database_url(), PYTHONUNBUFFERED="1", MQTT_HOST="127.0.0.1")
        env.update(MQTT_PORT=str(self.broker.port), MQTT_CLIENT_ID="observatory-ingest-test")
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "ingest_mqtt", "--flush-ms", "50"],
            cwd=settings.BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()
        self.process = None


@pytest.fixture
def ingest(broker) -> Iterator[IngestProcess]:
    process = IngestProcess(broker)
    OUTPUT_DIR.mkdir(exist_ok=True)  # a fresh clone has no test-output/ yet
    process.log_path.write_text("")
    yield process
    process.stop()


class Publisher:
    """A device: a paho client publishing with QoS 1 and waiting for the broker's PUBACK."""

    def __init__(self, port: int, client_id: str = "test-device"):
        import paho.mqtt.client as mqtt

        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.wait_connected()

    def wait_connected(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.client.is_connected():
            if time.monotonic() > deadline:
                raise RuntimeError("the publisher could not connect")
            time.sleep(0.05)

    def publish(self, sensor_id: int, payload: dict | bytes) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(f"observatory/sensors/{sensor_id}/readings", body, qos=1)
        info.wait_for_publish(timeout=10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_for(condition, timeout: float = 60, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
