"""client_ip: REMOTE_ADDR, unless the request came through one of the trusted proxies; then the right-most address
of X-Forwarded-For that no trusted proxy added. (tests/test_client_address_behind_proxy.py does it over a real hop.)"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from gunicorn.config import Config

from city.clientip import client_ip, parse_networks

BASE_DIR = Path(settings.BASE_DIR)


def request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.fixture
def behind(settings):
    settings.OBSERVATORY_TRUSTED_PROXIES = ["10.0.0.2", "10.1.0.0/16", "fd00::/8"]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.OBSERVATORY_TRUSTED_PROXIES = []
    assert client_ip(request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("10.0.0.2", "203.0.113.9", "203.0.113.9"),  # one trusted proxy
        ("10.0.0.2", "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the client prepended a lie
        ("10.1.4.4", "198.51.100.7, 203.0.113.9, 10.0.0.2", "203.0.113.9"),  # two trusted hops
        ("10.0.0.2", "10.1.0.9", "10.1.0.9"),  # every hop is ours: the request started inside
        ("10.0.0.2", "", "10.0.0.2"),  # a trusted proxy that added nothing
        ("10.0.0.2", "203.0.113.9, not-an-address", "10.0.0.2"),  # garbage where our proxy writes: stop at it
        ("203.0.113.9", "10.0.0.2, 198.51.100.7", "203.0.113.9"),  # an untrusted peer's header counts for nothing
        ("10.0.0.2", "203.0.113.9:51234", "203.0.113.9"),  # with a port
        ("fd00::5", "[2001:db8::7]:443", "2001:db8::7"),
        ("10.0.0.2", "::ffff:203.0.113.9", "203.0.113.9"),  # IPv4-mapped is the IPv4 address
        ("::ffff:10.0.0.2", "203.0.113.9", "203.0.113.9"),
    ],
)
def test_behind_trusted_proxies_the_client_is_the_right_most_untrusted_address(behind, remote, forwarded, client):
    assert client_ip(request(remote, forwarded)) == client


def test_a_request_without_an_ip_peer_has_no_client_address(behind):
    assert client_ip(request("")) is None


def test_behind_proxies_a_unix_socket_peer_is_the_proxy_on_this_host(behind):
    # nginx in front of gunicorn's Unix socket: REMOTE_ADDR is empty, the client is in X-Forwarded-For.
    assert client_ip(request("", "198.51.100.7, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request("", "203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_without_proxies_a_unix_socket_peer_has_no_client_address(settings):
    settings.OBSERVATORY_TRUSTED_PROXIES = []
    assert client_ip(request("", "203.0.113.9")) is None


def test_networks_are_read_strictly_as_gunicorn_reads_them():
    assert [str(n) for n in parse_networks(["10.0.0.2", "10.1.0.0/16"])] == ["10.0.0.2/32", "10.1.0.0/16"]
    for bad in ("10.0.0.5/24", "proxy.internal", "10.0.0.300"):
        with pytest.raises(ValueError, match="not an IP address or a CIDR network"):
            parse_networks([bad])


def test_gunicorn_trusts_forwarding_headers_from_the_same_proxies(monkeypatch):
    monkeypatch.setenv("OBSERVATORY_TRUSTED_PROXIES", "10.0.0.2, 10.1.0.0/16")
    values = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    config = Config()
    config.set("forwarded_allow_ips", values["forwarded_allow_ips"])  # gunicorn's own validation
    assert config.forwarded_allow_ips == ["10.0.0.2", "10.1.0.0/16"]
    monkeypatch.delenv("OBSERVATORY_TRUSTED_PROXIES")
    config.set("forwarded_allow_ips", runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))["forwarded_allow_ips"])
    assert config.forwarded_allow_ips == []  # nobody by default, not gunicorn's own 127.0.0.1


def test_a_bad_trusted_proxy_stops_the_observatory_from_starting():
    env = dict(os.environ, OBSERVATORY_TRUSTED_PROXIES="10.0.0.2,proxy.internal")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "OBSERVATORY_TRUSTED_PROXIES" in result.stderr and "proxy.internal" in result.stderr
