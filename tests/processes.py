"""Real components for cross-app tests: a Celery worker, the gunicorn web server, Debian's Chromium.

Each runs as its own process against the test database and the tests' Redis database, exactly as
in production (no eager tasks, no in-process test server), so a passing test means the wiring works.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
OUTPUT_DIR = BASE_DIR / "test-output"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgis://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),  # the test database pytest-django created
        DJANGO_SETTINGS_MODULE="observatory.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A real Celery worker process on the tests' Redis broker; yields its node name."""
    from observatory.celery import app

    app.control.purge()  # leftovers of an earlier, interrupted run
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    OUTPUT_DIR.mkdir(exist_ok=True)
    log = (OUTPUT_DIR / "celery-worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "observatory", "worker", "--pool", "solo", "--loglevel", "INFO",
         "--without-gossip", "--without-mingle", "--hostname", name],
        cwd=BASE_DIR, env=process_env(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    node = name.replace("%h", socket.gethostname())
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[node], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"the Celery worker did not start; see {log.name}")
    yield node
    stop(process)
    log.close()


def wait_for_port(port: int, process: subprocess.Popen, *, timeout: float, poll: float = 0.1) -> bool:
    """Wait until something listens on 127.0.0.1:``port``; False when ``process`` exits or ``timeout`` passes
    first (the caller stops it and says what did not start)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(poll)


@contextmanager
def gunicorn(extra_env: dict[str, str] | None = None, *, log_name: str = "gunicorn.log") -> Iterator[str]:
    """gunicorn serving the observatory (with WhiteNoise static files) on a free port of 127.0.0.1, with the
    production command and config and ``extra_env`` on top of the tests' environment; yields its base URL."""
    port = free_port()
    # WEB_FORGET_CONTENT_TYPES: the flush between tests renumbers the content types (see gunicorn.conf.py).
    env = process_env() | {"WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "2", "DJANGO_DEBUG": "0",
                           "WEB_FORGET_CONTENT_TYPES": "1"}  # fmt: skip
    env |= extra_env or {}
    OUTPUT_DIR.mkdir(exist_ok=True)
    log = (OUTPUT_DIR / log_name).open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "observatory.wsgi:application", "--config", "gunicorn.conf.py"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    if not wait_for_port(port, process, timeout=60, poll=0.2):
        stop(process)
        pytest.fail(f"gunicorn did not start; see {log.name}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="session")
def web_server(django_db_setup) -> Iterator[str]:
    """gunicorn serving the observatory (with WhiteNoise static files) on a free port; yields its base URL."""
    with gunicorn() as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed; ./dev test installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page(browser, web_server) -> Iterator:
    """A fresh browser page whose map tiles never load: the pages must work without them."""
    context = browser.new_context(base_url=web_server, locale="it-IT", viewport={"width": 1200, "height": 900})
    context.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
