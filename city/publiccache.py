"""The cache of public reads: built under the indicator data version and the public-content token.

What the public sees of reports (the public map, a zone's public page, Open311 ``GET requests``) changes
when a moderator acts or a report is written, not only when indicators are recomputed; so those writes
move a second token on (``bump_public_version``, after their transaction commits) and public pages
are cached under both. Like the data version, the token lives in Redis without expiry; if the cache
is emptied a new token starts and the next pages are simply built afresh.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

from . import dataversion

logger = logging.getLogger(__name__)

PUBLIC_VERSION_KEY = "observatory:public-content-version"
# Entries of old versions linger in Redis at most this long.
PUBLIC_CACHE_SECONDS = 6 * 3600
T = TypeVar("T")


def public_version() -> str:
    version = cache.get(PUBLIC_VERSION_KEY)
    if version is None:
        cache.add(PUBLIC_VERSION_KEY, uuid.uuid4().hex[:16], timeout=None)
        version = cache.get(PUBLIC_VERSION_KEY)
    return version


def _bump() -> None:
    try:
        cache.set(PUBLIC_VERSION_KEY, uuid.uuid4().hex[:16], timeout=None)
    except Exception:  # cache down: the next pages are built afresh once it is back
        logger.warning("could not move the public content version on", exc_info=True)


def bump_public_version() -> None:
    """Public pages must be rebuilt: called by every write that changes what the public sees, after commit."""
    transaction.on_commit(_bump)


def public_cache_key(name: str, parts: tuple) -> str:
    """Where a public read's entry lives: its name, the active language and a digest of the parsed filters. The
    tokens it was built under are stored in the entry itself (see ``cached_public``)."""
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:24]
    return f"public:{name}:{get_language()}:{digest}"


def cached_public(name: str, parts: tuple, build: Callable[[], T], *, timeout: int = PUBLIC_CACHE_SECONDS) -> T:
    """``build()``, cached under both tokens and the active language; ``parts`` are the request's parsed filters.

    A warm read is one round trip to Redis: the entry keeps the two tokens it was built under and is read in the
    same MGET as the current tokens; when either has moved on, it is built again and overwritten. The tokens are
    read before building, so an entry built while a write commits is stored under the old ones and rebuilt."""
    key = public_cache_key(name, parts)
    found = cache.get_many([dataversion.DATA_VERSION_KEY, PUBLIC_VERSION_KEY, key])
    data = found.get(dataversion.DATA_VERSION_KEY) or dataversion.data_version()
    public = found.get(PUBLIC_VERSION_KEY) or public_version()
    entry = found.get(key)
    if entry is not None and entry[0] == data and entry[1] == public:
        return entry[2]
    value = build()
    cache.set(key, (data, public, value), timeout=timeout)
    return value
