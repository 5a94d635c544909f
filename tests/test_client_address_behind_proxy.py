"""Behind the reverse proxy the observatory still tells its clients apart, and nobody can pose as another.

A real hop: gunicorn (the production command and config) trusts one proxy, 127.0.0.2, through
OBSERVATORY_TRUSTED_PROXIES; a small threaded reverse proxy listens there and appends the address each request
came from to X-Forwarded-For, as nginx's ``$proxy_add_x_forwarded_for`` does; clients connect from their own
loopback addresses (127.0.0.3, 127.0.0.4, ...), through the proxy or straight to gunicorn.
"""

from __future__ import annotations

import datetime as dt
import http.client
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from axes.models import AccessAttempt
from django.utils import timezone
from requests.adapters import HTTPAdapter

from conftest import TEST_PASSWORD, make_user
from reports.models import Report
from reports.ratelimit import rate_limit_reset
from tests.processes import gunicorn

pytestmark = pytest.mark.django_db(transaction=True)

PROXY = "127.0.0.2"
ADA, BRUNO, CARLA = "127.0.0.3", "127.0.0.4", "127.0.0.5"
EVERY_ADDRESS = ("127.0.0.1", PROXY, ADA, BRUNO, CARLA, "198.51.100.7")
# Headers that belong to one connection, which a proxy does not pass on.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


class ForwardingProxy(ThreadingHTTPServer):
    """A reverse proxy on PROXY: forwards each request to ``upstream`` from its own address, adding the client's."""

    daemon_threads = True

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        super().__init__((PROXY, 0), _ForwardingHandler)

    @property
    def url(self) -> str:
        return f"http://{PROXY}:{self.server_address[1]}"


class _ForwardingHandler(BaseHTTPRequestHandler):
    def forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in HOP_BY_HOP and name.lower() != "x-forwarded-for"
        }
        # $proxy_add_x_forwarded_for: what the client sent, then the address the request came from.
        sent = self.headers.get_all("X-Forwarded-For") or []
        headers["X-Forwarded-For"] = ", ".join([*sent, self.client_address[0]])
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=30, source_address=(PROXY, 0))
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response_only(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            upstream.close()

    do_GET = do_POST = do_HEAD = forward

    def log_message(self, format, *args):  # quiet: the test's own assertions say what happened
        pass


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser_at(address: str) -> requests.Session:
    """An HTTP client whose connections come from ``address``."""
    session = requests.Session()
    session.trust_env = False  # never an outside proxy from the environment
    session.mount("http://", _FromAddress(address))
    return session


@pytest.fixture(scope="module")
def servers(django_db_setup) -> Iterator[dict[str, str]]:
    env = {
        "OBSERVATORY_TRUSTED_PROXIES": PROXY,
        "OBSERVATORY_REPORT_RATE_LIMIT": "2/h",
        "DJANGO_ALLOWED_HOSTS": f"127.0.0.1,{PROXY}",
        # No Celery task from this server: the session's worker (if another test started one) would recompute
        # indicators while the test flushes the database. A report's stale markers stay, as with a broker down.
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    with gunicorn(env, log_name="gunicorn-behind-proxy.log") as direct:
        host, port = direct.removeprefix("http://").split(":")
        proxy = ForwardingProxy((host, int(port)))
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"proxy": proxy.url, "direct": direct}
        finally:
            proxy.shutdown()
            proxy.server_close()


@pytest.fixture(autouse=True)
def fresh_counters():
    for address in EVERY_ADDRESS:
        rate_limit_reset(address)
    yield
    for address in EVERY_ADDRESS:
        rate_limit_reset(address)


def send_report(session: requests.Session, base: str, category, **headers) -> int:
    body = {
        "category": category.code,
        "perceived_safety": 2,
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "latitude": 45.065,
        "longitude": 7.675,
    }
    return session.post(f"{base}/api/v1/reports/", json=body, headers=headers, timeout=30).status_code


def test_the_proxy_really_is_a_hop_to_gunicorn(servers):
    answer = browser_at(ADA).get(f"{servers['proxy']}/api/v1/reports/", timeout=30)
    assert answer.status_code == 200
    assert answer.json()["type"] == "FeatureCollection"
    assert answer.headers["Server"].startswith("gunicorn")  # passed on by the proxy, which adds none


def test_two_citizens_behind_the_proxy_have_a_counter_each(servers, two_zones, category):
    ada, bruno = browser_at(ADA), browser_at(BRUNO)
    assert [send_report(ada, servers["proxy"], category) for _ in range(3)] == [201, 201, 429]
    assert [send_report(bruno, servers["proxy"], category) for _ in range(2)] == [201, 201]
    assert sorted(Report.objects.values_list("submitter_ip", flat=True)) == [ADA, ADA, BRUNO, BRUNO]


def test_an_address_a_client_writes_in_x_forwarded_for_is_ignored(servers, two_zones, category):
    ada, carla = browser_at(ADA), browser_at(CARLA)
    assert [send_report(ada, servers["proxy"], category) for _ in range(2)] == [201, 201]
    # Ada, over her limit, claims another address: in front of the proxy's entry, or straight to gunicorn.
    assert send_report(ada, servers["proxy"], category, **{"X-Forwarded-For": "198.51.100.7"}) == 429
    assert send_report(ada, servers["direct"], category, **{"X-Forwarded-For": "198.51.100.7"}) == 429
    assert send_report(ada, servers["direct"], category, **{"X-Forwarded-For": f"198.51.100.7, {PROXY}"}) == 429
    # Carla, straight to gunicorn, claims to be Bruno: she is counted as herself and Bruno's count is untouched.
    assert [send_report(carla, servers["direct"], category, **{"X-Forwarded-For": BRUNO}) for _ in range(3)] == [
        201,
        201,
        429,
    ]
    assert [send_report(browser_at(BRUNO), servers["proxy"], category) for _ in range(2)] == [201, 201]
    assert sorted(Report.objects.values_list("submitter_ip", flat=True)) == [ADA, ADA, BRUNO, BRUNO, CARLA, CARLA]


def log_in(session: requests.Session, base: str, username: str, password: str) -> requests.Response:
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )


def test_a_lockout_is_for_the_attackers_address_not_for_the_proxys(servers, db):
    make_user("proxy-officer", "officer")
    mallory, officer = browser_at(ADA), browser_at(BRUNO)
    answers = [log_in(mallory, servers["proxy"], "proxy-officer", "guess").status_code for _ in range(6)]
    assert answers[-1] == 429  # locked out after AXES_FAILURE_LIMIT failures
    assert log_in(mallory, servers["proxy"], "proxy-officer", TEST_PASSWORD).status_code == 429  # even with it right
    # The officer, behind the same proxy, is not locked out by what Mallory did.
    response = log_in(officer, servers["proxy"], "proxy-officer", TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ADA}
