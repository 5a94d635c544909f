"""Per-IP submission limits, counted in the shared (Redis) cache so every web process agrees."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from city import clientip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """'10/h' -> (10, 3600); 'off' or '' -> None (no limit)."""
    if not rate or rate.lower() in {"off", "none", "0"}:
        return None
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip().lower()[0]]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(f"OBSERVATORY_REPORT_RATE_LIMIT must look like '10/h', not {rate!r}") from None


def _key(ip: str, window: int) -> str:
    return f"report-rate:{ip}:{window}"


def rate_limit_hit(ip: str | None) -> bool:
    """Count one submission from ``ip``; True when it is over the limit (fixed window)."""
    rate = parse_rate(settings.OBSERVATORY_REPORT_RATE_LIMIT)
    if rate is None or not ip:
        return False
    count, period = rate
    window = int(time.time() // period)
    key = _key(ip, window)
    added = cache.add(key, 1, timeout=period + 5)
    current = 1 if added else cache.incr(key)
    return current > count


def rate_limit_retry_after() -> int:
    """Seconds until the current window ends and a refused sender may submit again (for Retry-After)."""
    rate = parse_rate(settings.OBSERVATORY_REPORT_RATE_LIMIT) or (1, 1)
    period = rate[1]
    return max(1, period - int(time.time()) % period)


def rate_limit_reset(ip: str) -> None:
    """Forget the current window's count for an IP (tests; staff unblocking someone)."""
    rate = parse_rate(settings.OBSERVATORY_REPORT_RATE_LIMIT) or (1, 3600)
    window = int(time.time() // rate[1])
    cache.delete_many([_key(ip, window), _key(ip, window - 1)])


# The one reading of the client's address, behind the trusted proxies too (city/clientip.py); imported
# from here by the citizen channel's views.
client_ip = clientip.client_ip
