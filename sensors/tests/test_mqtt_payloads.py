"""What the MQTT subscriber does with each message, driven directly (no broker): the same rules as HTTP.

The subscriber's ``_store`` gets deliveries as paho hands them over; these tests call it with hostile
payloads against the real database and check what was stored, refused and counted.
"""

from __future__ import annotations

import json

import pytest

from sensors.models import Reading
from sensors.mqtt import Delivery, Subscriber
from sensors.partitions import DEFAULT_PARTITION, partitions

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber(monkeypatch) -> Subscriber:
    # The subscriber recycles old connections before each batch; the test's connection holds its transaction.
    monkeypatch.setattr("sensors.mqtt.close_old_connections", lambda: None)
    return Subscriber(host="127.0.0.1", port=1, client_id="test-payloads")


def deliver(subscriber: Subscriber, sensor_id: int, *payloads) -> None:
    batch = [
        Delivery(generation=0, mid=n, qos=1, topic=f"observatory/sensors/{sensor_id}/readings",
                 payload=p if isinstance(p, bytes) else json.dumps(p).encode())
        for n, p in enumerate(payloads)
    ]  # fmt: skip
    subscriber._store(batch)


def reading(observed_at: str, value: float = 1.0) -> dict:
    return {"observed_at": observed_at, "value": value}


def test_a_reading_in_1900_is_refused_and_makes_no_partition(subscriber, west_sensor):
    sensor, token = west_sensor
    deliver(subscriber, sensor.id, {"token": token, "readings": [reading("1900-01-01T00:00:00Z")]})
    assert subscriber.stats["malformed"] == 1
    assert not Reading.objects.exists()
    assert [name for name, _rows in partitions() if name != DEFAULT_PARTITION] == []


@pytest.mark.parametrize(
    "payload",
    [
        b'{"token": "%(token)s", "readings": [], "readings": [{"observed_at": "2026-11-27T22:00:00Z", "value": 1}]}',
        b'{"token": "%(token)s", "readings": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"token": "%(token)s", "observed_at": "2026-11-27T22:00:00Z", "value": NaN}',
        b'{"token": "%(token)s", "observed_at": "2026-11-27T22:00:00Z\\ud800", "value": 1}',
    ],
    ids=["duplicate keys", "50000 deep", "NaN", "lone surrogate"],
)
def test_payloads_go_through_the_one_json_parser(subscriber, west_sensor, payload):
    sensor, token = west_sensor
    deliver(subscriber, sensor.id, payload.replace(b"%(token)s", token.encode()))
    assert subscriber.stats["malformed"] == 1
    assert not Reading.objects.exists()


def test_a_nul_inside_observed_at_is_refused(subscriber, west_sensor):
    sensor, token = west_sensor
    deliver(subscriber, sensor.id, {"token": token, **reading("2026-11-27\x0022:00:00Z")})
    assert subscriber.stats["malformed"] == 1
    assert not Reading.objects.exists()


def test_a_message_contradicting_a_stored_reading_or_an_earlier_message_is_refused_whole(subscriber, west_sensor):
    sensor, token = west_sensor
    deliver(subscriber, sensor.id, {"token": token, **reading("2026-11-27T22:00:00Z", 1.0)})
    deliver(
        subscriber,
        sensor.id,
        {"token": token, "readings": [reading("2026-11-27T22:15:00Z", 2.0), reading("2026-11-27T22:00:00Z", 5.0)]},
        {"token": token, "readings": [reading("2026-11-27T22:30:00Z", 3.0)]},
        {"token": token, "readings": [reading("2026-11-27T22:30:00Z", 4.0), reading("2026-11-27T22:45:00Z", 4.0)]},
        {"token": token, "readings": [reading("2026-11-27T22:00:00Z", 1.0)]},  # a redelivery: harmless
    )
    assert subscriber.stats["refused"] == 2
    assert sorted(Reading.objects.values_list("observed_at__minute", "value")) == [(0, 1.0), (30, 3.0)]
    assert subscriber.stats["messages"] == 3


def test_two_values_for_one_time_within_a_message_refuse_it(subscriber, west_sensor):
    sensor, token = west_sensor
    deliver(
        subscriber,
        sensor.id,
        {"token": token, "readings": [reading("2026-11-27T22:00:00Z", 1.0), reading("2026-11-27T23:00:00+01:00", 2.0)]},
    )
    assert subscriber.stats["malformed"] == 1
    assert not Reading.objects.exists()
