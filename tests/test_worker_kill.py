"""A worker killed with SIGKILL in the middle of the full recompute: the task is redelivered, and the
indicator, hot-spot and alert tables end up identical to a clean synchronous run.

Real components: a Celery worker process on the real Redis broker (acks_late, a short visibility
timeout so Redis redelivers quickly), the real PostGIS test database, the demo city as data.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from city import roles
from demo.seed import demo_seed
from indicators import alerts, engine, hotspots
from indicators.models import Alert, HotSpot, Indicator
from indicators.tasks import indicator_pipeline
from tests.processes import BASE_DIR, OUTPUT_DIR, process_env, stop

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT_SECONDS = 8


def start_worker(label: str) -> tuple[subprocess.Popen, str]:
    """A solo-pool worker (one process: SIGKILL takes the task down with it); (process, node name)."""
    from observatory.celery import app

    name = f"kill-{label}-{uuid.uuid4().hex[:6]}@%h"
    OUTPUT_DIR.mkdir(exist_ok=True)
    log = (OUTPUT_DIR / f"celery-worker-kill-{label}.log").open("w")
    env = process_env() | {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_SECONDS)}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "observatory", "worker", "--pool", "solo", "--loglevel", "INFO",
         "--without-gossip", "--without-mingle", "--hostname", name],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    node = name.replace("%h", socket.gethostname())
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[node], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"the Celery worker did not start; see {log.name}")
    return process, node


def recompute_lock_held() -> bool:
    """Whether another session holds the indicator engine's advisory lock (the full recompute is running)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                           AND objid = (hashtext(%s)::bigint & x'ffffffff'::bigint) AND pid <> pg_backend_pid())
            """,
            [engine.LOCK_KEY],
        )
        return cursor.fetchone()[0]


def tables() -> dict[str, list[tuple]]:
    """Every derived table, without ids and timestamps, in key order."""
    return {
        "indicators": list(
            Indicator.objects.order_by("zone_id", "period_kind", "period_start", "slot", "metric").values_list(
                "zone_id", "period_kind", "period_start", "slot", "metric", "method_version", "value", "numerator",
                "n", "lower", "upper", "raw_value", "denominator", "unit", "coverage", "grade",
            )
        ),
        "hotspots": list(
            HotSpot.objects.order_by("zone_id", "slot", "period_kind", "period_start").values_list(
                "zone_id", "slot", "period_kind", "period_start", "method_version", "value", "gi_z", "gi_p", "gi_q",
                "moran_i", "moran_p", "moran_q", "moran_quadrant", "cluster", "neighbours",
            )
        ),
        "alerts": list(
            Alert.objects.order_by("zone_id", "slot", "metric", "window_end").values_list(
                "zone_id", "slot", "metric", "window_start", "window_end", "method_version", "baseline", "current",
                "baseline_n", "current_n", "statistic", "p_value", "q_value",
            )
        ),
    }  # fmt: skip


def empty_derived_tables() -> None:
    with connection.cursor() as cursor:
        # CASCADE: and the cases' notices of those alerts
        cursor.execute("TRUNCATE observatory_indicator, observatory_hotspot, observatory_alert CASCADE")


def test_a_worker_killed_mid_recompute_leaves_the_same_tables_as_a_clean_run(category):
    from observatory.celery import app

    for name in roles.ALL_ROLES:
        Group.objects.get_or_create(name=name)  # the demo's logins need them; transactional tests flush them
    demo_seed(scale="small", months=6)
    # The clean run, synchronous.
    empty_derived_tables()
    engine.recompute_all()
    hotspots.compute_hotspots()
    alerts.compute_alerts()
    clean = tables()
    assert clean["indicators"] and clean["hotspots"]

    empty_derived_tables()
    app.control.purge()
    first, _node = start_worker("first")
    result = indicator_pipeline().apply_async()
    deadline = time.monotonic() + 60
    while not recompute_lock_held():
        assert time.monotonic() < deadline, "the full recompute never started"
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the recompute
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert not Indicator.objects.exists()  # the killed transaction left nothing half-written

    second, _node = start_worker("second")
    try:
        result.get(timeout=240, propagate=True)  # the chain's last link: alerts after hot spots after recompute
    finally:
        stop(second)
    assert tables() == clean
