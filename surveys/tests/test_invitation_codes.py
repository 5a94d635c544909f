"""A probability sample's invitation code answers once; a used or unknown code is refused in the person's language."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from surveys import services
from surveys.models import Campaign, Response
from surveys.tests import factories


@pytest.fixture
def sample(two_zones):
    west, east = two_zones
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=[west, east])
    return campaign, factories.invitations(campaign, {"W": 3, "E": 2})


def answer(campaign, code, **extra):
    return services.response_submit(campaign=campaign, safe_after_dark=3, invitation_code=code, **extra)


def test_an_invitation_code_answers_once_and_marks_the_invitation_used(sample):
    campaign, invitations = sample
    response = answer(campaign, invitations[0].code)
    invitations[0].refresh_from_db()
    assert invitations[0].used_at is not None
    assert response.invitation == invitations[0]
    assert response.instrument_version == campaign.instrument_version
    with pytest.raises(ValidationError) as refused:
        answer(campaign, invitations[0].code)
    assert "invitation_code" in refused.value.message_dict
    assert Response.objects.filter(campaign=campaign).count() == 1


def test_a_code_is_read_as_people_type_it(sample):
    campaign, invitations = sample
    typed = " " + "-".join([invitations[1].code[:5].lower(), invitations[1].code[5:].lower()]) + " "
    assert answer(campaign, typed).invitation == invitations[1]


def refusal(campaign, code: str, language: str) -> str:
    """The message a person reading ``language`` gets for ``code``."""
    with translation.override(language), pytest.raises(ValidationError) as refused:
        answer(campaign, code)
    with translation.override(language):
        return str(refused.value.message_dict["invitation_code"][0])


def test_a_reused_code_is_refused_in_italian_and_in_english(sample):
    campaign, invitations = sample
    answer(campaign, invitations[0].code)
    assert "già stato usato" in refusal(campaign, invitations[0].code, "it")
    assert "already been used" in refusal(campaign, invitations[0].code, "en")


def test_an_unknown_code_or_another_campaigns_code_is_refused(sample, two_zones):
    campaign, _invitations = sample
    other = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones))
    other_code = factories.invitations(other, {"W": 1})[0].code
    for code in ("", "NOTACODE99", other_code):
        assert "not valid for this survey" in refusal(campaign, code, "en")
        assert "non è valido" in refusal(campaign, code, "it")
    assert not Response.objects.exists()


def test_an_answer_with_an_invitation_lives_in_its_stratum_unless_the_person_says_where(sample, two_zones):
    campaign, invitations = sample
    _west, east = two_zones
    by_stratum = answer(campaign, invitations[0].code)
    assert (by_stratum.zone, by_stratum.zone_source) == (invitations[0].zone, Response.ZoneSource.INVITATION)
    said = answer(campaign, invitations[1].code, zone=east, zone_source=Response.ZoneSource.LIST)
    assert (said.zone, said.zone_source) == (east, Response.ZoneSource.LIST)


@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_code_at_the_same_time_save_one_answer(two_zones):
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones))
    code = factories.invitations(campaign, {"W": 1})[0].code
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit():
        try:
            barrier.wait(timeout=10)
            answer(campaign, code)
            outcomes.append("saved")
        except ValidationError as error:
            outcomes.append(error.message_dict["invitation_code"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes)[-1] == "saved" and outcomes.count("saved") == 1, outcomes
    assert Response.objects.filter(campaign=campaign).count() == 1


def test_an_open_campaign_takes_answers_without_a_code(two_zones):
    campaign = factories.campaign(Campaign.Mode.OPEN, zones=list(two_zones))
    response = services.response_submit(campaign=campaign, safe_after_dark=0, sex="F", age_band="25-34")
    assert response.invitation is None and response.safe_after_dark == 0


def test_a_closed_or_import_campaign_takes_no_web_answer(two_zones):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    closed = factories.campaign(
        Campaign.Mode.OPEN, opens_at=now - dt.timedelta(days=10), closes_at=now - dt.timedelta(days=1)
    )
    imported = factories.campaign(Campaign.Mode.IMPORT)
    for campaign in (closed, imported):
        with pytest.raises(ValidationError) as refused:
            services.response_submit(campaign=campaign, safe_after_dark=3)
        assert "campaign" in refused.value.message_dict
