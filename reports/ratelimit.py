"""Per-address submission limits, kept in Redis so every web process agrees.

Only what is really sent counts: a report, an audit or an abuse flag that was saved. A form that comes back
with errors, or the possible-duplicates step, costs nothing, so a citizen who makes mistakes still gets their
report through. The limit is a token bucket (GCRA): ``OBSERVATORY_REPORT_RATE_LIMIT`` ("20/h") is the
sustained rate and ``OBSERVATORY_REPORT_RATE_BURST`` how many of those may go at once (at most the rate's
count; empty: all of them). Over the limit, the caller learns how many seconds to wait.
"""

from __future__ import annotations

import math
from functools import cache

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from city import clientip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
KEY_PREFIX = "observatory:report-rate:"

# KEYS[1]: the address's key. ARGV: emission interval (ms), burst tolerance (ms), mode (check, take, refund).
# The key holds the theoretical arrival time (TAT, ms on Redis's clock): a submission is allowed while
# TAT - now <= tolerance; taking one moves TAT on by one interval, a refund moves it back. Returns the
# milliseconds to wait (0: allowed).
GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
if ARGV[3] == 'refund' then
  local back = tat - interval
  if back <= now then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], back, 'PX', back - now) end
  return 0
end
local wait = tat - tolerance - now
if wait > 0 then return wait end
if ARGV[3] == 'take' then
  redis.call('SET', KEYS[1], tat + interval, 'PX', tat + interval - now)
end
return 0
"""


def parse_rate(rate: str) -> tuple[int, int] | None:
    """'20/h' -> (20, 3600); 'off' or '' -> None (no limit)."""
    if not rate or rate.lower() in {"off", "none", "0"}:
        return None
    try:
        count, period = rate.split("/")
        parsed = int(count), PERIODS[period.strip().lower()[0]]
    except (ValueError, KeyError, IndexError):
        parsed = None
    if parsed is None or parsed[0] < 1:
        raise ImproperlyConfigured(f"OBSERVATORY_REPORT_RATE_LIMIT must look like '20/h', not {rate!r}")
    return parsed


def parse_burst(burst: str, count: int) -> int:
    """How many submissions may go at once: the setting, at most ``count`` (the rate's own per period), or
    ``count`` when it is empty."""
    if not str(burst).strip():
        return count
    try:
        value = int(burst)
    except ValueError:
        value = 0
    if value < 1:
        raise ImproperlyConfigured(f"OBSERVATORY_REPORT_RATE_BURST must be a whole number from 1, not {burst!r}")
    return min(value, count)


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def _run(ip: str | None, mode: str) -> int:
    rate = parse_rate(settings.OBSERVATORY_REPORT_RATE_LIMIT)
    if rate is None or not ip:
        return 0
    count, period = rate
    burst = parse_burst(settings.OBSERVATORY_REPORT_RATE_BURST, count)
    interval_ms = max(1, round(period * 1000 / count))
    client = _client(settings.REDIS_URL)
    return int(client.eval(GCRA, 1, KEY_PREFIX + ip, interval_ms, interval_ms * (burst - 1), mode))


def rate_limit_take(ip: str | None) -> int:
    """Count one submission from ``ip`` if the limit allows it: 0 when counted, otherwise the whole seconds
    to wait before the next one is allowed (nothing counted)."""
    wait_ms = _run(ip, "take")
    return math.ceil(wait_ms / 1000) if wait_ms else 0


def rate_limit_refund(ip: str | None) -> None:
    """Give back a submission counted by rate_limit_take that was not saved after all (refused by a check)."""
    _run(ip, "refund")


def rate_limit_wait(ip: str | None) -> int:
    """The seconds ``ip`` must wait before its next submission is allowed (0: now), counting nothing."""
    wait_ms = _run(ip, "check")
    return math.ceil(wait_ms / 1000) if wait_ms else 0


def rate_limit_reset(ip: str) -> None:
    """Forget an address's count (tests; staff unblocking someone)."""
    _client(settings.REDIS_URL).delete(KEY_PREFIX + ip)


# The one reading of the client's address, behind the trusted proxies too (city/clientip.py); imported
# from here by the citizen channel's views.
client_ip = clientip.client_ip
