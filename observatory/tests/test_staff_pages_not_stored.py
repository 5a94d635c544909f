"""No browser or shared cache keeps a staff page: every answer to a logged-in person, and every answer under the
staff prefixes, says ``Cache-Control: private, no-store``.

The pages are found by walking the URL map, so a page added later is checked without anyone listing it here.
"""

from __future__ import annotations

import pytest
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.urls import get_resolver

from conftest import make_user
from reports.services import report_publish
from reports.tests.factories import submit

pytestmark = pytest.mark.django_db

# Pages whose URL takes a value: filled from the world below (everything else is walked as it is).
PARAMETERISED = [
    "/dashboard/zones/{zone}/",
    "/dashboard/layers/{layer}.geojson",
    "/reports/moderation/{report}/",
    "/admin/reports/report/{report_id}/change/",
    "/admin/observatory/zone/{zone_id}/change/",
    "/api/v1/reports/{report}/moderation/",
    "/reports/{report}/",
]
STAFF_PREFIXES = ("/dashboard/", "/reports/moderation/", "/admin/", "/accounts/")


def every_plain_path() -> list[str]:
    """Every GET-able URL of the map that takes no value (admin changelists included)."""
    paths = set()
    for _view, regex, _namespace, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        path = simplify_regex(regex)
        if "<" not in path and "*" not in path and "logout" not in path:
            paths.add(path)
    return sorted(paths)


@pytest.fixture
def world(two_zones, category, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    moderator = make_user("cache-world-moderator", "moderator")
    report = report_publish(report=submit(category), user=moderator)
    return {
        "zone": two_zones[0].code,
        "zone_id": two_zones[0].pk,
        "layer": "sensors",
        "report": report.tracking_code,
        "report_id": report.pk,
    }


def assert_not_stored(response, path):
    directives = {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, f"{path} ({response.status_code}): {response.get('Cache-Control')}"


def test_the_walk_finds_the_staff_pages():
    paths = every_plain_path()
    for page in ("/dashboard/", "/dashboard/alerts/", "/reports/moderation/", "/admin/", "/admin/reports/report/"):
        assert page in paths


@pytest.mark.parametrize("role", ["superuser", "officer", "moderator", "grants_admin"])
def test_every_page_answered_to_staff_is_private_and_not_stored(client, world, role):
    user = make_user(f"cache-{role}", *([] if role == "superuser" else [role]), is_superuser=role == "superuser")
    user.is_staff = role in {"superuser", "grants_admin"}
    user.save()
    client.force_login(user)
    paths = every_plain_path() + [path.format(**world) for path in PARAMETERISED]
    for path in paths:
        response = client.get(path)
        # 503 from the health checks: no worker, beat or MQTT subscriber runs in this test.
        assert response.status_code < 500 or path in {"/healthz", "/healthz/ready"}, path
        assert_not_stored(response, path)


def test_staff_pages_are_not_stored_even_when_they_send_an_anonymous_caller_to_log_in(client, world):
    staff_paths = [p for p in every_plain_path() + PARAMETERISED if p.startswith(STAFF_PREFIXES)]
    assert len(staff_paths) > 20
    for path in staff_paths:
        response = client.get(path.format(**world))
        assert_not_stored(response, path)


def test_public_pages_for_anonymous_callers_keep_their_own_caching(client, world):
    for path in ("/", "/map/", "/reports/new/", f"/reports/{world['report']}/", "/api/v1/reports/"):
        assert "no-store" not in client.get(path).get("Cache-Control", ""), path
