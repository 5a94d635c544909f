"""Open311 POST is limited per client address and per API key; a refused client is told when to come back."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from open311.models import ApiKey

pytestmark = pytest.mark.django_db
URL = "/open311/v2/requests.json"


def new_key(name: str) -> str:
    key = ApiKey(name=name)
    secret = key.set_new_key()
    key.save()
    return secret


def body(api_key: str) -> dict:
    return {"api_key": api_key, "service_code": "broken-street-light", "lat": "45.065", "long": "7.675",
            "attribute[perceived_safety]": "2", "description": "Lampione spento"}  # fmt: skip


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"open311_key": "2/hour", "open311_ip": "3/hour"},
    }


def test_a_key_over_its_limit_gets_429_with_retry_after_from_any_address(rates, two_zones, category):
    key = new_key("city-app")
    answers = [Client(REMOTE_ADDR=f"192.0.2.{n}").post(URL, body(key)).status_code for n in (1, 2, 3)]
    assert answers == [200, 200, 429]
    refused = Client(REMOTE_ADDR="192.0.2.4").post(URL, body(key))
    assert refused.status_code == 429
    assert 3500 <= int(refused["Retry-After"]) <= 3600
    assert json.loads(refused.content)[0]["code"] == 429
    # Another client's key is counted apart.
    assert Client(REMOTE_ADDR="192.0.2.5").post(URL, body(new_key("other-app"))).status_code == 200


def test_an_address_over_its_limit_is_refused_whatever_key_it_sends(rates, two_zones, category):
    client = Client(REMOTE_ADDR="198.51.100.9")
    answers = [client.post(URL, body(new_key(f"k{n}"))).status_code for n in range(3)]
    guessed = client.post(URL, body("not-a-key"))  # key guessing is counted as well, before the key is checked
    assert answers == [200, 200, 200] and guessed.status_code == 429 and int(guessed["Retry-After"]) > 0


def test_reading_is_not_limited(rates, db):
    client = Client(REMOTE_ADDR="198.51.100.10")
    assert {client.get("/open311/v2/services.json").status_code for _ in range(5)} == {200}


def test_off_switches_a_limit_off(settings, two_zones, category):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"open311_key": "off", "open311_ip": "off"},
    }
    key = new_key("bulk-import")
    client = Client(REMOTE_ADDR="198.51.100.11")
    assert {client.post(URL, body(key)).status_code for _ in range(4)} == {200}
