"""Honest labels: the weighted survey share beside the reporters' share, and a national figure only where it matches."""

from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.models import Campaign, SurveyEstimate
from surveys.tests.weighting_fixtures import surveyed_city
from surveys.weighting import weighting_run_execute

pytestmark = pytest.mark.django_db


@pytest.fixture
def weighted(db):
    campaign, zones = surveyed_city(zones=6)
    weighting_run_execute(campaign=campaign)
    return campaign, zones


def test_the_overview_shows_the_weighted_share_with_the_self_completed_istat_series_only(client, officer, weighted):
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("dashboard")).content.decode()
    city = SurveyEstimate.objects.get(zone=None, method="weighted", period_kind="campaign", slot="", reading="not_safe")
    assert "Residents feeling safe (weighted survey)" in html and "Reporters who felt safe" in html
    assert f"{round(100 * city.value)}%" in html and "effective n" in html
    assert "Aspetti della vita quotidiana" in html and "62%" in html  # the web questionnaire is self-completed
    assert "76%" not in html and "Sicurezza dei cittadini" not in html
    assert "not comparable with ISTAT" in html


def test_an_open_link_campaign_is_never_shown_as_representative(client, officer):
    campaign, _zones = surveyed_city(zones=6, mode=Campaign.Mode.OPEN)
    weighting_run_execute(campaign=campaign)
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("dashboard")).content.decode()
    assert "No representative survey yet." in html and "62%" not in html


def test_the_zone_page_shows_both_shares_and_who_answered(client, officer, weighted):
    _campaign, zones = weighted
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("dashboard-zone", args=[zones[0].code])).content.decode()
    assert 'id="zone-survey-share"' in html and 'id="zone-reporters-share"' in html
    assert 'id="profile-table"' in html and "Respondents" in html and "75 and over" in html


def test_in_italian_the_labels_are_translated(client, officer, weighted):
    client.force_login(officer)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Residenti che si sentono sicuri (indagine ponderata)" in html
    assert "Segnalanti che si sono sentiti sicuri" in html
