"""Bench of the intersectoral layer (issue 13): a department's queue and the monthly brief.

The demo seeds a few dozen cases; a city that has run the observatory for a while has thousands. The bench
routes ``QUEUE_CASES[scale]`` more of the seeded reports through the real routing (``report_route``: one
case, one task per department the rules give), then times, through Django's test client (server side):

- the queue of a lighting member (their department's open tasks), of a coordinator filtered to the late
  ones, and of an officer across every department: the first request, then ``requests`` warm ones
  (p50 / p95, the SQL queries of the first request);
- the monthly brief of the last full month for the whole city and for a district council: the build (its
  queries and effects), and the PDF (build + charts + WeasyPrint), as ``manage.py brief`` makes it.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TextIO

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from briefs import rendering
from briefs.selectors import brief_build, district_councils, scope_resolve
from cases.models import Case, Task
from cases.services import report_route
from reports.models import Report

from .cases import ROUTES

QUEUE_CASES = {"small": 200, "medium": 1_000, "large": 2_000}
QUEUE_REQUESTS = {"small": 10, "medium": 50, "large": 50}


def _say(log: TextIO | None, line: str) -> None:
    if log is not None:
        log.write(line + "\n")
        log.flush()


def route_more_cases(count: int) -> dict:
    """Route ``count`` more seeded reports into cases; the seconds and cases per second."""
    reports = list(
        Report.objects.filter(category__code__in=ROUTES, status="submitted", case_link__isnull=True)
        .select_related("category", "zone")
        .order_by("-created_at", "-id")[:count]
    )
    started = time.perf_counter()
    opened = sum(1 for report in reports if report_route(report=report) is not None)
    seconds = time.perf_counter() - started
    return {"cases_routed": opened, "seconds": round(seconds, 2), "per_second": round(opened / seconds, 1)}


def page_body(response, url: str) -> bytes:
    """The page's bytes; a streamed export runs its queries while it is read, so it is read here."""
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return b"".join(response.streaming_content) if response.streaming else response.content


def page_latencies(client: Client, url: str, requests: int) -> dict:
    """One request with its SQL counted, then ``requests`` timed ones: ms (first, p50, p95), queries, bytes."""
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        size = len(page_body(client.get(url), url))
    first_ms = (time.perf_counter() - started) * 1000
    latencies = []
    for _i in range(requests):
        started = time.perf_counter()
        page_body(client.get(url), url)
        latencies.append((time.perf_counter() - started) * 1000)
    p50, p95 = np.percentile(latencies, [50, 95])
    return {"first_ms": round(first_ms, 1), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
            "queries": len(queries), "bytes": size}  # fmt: skip


def queue_latencies(requests: int) -> dict:
    names = ["demo-lighting", "demo-police-coord", "demo-officer"]
    users = get_user_model().objects.in_bulk(names, field_name="username")
    queue = reverse("cases:queue")
    views = {
        "lighting member, own department": ("demo-lighting", queue),
        "police coordinator, late only": ("demo-police-coord", queue + "?overdue=1"),
        "officer, every department": ("demo-officer", queue),
    }
    out = {}
    for name, (username, url) in views.items():
        client = Client()
        client.force_login(users[username])
        client.get(url)  # imports and template loading are not the queue's cost
        shown = Task.objects.filter(closed_at__isnull=True).count()
        out[name] = {**page_latencies(client, url, requests), "open_tasks_in_the_city": shown}
    return out


def brief_timings() -> dict:
    today = timezone.localdate()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # the last full month
    scopes = {"city": scope_resolve()}
    council = district_councils().first()
    if council is not None:
        scopes[f"council {council.code}"] = scope_resolve(council_code=council.code)
    out = {"month": f"{month:%Y-%m}"}
    for name, scope in scopes.items():
        started = time.perf_counter()
        brief_build(month=month, scope=scope)
        build = time.perf_counter() - started
        started = time.perf_counter()
        pdf = rendering.brief_pdf(month=month, scope=scope, language="it")
        total = time.perf_counter() - started
        out[name] = {"build_seconds": round(build, 2), "pdf_seconds": round(total, 2), "pdf_bytes": len(pdf)}
    return out


def cases_bench(*, scale: str, log: TextIO | None = None) -> dict:
    _say(log, f"bench: routing {QUEUE_CASES[scale]:,} more reports into cases")
    routed = route_more_cases(QUEUE_CASES[scale])
    _say(log, "bench: department queues through the test client")
    queues = queue_latencies(QUEUE_REQUESTS[scale])
    _say(log, "bench: the monthly brief (build and PDF)")
    brief = brief_timings()
    return {"routing": routed, "cases": Case.objects.count(), "queue": queues, "brief": brief}
