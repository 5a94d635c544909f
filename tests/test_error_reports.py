"""Error reports reach the Sentry (or GlitchTip) ingest end to end, without personal data.

A small HTTP server in this test stands in for the ingest: the DSN points at it. The production gunicorn serves
the observatory with one extra URL whose view fails while it holds a citizen's report (tests/errorreports). The
envelope that arrives names the environment and the release and carries the exception and its stack trace, but
no e-mail, no client address, no cookie, no query string and nothing of the report's text."""

from __future__ import annotations

import contextlib
import gzip
import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.processes import free_port, gunicorn

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
        envelopes = []
        deadline = time.monotonic() + 30
        while not any(h.get("type") == "event" for _path, raw in envelopes for h, _p in envelope_items(raw)):
            assert time.monotonic() < deadline, "no error event reached the ingest"
            with contextlib.suppress(queue.Empty):
                envelopes.append(received.get(timeout=1))
        time.sleep(1)  # the log record's event, if any, follows the exception's
        while not received.empty():
            envelopes.append(received.get())

    assert {path for path, _raw in envelopes} == {"/api/42/envelope/"}
    events = [
        payload for _path, raw in envelopes for header, payload in envelope_items(raw) if header["type"] == "event"
    ]
    failure = next(e for e in events if e.get("exception"))
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
    for _path, raw in envelopes:  # nothing personal anywhere in what was sent, whatever the field
        text = raw.decode("utf-8", "replace")
        assert [secret for secret in PERSONAL if secret in text] == []
