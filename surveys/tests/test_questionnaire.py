"""The questionnaire page: works as a plain form post (no JavaScript), in Italian and English, errors on fields."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission

from conftest import make_user
from reports.ratelimit import rate_limit_reset
from surveys.models import Campaign, Response
from surveys.tests import factories


@pytest.fixture
def probability(two_zones):
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones), code="indagine")
    return campaign, factories.invitations(campaign, {"W": 2, "E": 1})


@pytest.fixture
def open_campaign(two_zones):
    rate_limit_reset("127.0.0.1")
    return factories.campaign(Campaign.Mode.OPEN, zones=list(two_zones), code="aperto")


def test_the_page_asks_istats_question_in_italian_by_default_and_in_english_on_request(client, probability):
    page = client.get("/surveys/indagine/").content.decode()
    assert "Quanto si sente sicuro/a camminando per strada quando è buio ed è da solo/a nella zona in cui vive?" in page
    for answer in (
        "Molto sicuro/a",
        "Abbastanza sicuro/a",
        "Poco sicuro/a",
        "Per niente sicuro/a",
        "Non esco mai da solo/a quando è buio",
    ):
        assert answer in page
    client.cookies["django_language"] = "en"
    page = client.get("/surveys/indagine/").content.decode()
    assert "How safe do you feel walking alone in the street after dark" in page and "Invitation code" in page


def test_the_link_in_the_email_fills_in_the_code_and_a_plain_post_saves_the_answer(client, probability):
    _campaign, invitations = probability
    code = invitations[0].code
    assert f'value="{code}"' in client.get(f"/surveys/indagine/?code={code}").content.decode()
    response = client.post(
        "/surveys/indagine/",
        {"invitation_code": code, "safe_after_dark": "2", "item_avoids_going_out": "sometimes",
         "item_slots_out": ["day", "evening"], "sex": "F", "age_band": "45-54", "zone": str(invitations[0].zone_id)},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/surveys/indagine/thanks/"
    saved = Response.objects.get()
    assert (saved.safe_after_dark, saved.sex, saved.age_band, saved.zone_source) == (2, "F", "45-54", "list")
    assert saved.answers == {"avoids_going_out": "sometimes", "slots_out": ["day", "evening"]}
    assert saved.language == "it"


def test_a_used_code_comes_back_on_its_field_in_the_persons_language(client, probability):
    _campaign, invitations = probability
    body = {"invitation_code": invitations[0].code, "safe_after_dark": "4"}
    assert client.post("/surveys/indagine/", body).status_code == 302
    client.cookies["django_language"] = "en"
    response = client.post("/surveys/indagine/", body)
    page = response.content.decode()
    assert response.status_code == 400
    assert "already been used" in page
    assert (
        'aria-invalid="true"' in page
        and 'aria-describedby="id_invitation_code-help id_invitation_code_error"' in page
        and 'id="id_invitation_code_error"' in page
    )
    assert Response.objects.count() == 1


def test_a_missing_headline_answer_is_an_error_tied_to_its_question(client, open_campaign):
    response = client.post("/surveys/aperto/", {"item_worry_crime": "very"})
    page = response.content.decode()
    assert response.status_code == 400
    assert '<p class="invalid-feedback d-block" id="id_safe_after_dark_error">' in page
    question = page.split('<fieldset class="survey-question mb-4" id="id_safe_after_dark"')[1].split("</fieldset>")[0]
    assert question.lstrip().startswith('aria-describedby="id_safe_after_dark_error"')  # the question's fieldset
    assert question.count('name="safe_after_dark"') == question.count('aria-invalid="true"') == 5
    assert 'href="#id_safe_after_dark"' in page  # the summary links to the question
    assert re.search(r'value="very" id="id_item_worry_crime_0"\s+checked', page)  # what was answered stays answered
    assert not Response.objects.exists()


def test_the_zone_is_taken_from_the_typed_street_or_refused_when_not_found(client, open_campaign):
    ok = client.post("/surveys/aperto/", {"safe_after_dark": "3", "address": "Via Garibaldi, zona Ovest"})
    assert ok.status_code == 302
    saved = Response.objects.get()
    assert (saved.zone.code, saved.zone_source) == ("W", "address")
    refused = client.post("/surveys/aperto/", {"safe_after_dark": "3", "address": "Corso Inesistente 1"})
    assert refused.status_code == 400 and "Non abbiamo trovato questa via" in refused.content.decode()


def test_a_pin_on_the_map_gives_the_zone(client, open_campaign):
    assert (
        client.post(
            "/surveys/aperto/", {"safe_after_dark": "1", "latitude": "45.065", "longitude": "7.685"}
        ).status_code
        == 302
    )
    assert (Response.objects.get().zone.code, Response.objects.get().zone_source) == ("E", "map")


def test_the_honeypot_and_a_closed_or_unknown_campaign_save_nothing(client, open_campaign):
    assert client.post("/surveys/aperto/", {"safe_after_dark": "3", "website": "http://spam"}).status_code == 400
    assert client.get("/surveys/nope/").status_code == 404
    assert not Response.objects.exists()


def test_the_campaign_page_shows_response_rates_to_staff_only(client, probability):
    _campaign, invitations = probability
    client.post("/surveys/indagine/", {"invitation_code": invitations[0].code, "safe_after_dark": "4"})
    assert client.get("/surveys/indagine/status/").status_code == 302  # to the login page
    client.force_login(make_user("outsider"))
    assert client.get("/surveys/indagine/status/").status_code == 403
    client.force_login(make_user("officer-s", "officer"))
    page = client.get("/surveys/indagine/status/").content.decode()
    assert 'id="response-rates"' in page and "invitations.csv" not in page
    assert client.get("/surveys/indagine/invitations.csv").status_code == 403


def test_a_campaign_manager_downloads_the_letters_and_sends_the_emails(
    client, probability, django_capture_on_commit_callbacks
):
    _campaign, invitations = probability
    manager = make_user("survey-admin", "officer", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="change_campaign"))
    client.force_login(manager)
    response = client.get("/surveys/indagine/invitations.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "code,zone_code,zone_name,frame_id,address,language,link,answered"
    assert all(i.code in text for i in invitations) and "/surveys/indagine/?code=" in text
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.post("/surveys/indagine/send/reminders/").status_code == 302
    assert len(callbacks) == 1
