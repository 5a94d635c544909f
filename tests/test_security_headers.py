"""Every page, for every role, carries the security headers (a CSP with no inline script, no framing, no
sniffing, a referrer policy and a permissions policy; HSTS only over HTTPS) and loads nothing from an outside
host but the configured tile server: no CDN (the pages' src/href/action/url() and the CSS files they link)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from tests.sitepages import ROLES, all_pages, client_as

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_secure_headers(path, response):
    csp = directives(response)
    assert csp["script-src"] == ["'self'"], path  # no 'unsafe-inline', no 'unsafe-eval', no outside host
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"], path
    assert csp["frame-ancestors"] == ["'none'"] and response["X-Frame-Options"] == "DENY", path
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", path
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=(self)" in response["Permissions-Policy"]
    assert len(response["X-Request-ID"]) == 32, path


# Where a page names something the browser fetches by itself. <a href> is a link a person follows, not a load.
RESOURCE = re.compile(
    r"""<(?:script|img|iframe|source|embed|video|audio|track|input)\b[^>]*?\bsrc=["']([^"']+)"""
    r"""|<link\b[^>]*?\bhref=["']([^"']+)|<form\b[^>]*?\baction=["']([^"']+)|url\(\s*["']?([^"')]+)""",
    re.IGNORECASE,
)


def outside_hosts(text: str) -> set[str]:
    hosts = set()
    for match in RESOURCE.finditer(text):
        reference = next(group for group in match.groups() if group).strip()
        if reference.startswith(("//", "http://", "https://")):
            hosts.add(urlsplit(reference if not reference.startswith("//") else "https:" + reference).hostname)
    return hosts


def linked_stylesheets(text: str) -> set[str]:
    return set(re.findall(r"""<link\b[^>]*?\bhref=["']/static/([^"'?]+\.css)""", text))


def tile_host() -> str | None:
    return urlsplit(settings.OBSERVATORY_MAP_TILES_URL.replace("{s}", "a")).hostname


@pytest.mark.parametrize("role", ROLES)
def test_every_page_carries_the_security_headers_and_loads_from_no_outside_host(role):
    client = client_as(role)
    pages = all_pages()
    assert len(pages) > 50
    stylesheets, found = set(), {}
    for path in pages:
        response = client.get(path)
        # 404: an admin app whose models this role may not see.
        assert response.status_code in {200, 302, 403, 404, 405}, (path, response.status_code)
        assert_secure_headers(path, response)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            text = response.content.decode()
            if hosts := outside_hosts(text) - {tile_host()}:
                found[path] = hosts
            stylesheets |= linked_stylesheets(text)
    for name in stylesheets:  # the CSS the pages load, Bootstrap Italia's and Leaflet's included
        # Collected files carry their hash in the name (the manifest storage); the finders know the plain names.
        path = Path(settings.STATIC_ROOT) / name
        path = path if path.exists() else finders.find(name)
        if hosts := outside_hosts(Path(path).read_text(encoding="utf-8")) - {tile_host()}:
            found[name] = hosts
    assert found == {}


def test_an_outside_reference_is_found(settings):
    # What the test above looks for, shown on GeoDjango's stock admin map, which loads OpenLayers from a CDN.
    from django.contrib.gis.forms.widgets import OpenLayersWidget

    page = str(OpenLayersWidget().media) + '<a href="https://www.openstreetmap.org/copyright">OSM</a>'
    assert outside_hosts(page) == {"cdn.jsdelivr.net"}


def test_api_open311_and_errors_carry_them_too():
    client = Client()
    for path in ("/api/v1/reports/", "/open311/v2/services.json", "/api/schema/", "/no-such-page/"):
        assert_secure_headers(path, client.get(path))


def test_the_tile_server_is_the_only_outside_image_host(settings):
    # The policy is built from the setting when settings load: check the default's origin is allowed.
    assert directives(Client().get("/"))["img-src"] == ["'self'", "data:", "blob:", "https://tile.openstreetmap.org"]


def test_hsts_is_sent_over_https_only(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    client = Client()
    assert "Strict-Transport-Security" not in client.get("/")
    secure = client.get("/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_trusted_proxy_request_id_is_kept_and_a_client_one_is_not(settings):
    settings.OBSERVATORY_TRUSTED_PROXIES = ["10.0.0.2"]
    proxied = Client(REMOTE_ADDR="10.0.0.2").get("/", HTTP_X_REQUEST_ID="nginx-4f2a9c1d")
    assert proxied["X-Request-ID"] == "nginx-4f2a9c1d"
    direct = Client(REMOTE_ADDR="192.0.2.7").get("/", HTTP_X_REQUEST_ID="forged-by-client")
    assert direct["X-Request-ID"] != "forged-by-client"
    malformed = Client(REMOTE_ADDR="10.0.0.2").get("/", HTTP_X_REQUEST_ID="bad id\nINFO forged line")
    assert len(malformed["X-Request-ID"]) == 32
