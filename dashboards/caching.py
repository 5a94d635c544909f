"""The dashboards' one cache policy: derived data is cached under the indicator data version.

A recompute, an alert acknowledgement or a zone change moves the version on (city.dataversion), so
cached pages are fresh the moment the data is; the timeouts only bound how long entries of old
versions linger in Redis. Live counts (backlog, open alerts) are never cached beyond
``LIVE_CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.utils.translation import get_language

from city import dataversion

# Derived data cached under the indicator data version (a recompute moves it on); the timeout only
# bounds how long entries of old versions linger in Redis.
DATA_CACHE_SECONDS = 6 * 3600
# A zone page's sensors, projects, alerts and hot-spot status: read afresh at most this often (and
# at once after a recompute or an acknowledgement, which move the data version on).
LIVE_CACHE_SECONDS = 15
T = TypeVar("T")


def cached_by_data(name: str, parts: tuple, build: Callable[[], T], *, timeout: int = DATA_CACHE_SECONDS) -> T:
    """``build()``, cached under the indicator data version: fresh after every recompute, shared by workers.

    Only derived data read from the indicator tables (and the reports a recompute was marked for)
    goes here; live counts (backlog, alerts) and anything a person just changed are read each time.
    """
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:24]
    key = f"dashboard:{name}:{dataversion.data_version()}:{get_language()}:{digest}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=timeout)
    return value


def fragment_key(name: str, parts: tuple) -> str:
    """A key for a template fragment ({% cache %}) built only from derived data: moves with the data version."""
    raw = repr((name, dataversion.data_version(), get_language(), parts))
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
