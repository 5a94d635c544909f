"""Benchmark of the observatory on a synthetic city, in a database of its own.

``bench_run`` creates the bench database (``<main>_bench`` by default), migrates it and runs
``bench_inside`` in a fresh ``manage.py`` process pointed at it, so the main database is never
touched. ``bench_inside`` seeds the city, times the full indicator recompute against the floor of a
plain GROUP BY over the same rows, and posts the citizen form through Django's test client.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
import urllib.parse
import zlib
from typing import TextIO

import numpy as np
import psycopg2
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from psycopg2 import sql

from city import nightslots, stale
from city.models import Zone
from indicators import alerts, engine, hotspots
from reports.models import Category, Report

from .bench_cases import cases_bench
from .bench_grants import grants_bench
from .bench_reports import reports_bench
from .bench_sensors import sensors_bench
from .loadgen import dashboard_load, public_load
from .seed import demo_seed

# The bench's Celery queue and cache live in a Redis database of their own, emptied afterwards.
BENCH_REDIS_DB = 14
DEFAULT_SUBMITS = 500
DEFAULT_LOAD_SECONDS = 20.0
GROUP_BY_FLOOR_SQL = "SELECT zone_id, night, slot, count(*) FROM reports_report GROUP BY 1, 2, 3"
DATABASE_NAME = re.compile(r"^[A-Za-z0-9_]{1,63}$")


def bench_database_name(database: str | None = None) -> str:
    """The bench database: the given name, or ``<main database>_bench``.

    The bench empties and then drops its database, so the name must say "bench": a typo, or a
    settings name rewritten by a test runner, can never point it at a database that holds real data.
    """
    main = settings.DATABASES["default"]["NAME"]
    name = database or f"{main}_bench"
    if not DATABASE_NAME.match(name):
        raise ValueError(f"{name!r} is not a plain database name (letters, digits, underscores)")
    if "bench" not in name.lower() or name == main:
        raise ValueError(f"refusing to benchmark in {name!r}: the bench drops its database, so its name must say bench")
    return name


def bench_run(
    *,
    scale: str,
    seed: int,
    submits: int = DEFAULT_SUBMITS,
    database: str | None = None,
    keep: bool = False,
    load_seconds: float = DEFAULT_LOAD_SECONDS,
    log: TextIO | None = None,
) -> dict:
    """Seed ``scale`` into the bench database in a subprocess and return its figures."""
    name = bench_database_name(database)
    redis_url = _bench_redis_url()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(name),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        # The bench posts hundreds of reports from one address: the per-IP limit would refuse them.
        "OBSERVATORY_REPORT_RATE_LIMIT": "off",
        # ... and so would Open311's limits per key and per address (600 and 60 an hour by default).
        "OPEN311_RATE_LIMIT_PER_KEY": "1000000/hour",
        "OPEN311_RATE_LIMIT_PER_IP": "1000000/hour",
    }
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    _say(log, f"bench: database {name!r} ({'kept' if keep else 'dropped'} afterwards), Redis {redis_url}")
    _create_database(name)
    try:
        _say(log, "bench: migrating")
        _run([*manage, "migrate", "--noinput", "-v", "0"], env=env)
        _say(log, f"bench: seeding {scale!r} and timing")
        output = _run(
            [
                *manage,
                "bench",
                "--inside",
                "--scale",
                scale,
                "--seed",
                str(seed),
                "--submits",
                str(submits),
                "--load-seconds",
                str(load_seconds),
            ],
            env=env,
            stream_stderr=True,
        )
        return json.loads(output.strip().splitlines()[-1])
    finally:
        _purge_redis(redis_url)
        if not keep:
            _drop_database(name)


def bench_inside(
    *,
    scale: str,
    seed: int,
    submits: int = DEFAULT_SUBMITS,
    load_seconds: float = DEFAULT_LOAD_SECONDS,
    log: TextIO | None = None,
) -> dict:
    """The timed work, run against the current database (the bench's, when called by bench_run)."""
    started = time.perf_counter()
    summary = demo_seed(scale=scale, seed=seed, stdout=log)
    seed_seconds = time.perf_counter() - started
    # A city's tables have been vacuumed by autovacuum long before anyone measures them; a freshly
    # seeded one not yet. Vacuum once (not timed) so the figures are those of a running system.
    with connection.cursor() as cursor:
        for table in ("reports_report", "reports_safetyaudit", "observatory_indicator", "sensors_reading"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")

    started = time.perf_counter()
    engine.recompute_all()
    recompute_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(GROUP_BY_FLOOR_SQL)
        cursor.fetchall()
        floor_seconds = time.perf_counter() - started
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]

    # The indicator engine also reads the sensor readings: their plain GROUP BY is part of its floor.
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("SELECT zone_id, night, slot, count(*) FROM sensors_reading GROUP BY 1, 2, 3")
        cursor.fetchall()
        readings_floor_seconds = time.perf_counter() - started
    engine_floor = floor_seconds + readings_floor_seconds

    _say(log, "bench: incremental recompute after 1,000 new reports spread over the city")
    incremental = incremental_recompute(count=INCREMENTAL_REPORTS, seed=seed)
    _say(log, "bench: hot spots and alerts")
    statistics_seconds = time_statistics()

    _say(log, f"bench: posting the citizen form {submits} times")
    submit_seconds, latencies = form_submits(count=submits, seed=seed)
    p50, p95, p99 = np.percentile(np.array(latencies) * 1000, [50, 95, 99]) if latencies else (0.0, 0.0, 0.0)
    sensor_figures = sensors_bench(scale=scale, log=log)
    reports_figures = reports_bench(seed=seed, submits=submits, log=log)
    _say(log, "bench: officers' dashboard pages through the test client")
    dashboard_figures = dashboard_latencies()
    _say(log, f"bench: officers' pages under load through gunicorn ({load_seconds:g} s per page)")
    dashboard_load_figures = dashboard_load(seconds=load_seconds)
    _say(log, f"bench: public reads under load through gunicorn ({load_seconds:g} s per read)")
    public_load_figures = public_load(seconds=load_seconds)
    grants_figures = grants_bench(scale=scale, log=log)
    cases_figures = cases_bench(scale=scale, log=log)  # last: it routes more reports into cases
    return {
        "scale": scale,
        "seed": seed,
        "zones": summary.zones,
        "reports": summary.reports,
        "indicators": summary.counts.get("indicators", 0),
        "seed_seconds": round(seed_seconds, 3),
        "seed_steps_seconds": {step: round(s, 3) for step, s in summary.step_seconds.items()},
        "form_submits": submits,
        "form_submits_per_second": round(submits / submit_seconds, 1) if submit_seconds else None,
        "form_submit_latency_ms": {"p50": round(p50, 2), "p95": round(p95, 2), "p99": round(p99, 2)},
        "full_recompute_seconds": round(recompute_seconds, 3),
        "group_by_floor_seconds": round(floor_seconds, 3),
        "recompute_over_floor_ratio": round(recompute_seconds / floor_seconds, 2) if floor_seconds else None,
        "indicator_rows": indicator_rows(),
        "readings_group_by_floor_seconds": round(readings_floor_seconds, 3),
        "recompute_over_reports_and_readings_floor_ratio": round(recompute_seconds / engine_floor, 2),
        "incremental_reports": incremental["reports"],
        "incremental_zone_nights": incremental["zone_nights"],
        "incremental_commit_to_fresh_seconds": incremental["seconds"],
        "incremental_over_floor_ratio": round(incremental["seconds"] / engine_floor, 2),
        "hotspots_seconds": statistics_seconds["hotspots"],
        "alerts_seconds": statistics_seconds["alerts"],
        "sensors": sensor_figures,
        "reports_channel": reports_figures,
        "dashboard": dashboard_figures,
        "dashboard_load": dashboard_load_figures,
        "public_load": public_load_figures,
        "grants": grants_figures,
        "cases": cases_figures,
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "python": platform.python_version(),
            "postgres": postgres,
        },
    }


INCREMENTAL_REPORTS = 1_000


def indicator_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM observatory_indicator")
        return cursor.fetchone()[0]


def incremental_recompute(*, count: int, seed: int) -> dict:
    """Commit ``count`` reports spread over every zone and the last three nights, with their stale
    markers (one transaction, as report_submit would, set-based), then time ``recompute_stale``:
    the seconds from that commit to fresh indicators, stale markers claimed and cleared."""
    rng = np.random.default_rng([seed, zlib.crc32(b"bench-incremental")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM observatory_zone ORDER BY id")
        zone_ids = np.array([r[0] for r in cursor.fetchall()], dtype=np.int64)
    category_ids = list(Category.objects.filter(active=True).order_by("id").values_list("id", flat=True))
    zones = zone_ids[rng.integers(0, len(zone_ids), size=count)]
    minutes_ago = rng.integers(30, 3 * 24 * 60, size=count)
    safety = rng.integers(1, 5, size=count)
    categories = np.array(category_ids)[rng.integers(0, len(category_ids), size=count)]
    codes = [f"BENCH{i:07d}" for i in range(count)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH staged AS (
                SELECT t.*, now() - t.minutes * interval '1 minute' AS occurred_at,
                       (SELECT ST_PointOnSurface(z.geom) FROM observatory_zone z WHERE z.id = t.zone_id) AS location
                FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::bigint[], %s::text[])
                     AS t(zone_id, minutes, safety, category_id, code)
            )
            INSERT INTO reports_report (tracking_code, category_id, location, perceived_safety, occurred_at,
                                        description, zone_id, night, slot, status, source, created_at)
            SELECT code, category_id, location, safety, occurred_at, '', zone_id,
                   {nightslots.sql_night_of("occurred_at")}, {nightslots.sql_slot_of("occurred_at")},
                   %s, %s, now()
            FROM staged
            RETURNING zone_id, night
            """,
            [zones.tolist(), minutes_ago.tolist(), safety.tolist(), categories.tolist(), codes,
             Report.Status.SUBMITTED, Report.Source.DEMO],
        )  # fmt: skip
        pairs = cursor.fetchall()
        stale.mark_stale(pairs)
    started = time.perf_counter()
    engine.recompute_stale()
    seconds = time.perf_counter() - started
    return {"reports": count, "zone_nights": len(set(pairs)), "seconds": round(seconds, 3)}


def time_statistics() -> dict:
    started = time.perf_counter()
    hotspots.compute_hotspots()
    middle = time.perf_counter()
    alerts.compute_alerts()
    return {"hotspots": round(middle - started, 3), "alerts": round(time.perf_counter() - middle, 3)}


def form_submits(*, count: int, seed: int) -> tuple[float, list[float]]:
    """POST the citizen form ``count`` times (in-process, real view and database); (total s, latencies s).

    Each report is placed on a zone's ST_PointOnSurface and has a description (some categories
    require one), so every submission is valid and saved. Each comes from its own address, as
    citizens' do, so the per-address rate limit counts but never refuses.
    """
    rng = np.random.default_rng([seed, zlib.crc32(b"bench-form-submits")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM observatory_zone) t")
        points = cursor.fetchall()
    category_ids = list(Category.objects.filter(active=True).order_by("id").values_list("id", flat=True))
    if not points or not category_ids:
        raise RuntimeError("the bench needs zones and categories to post the form")
    client = Client()
    url = reverse("reports:new")
    now = timezone.localtime()
    latencies = []
    started = time.perf_counter()
    for number in range(count):
        lon, lat = points[rng.integers(len(points))]
        occurred_at = now - dt.timedelta(minutes=int(rng.integers(10, 3 * 24 * 60)))
        data = {
            "category": category_ids[rng.integers(len(category_ids))],
            "perceived_safety": int(rng.integers(1, 5)),
            "latitude": repr(lat),
            "longitude": repr(lon),
            "occurred_at": occurred_at.strftime("%Y-%m-%dT%H:%M"),
            "description": "Segnalazione di prova del benchmark.",
        }
        address = f"10.{number // 65_536 % 256}.{number // 256 % 256}.{number % 256}"
        request_started = time.perf_counter()
        response = client.post(url, data, REMOTE_ADDR=address)
        latencies.append(time.perf_counter() - request_started)
        if response.status_code != 302:
            raise RuntimeError(f"the form answered {response.status_code} to {data}")
    return time.perf_counter() - started, latencies


# --- the bench database and its Redis ---------------------------------------------------------------


def _admin_connection(dbname: str):
    main = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname=dbname,
        user=main.get("USER") or None,
        password=main.get("PASSWORD") or None,
        host=main.get("HOST") or None,
        port=main.get("PORT") or None,
        connect_timeout=5,
    )
    conn.autocommit = True
    return conn


def _create_database(name: str) -> None:
    """A new, empty bench database. One an earlier run kept (``--keep``) is dropped first: the seed replaces the
    demo's rows but not what the bench itself added (its API key, its cases, its applicants), so a run on a
    kept database would neither start where a fresh one does nor finish."""
    _drop_database(name)
    conn = _admin_connection("postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    conn = _admin_connection(name)
    try:
        with conn.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    finally:
        conn.close()


def _drop_database(name: str) -> None:
    conn = _admin_connection("postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        conn.close()


def _database_url(name: str) -> str:
    main = settings.DATABASES["default"]
    auth = urllib.parse.quote(main.get("USER") or "", safe="")
    if main.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(main["PASSWORD"], safe="")
    host = main.get("HOST") or ""
    port = f":{main['PORT']}" if main.get("PORT") else ""
    return f"postgis://{auth}@{host}{port}/{name}"


def _bench_redis_url() -> str:
    parts = urllib.parse.urlsplit(settings.REDIS_URL)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{BENCH_REDIS_DB}", "", ""))


def _purge_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def _run(command: list[str], *, env: dict[str, str], stream_stderr: bool = False) -> str:
    """Run a manage.py step; its stdout is returned, its stderr streamed or shown on failure."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py, no shell
        command,
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=None if stream_stderr else subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or "")[-2000:] if not stream_stderr else "(see its output above)"
        raise RuntimeError(f"{' '.join(command[1:])} failed with exit code {result.returncode}: {detail}")
    return result.stdout


def _say(log: TextIO | None, line: str) -> None:
    if log is not None:
        log.write(line + "\n")
        log.flush()


DASHBOARD_REQUESTS = 50


def dashboard_latencies(requests: int = DASHBOARD_REQUESTS) -> dict:
    """Overview and zone page through Django's test client (server side, no network): the first
    request after the cache is cleared (cold), then ``requests`` warm ones; milliseconds and SQL queries."""
    user, _created = get_user_model().objects.get_or_create(username="bench-officer", defaults={"is_superuser": True})
    client = Client()
    client.force_login(user)
    zone = Zone.objects.order_by("id").values_list("code", flat=True).first()
    pages = {"overview": reverse("dashboard"), "zone": reverse("dashboard-zone", args=[zone])}
    out = {}
    for name, url in pages.items():
        client.get(url)  # imports and template loading are not the cache's part of a cold request
        cache.clear()
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            assert client.get(url).status_code == 200
        cold_ms = (time.perf_counter() - started) * 1000
        latencies = []
        for _i in range(requests):
            started = time.perf_counter()
            client.get(url)
            latencies.append((time.perf_counter() - started) * 1000)
        p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
        out[name] = {
            "cold_ms": round(cold_ms, 1),
            "warm_p50_ms": round(p50, 1),
            "warm_p95_ms": round(p95, 1),
            "warm_p99_ms": round(p99, 1),
            "warm_requests_per_second_one_process": round(1000 / float(np.mean(latencies)), 1),
            "queries": len(queries),
        }
    return out
