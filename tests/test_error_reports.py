"""Error reports reach the Sentry (or GlitchTip) ingest end to end, without personal data.

A small HTTP server in this test stands in for the ingest: the DSN points at it. The production gunicorn serves
the observatory with one extra URL whose view fails while it holds a citizen's report (tests/errorreports). The
envelope that arrives names the environment and the release and carries the exception and its stack trace, but
no e-mail, no client address, no cookie, no query string and nothing of the report's text. A Celery worker's
failing task is reported the same way, without the e-mail address its arguments and its error message held."""

from __future__ import annotations

import contextlib
import gzip
import json
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.conf import settings

from tests.processes import BASE_DIR, OUTPUT_DIR, free_port, gunicorn, process_env, stop

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ADDRESS = "203.0.113.77"  # the citizen, behind the trusted proxy 127.0.0.1
EMAIL = "ada.lovelace@example.org"
REPORT_TEXT = "Sotto i portici di via Roma un uomo mi ha seguita fino al portone"
SESSION_COOKIE = "sessionid=s3ss10n-0f-a-c1t1zen; csrftoken=t0k3n-0f-a-c1t1zen"
PERSONAL = [CLIENT_ADDRESS, EMAIL, "ada.lovelace", REPORT_TEXT, "portici", "s3ss10n-0f-a-c1t1zen", "t0k3n-0f-a-c1t1zen"]


def decoded(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


@pytest.fixture
def ingest() -> Iterator[tuple[str, queue.Queue]]:
    """A Sentry ingest on a free port of 127.0.0.1: every envelope posted to it lands in the queue, decoded."""
    received: queue.Queue = queue.Queue()

    class Ingest(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.put((self.path, decoded(body, self.headers.get("Content-Encoding", ""))))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://public-key-0123@127.0.0.1:{port}/42", received
    server.shutdown()
    server.server_close()


def envelope_items(raw: bytes) -> list[tuple[dict, dict]]:
    """(item header, payload) pairs of a Sentry envelope: a header line, then header and payload lines."""
    lines = raw.split(b"\n")
    items, index = [], 1
    while index + 1 < len(lines):
        header = json.loads(lines[index])
        payload = lines[index + 1]
        items.append((header, json.loads(payload) if payload.startswith(b"{") else {}))
        index += 2
    return items


def wait_for_event(received: queue.Queue, seconds: float = 30) -> list[tuple[str, bytes]]:
    """The envelopes that arrive until one holds an event (and a second more, for a log record's event)."""
    envelopes: list[tuple[str, bytes]] = []
    deadline = time.monotonic() + seconds
    while not any(h.get("type") == "event" for _path, raw in envelopes for h, _p in envelope_items(raw)):
        assert time.monotonic() < deadline, "no error event reached the ingest"
        with contextlib.suppress(queue.Empty):
            envelopes.append(received.get(timeout=1))
    time.sleep(1)
    while not received.empty():
        envelopes.append(received.get())
    return envelopes


def events_of(envelopes: list[tuple[str, bytes]]) -> list[dict]:
    return [payload for _path, raw in envelopes for header, payload in envelope_items(raw) if header["type"] == "event"]


def leaks(envelopes: list[tuple[str, bytes]]) -> list[str]:
    """The personal strings found anywhere in what was sent, whatever the field."""
    text = "".join(raw.decode("utf-8", "replace") for _path, raw in envelopes)
    return [secret for secret in PERSONAL if secret in text]


def post_report(url: str) -> int:
    body = urllib.parse.urlencode({
        "category": "lighting", "perceived_safety": "4", "description": REPORT_TEXT, "contact_email": EMAIL,
        "consent": "on",
    }).encode()  # fmt: skip
    request = urllib.request.Request(  # noqa: S310 (our own server, http://127.0.0.1)
        f"{url}/test-failure/?from={urllib.parse.quote(EMAIL)}", data=body, method="POST",
        headers={"Cookie": SESSION_COOKIE, "X-Forwarded-For": CLIENT_ADDRESS, "Referer": f"{url}/?u={EMAIL}",
                 "Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "it"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our own server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_unhandled_error_reaches_the_ingest_with_environment_and_release_and_no_personal_data(ingest):
    dsn, received = ingest
    env = {"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "ops-test", "SENTRY_RELEASE": "observatory@9.9.9-test",
           "DJANGO_SETTINGS_MODULE": "tests.errorreports.settings", "OBSERVATORY_TRUSTED_PROXIES": "127.0.0.1",
           "WEB_WORKERS": "1"}  # fmt: skip
    with gunicorn(env, log_name="gunicorn-sentry.log") as url:
        assert post_report(url) == 500
        envelopes = wait_for_event(received)

    assert {path for path, _raw in envelopes} == {"/api/42/envelope/"}
    failure = next(e for e in events_of(envelopes) if e.get("exception"))
    assert (failure["environment"], failure["release"]) == ("ops-test", "observatory@9.9.9-test")
    (exception,) = failure["exception"]["values"]
    assert exception["type"] == "RuntimeError" and "contact given: True" in exception["value"]
    frames = exception["stacktrace"]["frames"]
    assert frames[-1]["function"] == "failing_view" and frames[-1]["filename"].endswith("errorreports/urls.py")
    assert all("vars" not in frame for frame in frames)  # a frame's variables held the whole report
    request = failure["request"]
    assert request["method"] == "POST" and request["url"].endswith("/test-failure/")
    assert not {"data", "cookies", "query_string", "env"} & set(request)
    assert "user" not in failure or "ip_address" not in failure["user"]
    assert leaks(envelopes) == []


def test_a_failing_celery_task_is_reported_without_the_address_in_its_arguments_and_error(ingest):
    from observatory.celery import app

    dsn, received = ingest
    queue_name = f"sentry-test-{uuid.uuid4().hex[:8]}"  # only this worker takes the task
    env = process_env() | {
        "SENTRY_DSN": dsn,
        "SENTRY_ENVIRONMENT": "ops-test",
        "SENTRY_RELEASE": "observatory@9.9.9-test",
    }
    OUTPUT_DIR.mkdir(exist_ok=True)
    with (OUTPUT_DIR / "celery-sentry.log").open("w") as log:
        name = f"{queue_name}@{socket.gethostname()}"
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "--app", "observatory", "worker", "--pool", "solo", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--hostname", name, "--queues", queue_name],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(destination=[name], timeout=0.5):
                assert worker.poll() is None and time.monotonic() < deadline, "the worker did not start"
            # A caller passing an e-mail where the task takes an outbox id: the lookup fails, naming the value.
            app.send_task("city.tasks.send_email", args=[EMAIL], queue=queue_name)
            envelopes = wait_for_event(received)
        finally:
            stop(worker)
            broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
            broker.delete(f"_kombu.binding.{queue_name}", f"_kombu.binding_permanent.{queue_name}")

    failure = next(e for e in events_of(envelopes) if e.get("exception"))
    assert (failure["environment"], failure["release"]) == ("ops-test", "observatory@9.9.9-test")
    assert failure["exception"]["values"][-1]["type"] == "ValueError"
    assert "[redacted]" in failure["exception"]["values"][-1]["value"]  # the error's text named the address
    assert failure["extra"]["celery-job"]["task_name"] == "city.tasks.send_email"
    assert leaks(envelopes) == []
