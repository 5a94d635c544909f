"""The indicator data version: a token that changes whenever derived data may have changed.

Pages cache derived data under it. The engine moves it on when a recompute commits; the services
that change zones move it on too. Kept in the shared cache (Redis) without expiry; if the cache was
emptied a new token starts, which only means the next pages are built afresh.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache

logger = logging.getLogger(__name__)

DATA_VERSION_KEY = "observatory:indicator-data-version"


def data_version() -> str:
    """The current token (created on first use)."""
    version = cache.get(DATA_VERSION_KEY)
    if version is None:
        cache.add(DATA_VERSION_KEY, uuid.uuid4().hex[:16], timeout=None)
        version = cache.get(DATA_VERSION_KEY)
    return version


def bump_data_version() -> None:
    try:
        cache.set(DATA_VERSION_KEY, uuid.uuid4().hex[:16], timeout=None)
    except Exception:  # cache down: pages fall back to building afresh once it is back (new token)
        logger.warning("could not move the indicator data version on", exc_info=True)
