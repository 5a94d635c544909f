"""The citizen channel's part of ``manage.py bench``: API and Open311 submissions, public reads.

Called by demo.bench.bench_inside on the seeded bench database; every request goes through
Django's test client in process (real views, services, database), one after another.
"""

from __future__ import annotations

import datetime as dt
import time
import zlib
from typing import TextIO

import numpy as np
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from city.models import Zone
from open311.models import ApiKey
from reports.models import Category

PUBLISHED_SHARE_SQL = (
    "UPDATE reports_report SET is_published = true, public_description = description WHERE id %% %s = 0"
)


def _percentiles(latencies: list[float]) -> dict:
    p50, p95, p99 = np.percentile(np.array(latencies) * 1000, [50, 95, 99]) if latencies else (0.0, 0.0, 0.0)
    return {"p50": round(p50, 2), "p95": round(p95, 2), "p99": round(p99, 2)}


def _timed(count: int, call) -> dict:
    latencies = []
    started = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        status = call(i)
        latencies.append(time.perf_counter() - t0)
        if status >= 400:
            raise RuntimeError(f"bench request {i} of {call.__name__} answered {status}")
    seconds = time.perf_counter() - started
    return {
        "count": count,
        "per_second": round(count / seconds, 1) if seconds else None,
        "latency_ms": _percentiles(latencies),
    }


def reports_bench(*, seed: int, submits: int = 500, reads: int = 50, log: TextIO | None = None) -> dict:
    rng = np.random.default_rng([seed, zlib.crc32(b"bench-reports-channel")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM observatory_zone) t")
        points = cursor.fetchall()
        cursor.execute(PUBLISHED_SHARE_SQL, [10])  # a tenth of the seeded reports published, for the public reads
        published = cursor.rowcount
    codes = list(Category.objects.filter(active=True).order_by("id").values_list("code", flat=True))
    zone_code = Zone.objects.order_by("id").values_list("code", flat=True).first()
    key = ApiKey(name=f"bench-{seed}")
    secret = key.set_new_key()
    key.save()
    client = Client()
    now = timezone.now()

    def api_submit(_i: int) -> int:
        lon, lat = points[rng.integers(len(points))]
        body = {
            "category": codes[rng.integers(len(codes))],
            "perceived_safety": int(rng.integers(1, 5)),
            "occurred_at": (now - dt.timedelta(minutes=int(rng.integers(10, 3 * 24 * 60)))).isoformat(),
            "latitude": lat,
            "longitude": lon,
            "description": "bench",  # some categories require one
        }
        return client.post("/api/v1/reports/", body, content_type="application/json").status_code

    def open311_submit(_i: int) -> int:
        lon, lat = points[rng.integers(len(points))]
        body = {
            "api_key": secret,
            "service_code": codes[rng.integers(len(codes))],
            "lat": repr(lat),
            "long": repr(lon),
            "attribute[perceived_safety]": str(int(rng.integers(1, 5))),
            "description": "bench",
        }
        return client.post("/open311/v2/requests.json", body).status_code

    with override_settings(OBSERVATORY_REPORT_RATE_LIMIT="off"):
        if log:
            log.write(f"bench: {submits} API and {submits} Open311 submissions, {reads} of each public read\n")
        figures = {
            "published_reports": published,
            "api_submit": _timed(submits, api_submit),
            "open311_submit": _timed(submits, open311_submit),
            "public_map_geojson": _timed(reads, lambda _i: client.get("/map/reports.geojson").status_code),
            "public_map_clusters": _timed(reads, lambda _i: client.get("/map/clusters.geojson?zoom=13").status_code),
            "public_zone_page": _timed(reads, lambda _i: client.get(f"/map/zones/{zone_code}/").status_code),
            "api_public_list_page": _timed(reads, lambda _i: client.get("/api/v1/reports/").status_code),
            "open311_requests_list": _timed(reads, lambda _i: client.get("/open311/v2/requests.json").status_code),
        }
    return figures
