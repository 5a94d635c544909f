"""The public page of a zone: its published reports, the residents' survey share beside the reporters' share
(each labelled for what it is), its funded projects and the interventions done there with their measured effect;
anyone may read it, and it comes from the cache."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from city.models import Zone
from conftest import make_user, square_zone
from grants.tests.conftest import award, cell_centre, grid, make_call, make_ranked, site_at  # noqa: F401  (grid: a fixture)
from interventions.models import Intervention
from interventions.services import intervention_record
from interventions.tests.test_impact import _lamp_repair, _nightly_shares
from reports import services
from reports.tests.factories import submit
from surveys.models import SurveyEstimate
from surveys.tests.weighting_fixtures import surveyed_city
from surveys.weighting import weighting_run_execute

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
    assert "People who reported here (self-selected)" in html and "This is the reporters' share" in html
    assert "1 published report in the last 12 months." in html  # the unmoderated one is not counted
    assert shown.get_absolute_url() in html and "Non ancora moderata" not in html
    assert project.get_absolute_url() in html and "Luci in piazza" in html
    assert "What the city and its partners did here" in html


def test_the_page_comes_from_the_cache_until_a_moderator_acts(
    client, zone, category, django_assert_num_queries, django_capture_on_commit_callbacks
):
    moderator = User.objects.create_user("mod-zone-2")
    pending = submit(category, lon=7.655, lat=45.055)
    assert "0 published reports" in client.get(reverse("public-zone", args=["G11"]), **EN).content.decode()
    with django_assert_num_queries(0):  # the rendered body, the zone's name included, comes from the cache
        assert client.get(reverse("public-zone", args=["G11"]), **EN).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the token moves on when the moderation commits
        services.report_publish(report=pending, user=moderator)
    assert "1 published report in" in client.get(reverse("public-zone", args=["G11"]), **EN).content.decode()


def test_an_unknown_zone_is_a_404_and_no_404_is_cached(client, zone):
    assert client.get(reverse("public-zone", args=["NOPE"])).status_code == 404
    square_zone("NOPE", 7.70, 45.05)  # nothing was cached for the unknown code
    assert client.get(reverse("public-zone", args=["NOPE"])).status_code == 200
    assert client.get("/map/zones/%00/").status_code == 404


def test_the_residents_share_from_the_weighted_survey_is_shown_with_its_honest_label(client):
    campaign, zones = surveyed_city()
    weighting_run_execute(campaign=campaign)
    estimate = SurveyEstimate.objects.filter(
        campaign=campaign, zone=zones[0], period_kind="campaign", slot="", reading="not_safe", suppressed=False,
        method__in=["small_area", "weighted"],
    ).order_by("method").first()  # fmt: skip
    html = client.get(reverse("public-zone", args=[zones[0].code]), **EN).content.decode()
    assert "Residents (the city" in html
    assert f"{round(estimate.value * 100)}% feel safe" in html
    assert f"Between {round(estimate.lower * 100)}% and {round(estimate.upper * 100)}% with 95% confidence" in html
    version = campaign.instrument_version
    assert f"to the question “{version.headline_en}” (Safety, version 1)" in html
    assert "Survey: Autumn, Probability sample (invitation codes)" in html
    opens, closes = timezone.localtime(campaign.opens_at), timezone.localtime(campaign.closes_at)
    assert f"Answers collected from {opens:%-d %B %Y} to {closes:%-d %B %Y}." in html
    assert "People who reported here (self-selected)" in html  # beside it, the reporters' share, labelled


def test_an_open_link_survey_is_not_shown_as_the_residents_share(client):
    campaign, zones = surveyed_city(mode="open")
    weighting_run_execute(campaign=campaign)
    html = client.get(reverse("public-zone", args=[zones[0].code]), **EN).content.decode()
    assert "The city has not surveyed the residents of this zone yet" in html and "feel safe</p>" not in html


def test_a_zone_without_survey_intervention_or_report_says_so_in_words_a_citizen_reads(client, zone):
    html = client.get(reverse("public-zone", args=["G11"])).content.decode()  # Italian by default
    assert "La città non ha ancora intervistato i residenti di questa zona" in html
    assert "Nessun intervento è ancora stato registrato in questa zona." in html
    assert "Nessuno ha ancora segnalato qualcosa qui" in html


def test_an_intervention_is_listed_with_who_when_and_its_measured_effect(client, grid):  # noqa: F811
    start = timezone.localdate() - dt.timedelta(days=30)
    repair = _lamp_repair(1, 1, start, partner="Iren Smart Solutions")
    _nightly_shares(list(Zone.objects.order_by("code")), start, lifted_codes={"G11"}, lift=0.15, seed=2)
    intervention_record(what="Festa di via annullata", kind=Intervention.Kind.EVENT, start_on=start,
                        place=Point(*cell_centre(1, 1), srid=4326), cancelled=True)  # fmt: skip
    html = client.get(reverse("public-zone", args=["G11"]), **EN).content.decode()
    assert repair.what in html and "Lighting repair" in html and "By Iren Smart Solutions" in html
    assert f"since {start:%-d %B %Y}" in html and "at night" in html
    assert "Festa di via annullata" not in html  # it did not happen
    assert '<span class="badge bg-success">safer</span>' in html
    assert "An interval that includes 0 means no change could be told apart from chance" in html
