"""Load generator for the officers' dashboards: real gunicorn, real HTTP, server-side timings.

``dashboard_load`` starts gunicorn with the project's ``gunicorn.conf.py`` (the command the Procfile
and docker-compose run) against the current database, signs an officer in through a real session,
and measures each page in two ways:

- cold: the cache is emptied, then each of a set of distinct filter URLs (every slot and period) is
  requested once; every one of those requests builds its page from the database;
- warm: ``concurrency`` keep-alive clients request the page as fast as they are answered for
  ``seconds``; throughput is requests answered per second.

Latencies are the server's own (gunicorn's access log, microseconds from request read to response
written), so the client's Python overhead on the same two cores is not counted as the server's;
the clients' view (connect excluded, keep-alive) is reported beside it.
"""

from __future__ import annotations

import http.client
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.cache import cache
from django.urls import reverse

from city import nightslots
from city.models import Zone
from dashboards.filters import PERIODS

DEFAULT_SECONDS = 20
DEFAULT_CONCURRENCY = 8
ACCESS_LOG_FORMAT = "%(U)s%(q)s %(s)s %(D)s"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(
    access_log: Path, *, env: dict[str, str] | None = None, code_dir: Path | None = None
) -> Iterator[tuple[str, int]]:
    """The observatory under gunicorn (project config) on a free port; yields (host, port). ``code_dir`` runs
    another checkout of the project (an earlier commit, for a before/after pair) against the same database."""
    port = _free_port()
    process_env = {**os.environ, **(env or {}), "WEB_BIND": f"127.0.0.1:{port}", "DJANGO_DEBUG": "0"}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn, no shell
        [sys.executable, "-m", "gunicorn", "observatory.wsgi:application", "--config", "gunicorn.conf.py",
         "--access-logfile", str(access_log), "--access-logformat", ACCESS_LOG_FORMAT],
        cwd=code_dir or settings.BASE_DIR, env=process_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def officer_session_cookie(username: str = "bench-officer") -> str:
    """A real database session for an officer, as the login view would create; the cookie header value."""
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    user, _created = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name="officer"))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.LANGUAGE_COOKIE_NAME}=it"


def _get(connection: http.client.HTTPConnection, path: str, cookie: str) -> int:
    """GET on a keep-alive connection; once more on a new one if the server closed the idle one."""
    for attempt in (1, 2):
        try:
            connection.request("GET", path, headers={"Cookie": cookie, "Host": "localhost"})
            response = connection.getresponse()
            response.read()
            return response.status
        except (http.client.RemoteDisconnected, ConnectionError):
            connection.close()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _server_times(access_log: Path) -> list[tuple[str, int, float]]:
    """(path with query, status, milliseconds) per request, from gunicorn's access log."""
    out = []
    for line in access_log.read_text().splitlines():
        parts = line.rsplit(" ", 2)
        if len(parts) == 3 and parts[2].isdigit():
            out.append((parts[0], int(parts[1]), int(parts[2]) / 1000))
    return out


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    p50, p95, p99 = np.percentile(np.array(values), [50, 95, 99])
    return {"p50_ms": round(float(p50), 1), "p95_ms": round(float(p95), 1), "p99_ms": round(float(p99), 1)}


def filter_variants(path: str) -> list[str]:
    """The page under every slot and period: the distinct views an officer's morning opens."""
    periods = [p for p in PERIODS if p != "custom"]
    combinations = itertools.product(nightslots.slot_codes(), periods)
    return [f"{path}?{urlencode({'slot': slot, 'period': period})}" for slot, period in combinations]


def _hammer(host: str, port: int, paths: list[str], cookie: str, seconds: float, concurrency: int) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        mine, bad = [], []
        cycle = itertools.cycle(paths[number % len(paths) :] + paths[: number % len(paths)])
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status = _get(connection, next(cycle), cookie)
            mine.append((time.perf_counter() - started) * 1000)
            if status != 200:
                bad.append(status)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "seconds": round(elapsed, 2), "errors": len(errors), "latencies": latencies}


def dashboard_load(
    *, seconds: float = DEFAULT_SECONDS, concurrency: int = DEFAULT_CONCURRENCY, env: dict[str, str] | None = None
) -> dict:
    """Cold and warm figures for the city overview and a zone page, through gunicorn."""
    zone = Zone.objects.order_by("id").values_list("code", flat=True).first()
    if zone is None:
        raise RuntimeError("the load test needs zones: seed the database first")
    pages = {"overview": reverse("dashboard"), "zone": reverse("dashboard-zone", args=[zone])}
    cookie = officer_session_cookie()
    out: dict = {"concurrency": concurrency, "seconds_per_page": seconds, "gunicorn": _gunicorn_shape(env)}
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "access.log"
        with gunicorn(log, env=env) as (host, port):
            connection = http.client.HTTPConnection(host, port, timeout=60)
            for path in pages.values():  # each worker imports and loads templates: not the cache's part
                for _i in range(6):
                    _get(connection, path, cookie)
            for name, path in pages.items():
                variants = filter_variants(path)
                cache.clear()
                mark = len(_server_times(log))
                statuses = [_get(connection, variant, cookie) for variant in variants]
                cold = [ms for _p, _s, ms in _server_times(log)[mark:]]
                mark = len(_server_times(log))
                load = _hammer(host, port, variants, cookie, seconds, concurrency)
                warm = [ms for _p, status, ms in _server_times(log)[mark:] if status == 200]
                out[name] = {
                    "path": path,
                    "cold_requests": len(variants),
                    "cold_errors": sum(1 for s in statuses if s != 200),
                    "cold_server": _percentiles(cold),
                    "warm_requests": load["requests"],
                    "warm_errors": load["errors"],
                    "warm_requests_per_second": round(load["requests"] / load["seconds"], 1),
                    "warm_server": _percentiles(warm),
                    "warm_client": _percentiles(load["latencies"]),
                }
            connection.close()
    return out


def public_pages(*, before: bool = False) -> dict[str, list[str]]:
    """The public reads issue 15 asks to be fast, each with the variants people's filters make: the public map's
    data (every slot x status), a zone's public page (a few zones) and Open311 ``GET requests`` (open, closed,
    both). ``before``: the same reads as the tree before the public map's clusters existed had them (the
    unclustered GeoJSON and no public zone page)."""
    zones = list(Zone.objects.order_by("id").values_list("code", flat=True)[:6])
    if not zones:
        raise RuntimeError("the load test needs zones: seed the database first")
    statuses = ["", "open", "closed"]
    pages: dict[str, list[str]] = {
        "open311_requests": [
            "/open311/v2/requests.json" + (f"?{urlencode({'status': s})}" if s else "") for s in statuses
        ],
    }
    if before:
        pages["public_map_data"] = ["/map/reports.geojson"]
    else:
        pages["public_map_data"] = [
            f"/map/clusters.geojson?{urlencode({'zoom': 13, 'slot': slot, 'status': status})}"
            for slot in ["", *nightslots.slot_codes()]
            for status in statuses
        ]
        pages["public_zone"] = [f"/map/zones/{code}/" for code in zones]
    return pages


def queries_per_request(paths: list[str], cookie: str) -> dict:
    """SQL statements per request for each path, in this process through Django's test client (they do not
    depend on the machine's load): the first request after the cache is emptied (cold) and the next (warm)."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_COOKIE=cookie)
    cold, warm = [], []
    for path in paths:
        for bucket in (cold, warm):
            if bucket is cold:
                cache.clear()
            statements: list[str] = []

            def count(execute, sql, params, many, context, statements=statements):
                statements.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                status = client.get(path).status_code
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            bucket.append(len(statements))
    return {"cold_max": max(cold), "cold_median": int(np.median(cold)), "warm_max": max(warm)}


def public_load(
    *,
    seconds: float = DEFAULT_SECONDS,
    concurrency: int = DEFAULT_CONCURRENCY,
    env: dict[str, str] | None = None,
    code_dir: Path | None = None,
    before: bool = False,
) -> dict:
    """Cold and warm figures for the public reads (anonymous, Italian), through gunicorn, as dashboard_load."""
    pages = public_pages(before=before)
    cookie = f"{settings.LANGUAGE_COOKIE_NAME}=it"
    out: dict = {"concurrency": concurrency, "seconds_per_page": seconds, "gunicorn": _gunicorn_shape(env)}
    # Counted in this process, so with this checkout's code (not --code-dir's).
    queries = {name: queries_per_request(variants, cookie) for name, variants in pages.items()}
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "access.log"
        with gunicorn(log, env=env, code_dir=code_dir) as (host, port):
            connection = http.client.HTTPConnection(host, port, timeout=120)
            for variants in pages.values():  # each worker imports and loads templates: not the cache's part
                for _i in range(6):
                    _get(connection, variants[0], cookie)
            for name, variants in pages.items():
                cache.clear()
                mark = len(_server_times(log))
                statuses = [_get(connection, variant, cookie) for variant in variants]
                cold = [ms for _p, _s, ms in _server_times(log)[mark:]]
                mark = len(_server_times(log))
                load = _hammer(host, port, variants, cookie, seconds, concurrency)
                warm = [ms for _p, status, ms in _server_times(log)[mark:] if status == 200]
                out[name] = {
                    "paths": variants,
                    "queries_per_request": queries[name],
                    "cold_requests": len(variants),
                    "cold_errors": sum(1 for s in statuses if s != 200),
                    "cold_server": _percentiles(cold),
                    "warm_requests": load["requests"],
                    "warm_errors": load["errors"],
                    "warm_requests_per_second": round(load["requests"] / load["seconds"], 1),
                    "warm_server": _percentiles(warm),
                    "warm_client": _percentiles(load["latencies"]),
                }
            connection.close()
    return out


def _gunicorn_shape(env: dict[str, str] | None) -> dict:
    merged = {**os.environ, **(env or {})}
    return {"workers": int(merged.get("WEB_WORKERS", "3")), "threads": int(merged.get("WEB_THREADS", "2"))}
