"""manage.py bench seeds a database of its own in a subprocess and prints its figures as JSON."""

from __future__ import annotations

import io
import json
import os

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from demo.bench import bench_database_name

# One name per test process: the database server is shared, and a concurrent run must not drop ours.
BENCH_DATABASE = f"observatory_bench_test_{os.getpid()}"


def database_exists(name: str) -> bool:
    main = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname="postgres",
        user=main.get("USER") or None,
        password=main.get("PASSWORD") or None,
        host=main.get("HOST") or None,
        port=main.get("PORT") or None,
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        conn.close()


def test_bench_small_prints_positive_figures_as_json_and_drops_its_database():
    out = io.StringIO()
    call_command(
        "bench", "--scale", "small", "--submits", "20", "--database", BENCH_DATABASE, "--load-seconds", "1",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    figures = json.loads(out.getvalue())
    assert figures["scale"] == "small"
    assert 40 <= figures["zones"] <= 60
    assert figures["reports"] == 5000
    assert figures["form_submits"] == 20
    for key in (
        "seed_seconds",
        "form_submits_per_second",
        "full_recompute_seconds",
        "group_by_floor_seconds",
        "recompute_over_floor_ratio",
    ):
        assert figures[key] > 0, key
    latency = figures["form_submit_latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    # The dashboards were served by gunicorn to real HTTP clients, timed by gunicorn's own log.
    for page in ("overview", "zone"):
        load = figures["dashboard_load"][page]
        assert load["cold_requests"] == 16 and load["cold_errors"] == 0, load
        assert load["warm_requests"] > 0 and load["warm_errors"] == 0, load
        assert 0 < load["warm_server"]["p50_ms"] <= load["warm_server"]["p95_ms"] <= load["warm_server"]["p99_ms"]
        assert load["warm_requests_per_second"] > 0
    # The intersectoral layer: more cases routed, the department queues and the monthly brief timed.
    cases = figures["cases"]
    assert cases["routing"]["cases_routed"] > 0 and cases["cases"] > cases["routing"]["cases_routed"]
    for queue in cases["queue"].values():
        assert 0 < queue["p50_ms"] <= queue["p95_ms"] and queue["queries"] > 0, queue
    assert cases["brief"]["city"]["pdf_bytes"] > 10_000 and cases["brief"]["city"]["build_seconds"] > 0
    # The public reads issue 15 asks to be fast, the same way, with the SQL they cost: none once cached.
    for read in ("public_map_data", "public_zone", "open311_requests"):
        load = figures["public_load"][read]
        assert load["cold_errors"] == 0 and load["warm_requests"] > 0 and load["warm_errors"] == 0, load
        assert load["queries_per_request"]["warm_max"] == 0, load
    # The applicants' area and the transparency export (issue 16).
    grants = figures["grants"]
    assert grants["applications"] == 20 and grants["submit"]["protocol_numbers_gapless"]
    assert 0 < grants["submit"]["p50_ms"] <= grants["submit"]["p95_ms"] and grants["receipt_pdf_median_ms"] > 0
    for read in (*grants["applicant_pages"].values(), grants["transparency"]["csv"]):
        assert 0 < read["p50_ms"] <= read["p95_ms"] and read["queries"] > 0, read
    assert figures["machine"]["cpus"] >= 1
    assert figures["machine"]["postgres"]
    assert not database_exists(BENCH_DATABASE)


def test_bench_database_defaults_to_the_main_name_with_a_bench_suffix():
    assert bench_database_name() == settings.DATABASES["default"]["NAME"] + "_bench"


@pytest.mark.parametrize("name", ["observatory", "postgres", "template1", "bench; DROP"])
def test_bench_refuses_a_database_whose_name_does_not_say_bench(name):
    with pytest.raises(CommandError, match=r"bench|plain"):
        call_command("bench", "--database", name, stdout=io.StringIO(), stderr=io.StringIO())
    assert database_exists("postgres")


def test_bench_refuses_the_main_database_even_when_its_name_says_bench(monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "NAME", "city_bench")
    with pytest.raises(ValueError, match="refusing"):
        bench_database_name("city_bench")
