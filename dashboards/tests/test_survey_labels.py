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


# --- every share says its instrument: pages, exports, API ------------------------------------------------


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


def test_each_share_names_its_instrument_and_the_national_figure_its_survey_and_year(client, officer, weighted):
    campaign, zones = weighted
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("dashboard")).content.decode()
    dates = f"{campaign.opens_at:%m/%d/%Y}–{campaign.closes_at:%m/%d/%Y}"
    assert f"Data source: residents&#x27; survey, weighted (Autumn, {dates})" in html
    assert "Data source: reporters (self-selected)" in html
    assert "Aspetti della vita quotidiana" in html and "2023" in html
    zone = client.get(reverse("dashboard-zone", args=[zones[0].code])).content.decode()
    assert "Data source: reporters (self-selected)" in zone and "residents&#x27; survey, weighted (Autumn" in zone
    client.cookies["django_language"] = "it"
    italian = client.get(reverse("dashboard")).content.decode()
    assert "Fonte dei dati: segnalanti (autoselezionati)" in italian
    assert "indagine sui residenti, ponderata (Autunno" in italian


def test_the_zone_export_has_a_source_column_for_each_share(client, officer, weighted):
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    body = _body(client.get(reverse("dashboard"), {"format": "csv"}))
    header, first = body.splitlines()[:2]
    assert "source" in header.split(",") and "share_feeling_safe_source" in header.split(",")
    assert "reporters (self-selected)" in first


def test_the_apis_say_which_instrument_a_share_comes_from(client, weighted):
    campaign, _zones = weighted
    client.cookies["django_language"] = "en"
    rows = client.get(f"/api/v1/surveys/{campaign.code}/estimates/", {"level": "city", "method": "weighted"}).json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert rows and all(r["source"].startswith("residents' survey, weighted (Autumn") for r in rows)
    csv = _body(client.get(f"/api/v1/surveys/{campaign.code}/estimates.csv"))
    assert csv.splitlines()[0].split(",")[-1] == "source" and "residents' survey, weighted" in csv
    listed = client.get("/api/v1/surveys/").json()
    listed = listed["results"] if isinstance(listed, dict) else listed
    assert listed[0]["source"].startswith("residents' survey, weighted")


def test_an_open_link_is_labelled_self_selected_in_the_api(client):
    campaign, _zones = surveyed_city(zones=4, mode=Campaign.Mode.OPEN)
    weighting_run_execute(campaign=campaign)
    client.cookies["django_language"] = "en"
    rows = client.get(f"/api/v1/surveys/{campaign.code}/estimates/", {"level": "city"}).json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert rows and all(r["source"].startswith("open link (self-selected): Autumn") for r in rows)
