"""Published photos are served, through the very URLs the API, Open311 and the tracking page give out; nothing
else is: an unknown code, an unpublished report, a hidden photo or a path trick all get the same 404."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from conftest import make_user
from reports.models import Report
from reports.services import report_hide_photo, report_publish, report_reject_spam

from .factories import jpeg_with_gps, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def with_photo(two_zones, category):
    return submit(category, photo=jpeg_with_gps())


def path_of(url: str) -> str:
    return urlsplit(url).path


def assert_the_photo(response, report: Report):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    report.photo.open("rb")
    assert b"".join(response.streaming_content) == report.photo.read()


def test_the_apis_photo_url_serves_the_published_photo(client, with_photo, moderator):
    report_publish(report=with_photo, user=moderator)
    feature = client.get(f"/api/v1/reports/{with_photo.tracking_code}/").json()
    url = feature["properties"]["photo_url"]
    assert url.startswith("http://testserver/")
    response = client.get(path_of(url))
    assert_the_photo(response, with_photo)
    assert response["Cache-Control"] == "public, max-age=600"


def test_open311s_media_url_serves_the_published_photo(client, with_photo, moderator):
    report_publish(report=with_photo, user=moderator)
    (row,) = client.get(f"/open311/v2/requests/{with_photo.tracking_code}.json").json()
    assert_the_photo(client.get(path_of(row["media_url"])), with_photo)


def test_the_tracking_pages_image_is_the_served_photo(client, with_photo, moderator):
    report_publish(report=with_photo, user=moderator)
    page = client.get(with_photo.get_absolute_url()).content.decode()
    (src,) = re.findall(r'<img src="([^"]+/photo\.jpg)"', page)
    assert_the_photo(client.get(src), with_photo)


def without_csrf_token(body: bytes) -> bytes:
    """The 404 is the site's page, whose language switch carries a CSRF token masked afresh on every answer."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b'name="csrfmiddlewaretoken"', body)


def not_found_body(client) -> bytes:
    return without_csrf_token(client.get("/reports/NOPE2345/photo.jpg").content)


@pytest.mark.parametrize("state", ["unpublished", "hidden_photo", "spam"])
def test_a_photo_the_public_may_not_see_is_the_same_404_as_an_unknown_one(client, with_photo, moderator, state):
    if state != "unpublished":
        report_publish(report=with_photo, user=moderator)
    if state == "hidden_photo":
        report_hide_photo(report=with_photo, user=moderator)
    elif state == "spam":
        report_reject_spam(report=with_photo, user=moderator)
    response = client.get(with_photo.photo_url)
    assert response.status_code == 404
    assert without_csrf_token(response.content) == not_found_body(client)
    assert with_photo.tracking_code not in response.content.decode()


def test_moderators_see_any_photo_privately(client, with_photo, moderator):
    client.force_login(moderator)
    response = client.get(with_photo.photo_url)  # not published
    assert_the_photo(response, with_photo)
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}
    page = client.get(reverse("reports:moderation-detail", args=[with_photo.tracking_code])).content.decode()
    assert f'src="{with_photo.photo_url}"' in page


@pytest.mark.parametrize("role", ["officer", "grants_admin"])
def test_other_staff_do_not_see_unpublished_photos(client, with_photo, role):
    client.force_login(make_user(f"photo-{role}", role))
    assert client.get(with_photo.photo_url).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/reports/%2e%2e/photo.jpg",
        "/reports/..%2F..%2Fobservatory%2Fsettings.py/photo.jpg",
        "/reports/%00/photo.jpg",
        "/reports/" + "A" * 300 + "/photo.jpg",
        "/media/reports/",
        "/media/../observatory/settings.py",
    ],
)
def test_path_tricks_are_404(client, with_photo, moderator, path):
    report_publish(report=with_photo, user=moderator)
    assert client.get(path).status_code == 404
    with_photo.refresh_from_db()
    assert client.get(f"/media/{with_photo.photo.name}").status_code == 404  # no directory is served


def test_a_stored_name_that_leaves_media_root_is_never_followed(client, with_photo, moderator):
    report_publish(report=with_photo, user=moderator)
    Report.objects.filter(pk=with_photo.pk).update(photo="../observatory/settings.py")
    assert client.get(with_photo.photo_url).status_code == 404


def test_in_production_nginx_sends_the_file_after_the_check(client, with_photo, moderator, settings):
    settings.OBSERVATORY_MEDIA_ACCEL_REDIRECT = "/protected-media/"
    report_publish(report=with_photo, user=moderator)
    response = client.get(with_photo.photo_url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{with_photo.photo.name}"
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=600"
    assert response.content == b""
    report_hide_photo(report=with_photo, user=moderator)
    response = client.get(with_photo.photo_url)
    assert response.status_code == 404 and not response.has_header("X-Accel-Redirect")
