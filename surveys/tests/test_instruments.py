"""Instruments are versioned: a published version is frozen, a change makes a new draft, answers keep theirs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from conftest import make_user
from surveys import services
from surveys.models import Campaign, Item
from surveys.tests import factories


def test_a_new_draft_copies_the_published_version_and_its_items_under_the_next_number(db):
    published = factories.standard_version()
    draft = services.instrument_version_new_draft(version=published)
    assert (draft.number, draft.is_published) == (published.number + 1, False)
    assert list(draft.items.values_list("code", "choices_text")) == list(
        published.items.values_list("code", "choices_text")
    )
    assert draft.headline_it.startswith("Quanto si sente sicuro/a camminando per strada quando è buio")


def test_answers_keep_the_version_they_answered_when_the_campaign_moves_on(two_zones):
    campaign = factories.campaign(Campaign.Mode.OPEN)
    first = services.response_submit(campaign=campaign, safe_after_dark=4)
    draft = services.instrument_version_new_draft(version=campaign.instrument_version)
    draft.items.filter(code="worry_crime").update(text_it="Nuova formulazione")
    services.instrument_version_publish(version=draft)
    second_campaign = factories.campaign(Campaign.Mode.OPEN, version=draft)
    second = services.response_submit(campaign=second_campaign, safe_after_dark=2)
    first.refresh_from_db()
    assert first.instrument_version.number == 1 and second.instrument_version.number == 2


def test_an_item_with_malformed_answers_cannot_be_published(db):
    version = services.instrument_version_new_draft(version=factories.standard_version())
    Item.objects.create(version=version, code="broken", text_it="?", text_en="?", choices_text="yes | Sì")
    with pytest.raises(ValidationError, match="broken"):
        services.instrument_version_publish(version=version)
    assert not version.is_published


def test_a_required_item_must_be_answered_and_unknown_answers_are_refused(two_zones):
    version = services.instrument_version_new_draft(version=factories.standard_version())
    version.items.filter(code="avoids_going_out").update(required=True)
    services.instrument_version_publish(version=version)
    campaign = factories.campaign(Campaign.Mode.OPEN, version=version)
    with pytest.raises(ValidationError) as refused:
        services.response_submit(campaign=campaign, safe_after_dark=3, answers={"slots_out": ["brunch"]})
    assert set(refused.value.message_dict) == {"answers[avoids_going_out]", "answers[slots_out]"}


def test_the_admin_shows_a_published_version_read_only_and_refuses_changes(client, db):
    published = factories.standard_version()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    url = f"/admin/surveys/instrumentversion/{published.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="headline_it"' not in page.content.decode()
    assert client.post(url, {"headline_it": "Altro"}).status_code == 403
    published.refresh_from_db()
    assert published.headline_it.startswith("Quanto si sente")
    assert client.get("/admin/surveys/campaign/").status_code == 200
    assert client.get("/admin/surveys/response/").status_code == 200
