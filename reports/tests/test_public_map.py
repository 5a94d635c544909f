"""The public map: clusters counted on the privacy grid, filters, the paged list without JavaScript, and the
cache that moderation refreshes."""

import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from conftest import square_zone
from reports import services
from reports.models import PerceivedSafety, Report
from reports.privacy import snapped

from .factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(db):
    return User.objects.create_user("mod-map")


@pytest.fixture
def zone(db):
    return square_zone("C", 7.67, 45.06, size=0.02, name="Centro", district="Circoscrizione 1")


def published(category, moderator, **kwargs):
    report = submit(category, **kwargs)
    return services.report_publish(report=report, user=moderator)


def clusters(client, **params):
    response = client.get(reverse("public-map-clusters"), params)
    assert response.status_code == 200, response.content
    return json.loads(response.content)["features"]


def test_clusters_count_published_reports_and_never_show_an_exact_place(client, zone, category, moderator):
    a = published(category, moderator, lon=7.6751, lat=45.0651, perceived_safety=PerceivedSafety.VERY_UNSAFE)
    published(category, moderator, lon=7.6751, lat=45.0651, perceived_safety=PerceivedSafety.VERY_UNSAFE)
    published(category, moderator, lon=7.6855, lat=45.0755, perceived_safety=PerceivedSafety.VERY_SAFE)
    submit(category, lon=7.6752, lat=45.0651)  # not published: never counted
    city_wide = clusters(client, zoom=10)
    assert sum(f["properties"]["count"] for f in city_wide) == 3
    close = clusters(client, zoom=18)
    assert sum(f["properties"]["count"] for f in close) == 3 and len(close) >= 2
    snapped_point = Report.objects.annotate(p=snapped("location")).get(pk=a.pk).p
    lone = next(f for f in close if f["properties"]["levels"] == [0, 0, 0, 1])
    # A cluster of one sits on its report's snapped point, not on the report's own place.
    assert lone["geometry"]["coordinates"] != [7.6855, 45.0755]
    pair = next(f for f in close if f["properties"]["levels"][0] >= 1)
    assert pair["geometry"]["coordinates"] == pytest.approx([snapped_point.x, snapped_point.y], abs=1e-6)
    latest = pair["properties"]["latest"][0]
    assert set(latest) == {"code", "category", "level", "status", "date"} and pair["properties"]["zone"] == "C"


def test_filters_keep_what_they_say(client, zone, category, moderator):
    open_one = published(category, moderator)
    closed = published(category, moderator, lon=7.68)
    services.report_set_status(report=closed, status=Report.Status.RESOLVED, public_note="Riparato.", user=moderator)
    assert sum(f["properties"]["count"] for f in clusters(client, zoom=10, status="open")) == 1
    assert sum(f["properties"]["count"] for f in clusters(client, zoom=10, status="closed")) == 1
    assert clusters(client, zoom=10, category="harassment") == []
    assert sum(f["properties"]["count"] for f in clusters(client, zoom=10, period="30", slot=open_one.slot)) >= 1


def test_bad_filters_are_a_400_by_field_in_the_users_language(client, zone):
    response = client.get(reverse("public-map-clusters"), {"zoom": "far", "status": "maybe"})
    assert response.status_code == 400
    assert set(response.json()) == {"zoom", "status"} and "zoom" in response.json()["zoom"][0].lower()
    page = client.get(reverse("public-map"), {"period": "forever"}, HTTP_COOKIE="django_language=en")
    assert page.status_code == 400 and "Please choose a period from the list." in page.content.decode()


def test_the_list_without_javascript_pages_through_the_reports(client, zone, category, moderator):
    for i in range(23):
        published(category, moderator, hours_ago=1 + i)
    first = client.get(reverse("public-map"), {"status": "open"}, HTTP_COOKIE="django_language=en").content.decode()
    assert "23 published reports" in first and "Page 1 of 2" in first and "status=open&amp;page=2" in first
    second = client.get(reverse("public-map"), {"status": "open", "page": "2"}).content.decode()
    assert second.count('class="border-bottom py-2"') == 3
    assert reverse("public-zone", args=["C"]) in second


def test_clusters_are_cached_until_a_moderator_acts(
    client, zone, category, moderator, django_assert_num_queries, django_capture_on_commit_callbacks
):
    published(category, moderator)
    pending = submit(category, lon=7.68)
    assert sum(f["properties"]["count"] for f in clusters(client, zoom=12)) == 1
    with django_assert_num_queries(0):
        assert sum(f["properties"]["count"] for f in clusters(client, zoom=12)) == 1
    with django_capture_on_commit_callbacks(execute=True):  # the token moves on when the moderation commits
        services.report_publish(report=pending, user=moderator)
    assert sum(f["properties"]["count"] for f in clusters(client, zoom=12)) == 2
