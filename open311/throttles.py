"""Open311 POST limits: per API key and per client address, with DRF's throttles (counted in the Redis cache).

The per-address limit is checked first, before the key is looked up, so guessing keys is limited too; the
per-key limit counts a client's requests from all its addresses. Rates are DRF's "N/second|minute|hour|day"
from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``OPEN311_RATE_LIMIT_PER_KEY``, ``..._PER_IP``); "off"
switches one off.
"""

from __future__ import annotations

import math

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from city.clientip import client_ip


class _Open311Throttle(SimpleRateThrottle):
    def __init__(self, ident: str):
        self.ident = ident
        super().__init__()

    def get_rate(self):
        # Read at each request, not at import, so a changed setting (and a test's override) applies.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if not rate or rate.lower() == "off" else rate

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident} if self.ident else None


class Open311AddressThrottle(_Open311Throttle):
    scope = "open311_ip"


class Open311KeyThrottle(_Open311Throttle):
    scope = "open311_key"


def _wait(throttle: _Open311Throttle, request) -> int | None:
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def address_retry_after(request) -> int | None:
    """Count one POST from the client's address; the seconds to wait when it is over its limit, else None."""
    return _wait(Open311AddressThrottle(client_ip(request) or ""), request)


def key_retry_after(request, key_id: int) -> int | None:
    """Count one POST with the API key ``key_id``; the seconds to wait when it is over its limit, else None."""
    return _wait(Open311KeyThrottle(str(key_id)), request)
