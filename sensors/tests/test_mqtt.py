"""MQTT ingest against a real Mosquitto and the real ``manage.py ingest_mqtt`` process."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point

from sensors import services
from sensors.models import Reading
from sensors.mqtt import sensor_id_of_topic

from .conftest import INSTALLED_ON, Publisher, kind, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
START = dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)


def readings(first: int, count: int) -> list[dict]:
    return [
        {"observed_at": (START + dt.timedelta(minutes=i)).isoformat(), "value": float(i % 500)}
        for i in range(first, first + count)
    ]


def register(external_id: str, lon: float = 7.675):
    return services.sensor_register(
        kind=kind(), location=Point(lon, 45.065, srid=4326), external_id=external_id, installed_on=INSTALLED_ON
    )


def stored(sensor) -> int:
    return Reading.objects.filter(sensor=sensor).count()


def until_subscribed(device: Publisher, sensor, token: str) -> None:
    """Publish the sensor's first reading until it lands: before its first subscription the broker drops messages."""
    for _attempt in range(120):
        device.publish(sensor.id, {"token": token, "readings": readings(0, 1)})
        if wait_for(lambda: stored(sensor) >= 1, timeout=0.5, interval=0.05):
            return
    raise AssertionError("the subscriber never stored a reading")


def test_topic_carries_the_sensor_id():
    assert sensor_id_of_topic("observatory/sensors/42/readings") == 42
    assert sensor_id_of_topic("observatory/sensors/x/readings") is None
    assert sensor_id_of_topic("observatory/sensors/42/other") is None


def test_every_reading_lands_exactly_once_across_a_broker_restart(two_zones, broker, ingest):
    sensor, token = register("MQTT-1")
    ingest.start()
    device = Publisher(broker.port)
    until_subscribed(device, sensor, token)
    per_message, messages = 5, 300
    # First half: batches, a SensorThings dataArray and single readings, with garbage in between.
    for m in range(messages // 2):
        batch = readings(m * per_message, per_message)
        if m % 3 == 0:
            device.publish(sensor.id, {"token": token, "readings": batch})
        elif m % 3 == 1:
            rows = [[r["observed_at"], r["value"]] for r in batch]
            device.publish(sensor.id, {"token": token, "components": ["phenomenonTime", "result"], "dataArray": rows})
        else:
            for reading in batch:
                device.publish(sensor.id, {"token": token, **reading})
        if m == 10:
            device.publish(sensor.id, b"\xff not json")
            device.publish(sensor.id, {"token": "wrong", "readings": readings(0, 1)})
            device.publish(sensor.id, {"token": token, "readings": [{"observed_at": "2026-11-20T10:00", "value": 1}]})
    # Restart the broker while the subscriber is still working through the first half.
    broker.restart()
    device.wait_connected()
    for m in range(messages // 2, messages):
        device.publish(sensor.id, {"token": token, "readings": readings(m * per_message, per_message)})
    expected = messages * per_message
    assert wait_for(lambda: stored(sensor) >= expected, timeout=90), f"stored {stored(sensor)} of {expected}"
    assert ingest.alive(), "the subscriber must survive malformed messages and the restart"
    device.close()
    ingest.stop()
    assert stored(sensor) == expected
    values = sorted(Reading.objects.filter(sensor=sensor).values_list("observed_at", flat=True))
    assert values == [START + dt.timedelta(minutes=i) for i in range(expected)]
    log = ingest.log_path.read_text()
    assert "malformed MQTT message" in log
    assert "refused MQTT message" in log
    assert "'inserted': 1500," in log  # the final statistics line: every reading inserted once


def test_readings_published_while_the_subscriber_is_down_are_kept_by_the_broker(two_zones, broker, ingest):
    sensor, token = register("MQTT-2")
    ingest.start()
    device = Publisher(broker.port)
    until_subscribed(device, sensor, token)
    ingest.stop()
    for m in range(20):
        device.publish(sensor.id, {"token": token, "readings": readings(1 + m * 10, 10)})
    ingest.start()
    assert wait_for(lambda: stored(sensor) == 201, timeout=60), stored(sensor)
    device.close()


def test_a_token_writes_only_to_its_own_sensor_over_mqtt(two_zones, broker, ingest):
    west, _west_token = register("MQTT-W")
    east, east_token = register("MQTT-E", lon=7.685)
    ingest.start()
    device = Publisher(broker.port)
    until_subscribed(device, east, east_token)
    device.publish(west.id, {"token": east_token, "readings": readings(0, 3)})
    device.publish(east.id, {"token": east_token, "readings": readings(0, 2)})
    assert wait_for(lambda: stored(east) == 2)
    assert wait_for(lambda: "refused MQTT message" in ingest.log_path.read_text(), timeout=10)
    device.close()
    ingest.stop()
    assert stored(west) == 0
