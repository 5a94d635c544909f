"""The public page of a zone: its published reports, the reporters' share (labelled as such), its funded
projects and the section interventions will fill; anyone may read it, and it comes from the cache."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from conftest import make_user, square_zone
from grants.tests.conftest import award, make_call, make_ranked, site_at
from reports import services
from reports.tests.factories import submit

pytestmark = pytest.mark.django_db
EN = {"HTTP_COOKIE": "django_language=en"}


@pytest.fixture
def zone(db):
    # The grants helpers place sites on a grid from (7.64, 45.04); cell (1, 1) is inside this zone.
    return square_zone("G11", 7.65, 45.05, 0.01, name="San Salvario", district="Circoscrizione 8")


def test_anyone_reads_what_was_reported_how_reporters_feel_and_the_funded_projects(client, zone, category):
    moderator = User.objects.create_user("mod-zone")
    shown = services.report_publish(report=submit(category, lon=7.655, lat=45.055), user=moderator)
    submit(category, lon=7.655, lat=45.055, description="Non ancora moderata")
    evaluator = make_user("evaluator-zone", "grants_admin", is_staff=True)
    project = award(make_ranked(make_call(), evaluator, sites=site_at(1, 1), title="Luci in piazza"), actor=evaluator)
    response = client.get(reverse("public-zone", args=["G11"]), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="h2">San Salvario, Circoscrizione 8</h1>' in html
    assert "How safe people who reported here feel" in html and "This is the reporters' share" in html
    assert "1 published report in the last 12 months." in html  # the unmoderated one is not counted
    assert shown.get_absolute_url() in html and "Non ancora moderata" not in html
    assert project.get_absolute_url() in html and "Luci in piazza" in html
    assert "Interventions by the city" in html


def test_the_page_comes_from_the_cache_until_a_moderator_acts(
    client, zone, category, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    moderator = User.objects.create_user("mod-zone-2")
    pending = submit(category, lon=7.655, lat=45.055)
    assert "0 published reports" in client.get(reverse("public-zone", args=["G11"]), **EN).content.decode()
    with django_assert_max_num_queries(1):  # the zone itself; the rest comes from the cache
        client.get(reverse("public-zone", args=["G11"]), **EN)
    with django_capture_on_commit_callbacks(execute=True):  # the token moves on when the moderation commits
        services.report_publish(report=pending, user=moderator)
    assert "1 published report in" in client.get(reverse("public-zone", args=["G11"]), **EN).content.decode()


def test_an_unknown_zone_is_a_404(client, zone):
    assert client.get(reverse("public-zone", args=["NOPE"])).status_code == 404
    assert client.get("/map/zones/%00/").status_code == 404
