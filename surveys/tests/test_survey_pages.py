"""The citizens' way to the surveys: the menu, the list of open campaigns with their dates, the privacy notice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from surveys.models import Campaign
from surveys.tests import factories

pytestmark = pytest.mark.django_db


def english() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def test_the_site_menu_leads_citizens_to_the_surveys():
    page = Client().get("/reports/new/")
    assert b'href="/surveys/"' in page.content and "<span>Questionari</span>" in page.content.decode()


def test_the_list_shows_the_open_campaigns_with_their_dates_and_not_the_closed_or_imported_ones():
    now = timezone.now()
    factories.campaign(Campaign.Mode.OPEN, code="aperta", title_en="Have your say", opens_at=now - dt.timedelta(days=3),
                       closes_at=dt.datetime(2099, 1, 31, 12, tzinfo=dt.UTC))  # fmt: skip
    factories.campaign(Campaign.Mode.PROBABILITY, code="campione", title_en="Your area at night", closes_at=None)
    factories.campaign(Campaign.Mode.OPEN, code="chiusa", title_en="Last year", opens_at=now - dt.timedelta(days=90),
                       closes_at=now - dt.timedelta(days=30))  # fmt: skip
    factories.campaign(Campaign.Mode.IMPORT, code="importata", title_en="Telephone survey")
    page = english().get("/surveys/").content.decode()
    assert "Have your say" in page and "to 31 January 2099" in page and "Open to anyone." in page
    assert "Your area at night" in page and "Open since" in page and "invitation code" in page
    assert "Last year" not in page and "Telephone survey" not in page
    assert 'href="/privacy/#surveys"' in page
    italian = Client().get("/surveys/").content.decode()
    assert "al 31 gennaio 2099" in italian


def test_the_questionnaire_links_the_privacy_notice_whose_survey_section_says_what_is_kept():
    factories.campaign(Campaign.Mode.OPEN, code="aperta")
    questionnaire = english().get("/surveys/aperta/").content.decode()
    assert 'href="/privacy/#surveys"' in questionnaire
    notice = english().get("/privacy/").content.decode()
    assert 'id="surveys"' in notice
    assert "stays linked to the invitation, also after the weighting" in notice
    assert "no more reminders" in notice
    assert "collegata all'invito" in Client().get("/privacy/").content.decode()
