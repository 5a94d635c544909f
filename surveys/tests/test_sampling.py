"""The probability sample: a seeded stratified draw, invitation letters and e-mails, reminders, response rates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from city.models import OutboundEmail
from surveys import selectors, services
from surveys.importers import frame_import
from surveys.models import Campaign
from surveys.tests import factories


def frame_file(tmp_path, rows: int = 30):
    lines = ["frame_id,zone_code,email,address,language"]
    lines += [
        f"P{i:03d},{'W' if i % 3 else 'E'},p{i}@example.org,Via Roma {i},{'en' if i % 5 == 0 else 'it'}"
        for i in range(rows)
    ]
    path = tmp_path / "frame.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def drawn_ids(campaign) -> list[str]:
    return sorted(campaign.invitations.values_list("frame_unit__external_id", flat=True))


def test_the_same_frame_and_seed_draw_the_same_sample_and_another_seed_another(two_zones, tmp_path):
    samples = []
    for seed in (11, 11, 12):
        campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones))
        frame_import(path=frame_file(tmp_path), campaign=campaign)
        services.sample_draw(campaign=campaign, seed=seed, sample_sizes={"W": 6, "E": 4})
        samples.append(drawn_ids(campaign))
    assert samples[0] == samples[1] and samples[0] != samples[2]
    assert len(samples[0]) == 10


def test_the_inclusion_probability_is_the_strata_sampling_fraction(two_zones, tmp_path):
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones))
    frame_import(path=frame_file(tmp_path), campaign=campaign)  # 20 units in W, 10 in E
    services.sample_draw(campaign=campaign, seed=1, sample_sizes={"W": 5, "E": 5})
    by_zone = {i.zone.code: i for i in campaign.invitations.select_related("zone")}
    assert by_zone["W"].inclusion_probability == pytest.approx(5 / 20) and by_zone["W"].design_weight == 4
    assert by_zone["E"].inclusion_probability == pytest.approx(5 / 10)


def test_without_a_frame_the_strata_are_the_zones_residents(two_zones):
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones))  # 12000 and 8000 people
    assert services.allocation_proportional(50, services.stratum_sizes(campaign)) == {"W": 30, "E": 20}
    services.sample_draw(campaign=campaign, seed=3, sample_sizes={"W": 30, "E": 20})
    probability = campaign.invitations.filter(zone__code="W").values_list("inclusion_probability", flat=True)[0]
    assert probability == pytest.approx(30 / 12000)
    assert campaign.invitations.values("code").distinct().count() == 50


def test_a_draw_larger_than_the_stratum_or_a_second_draw_is_refused(two_zones, tmp_path):
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones))
    frame_import(path=frame_file(tmp_path), campaign=campaign)
    with translation.override("en"), pytest.raises(ValidationError, match="cannot invite 11 out of 10"):
        services.sample_draw(campaign=campaign, seed=1, sample_sizes={"E": 11})
    services.sample_draw(campaign=campaign, seed=1, sample_sizes={"E": 2})
    with translation.override("en"), pytest.raises(ValidationError, match="already been drawn"):
        services.sample_draw(campaign=campaign, seed=1, sample_sizes={"E": 2})


def test_a_frame_with_bad_rows_is_refused_whole(two_zones, tmp_path):
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones))
    path = tmp_path / "frame.csv"
    path.write_text("frame_id,zone_code,email\nA,W,a@example.org\nB,NOWHERE,b@example.org\nA,E,not-an-address\n")
    from surveys.importers import SurveyImportError

    with pytest.raises(SurveyImportError) as refused:
        frame_import(path=str(path), campaign=campaign)
    message = str(refused.value)
    assert (
        "line 3, column zone_code" in message
        and "line 4, column frame_id" in message
        and "line 4, column email" in message
    )
    assert not campaign.frame_units.exists()


def test_invitations_are_emailed_once_in_the_invitees_language_and_reminders_go_only_to_non_respondents(
    two_zones, tmp_path
):
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones))
    frame_import(path=frame_file(tmp_path, rows=10), campaign=campaign)
    services.sample_draw(campaign=campaign, seed=5, sample_sizes={"W": 6, "E": 3})
    assert services.invitations_email(campaign=campaign) == 9
    assert services.invitations_email(campaign=campaign) == 0  # e-mailed once
    mails = OutboundEmail.objects.filter(kind="survey.invitation")
    assert mails.count() == 9
    english = campaign.invitations.filter(language="en").first()
    italian = campaign.invitations.filter(language="it").first()
    assert english.code in mails.get(to=english.email).body and "Answer here" in mails.get(to=english.email).body
    assert "Risponda qui" in mails.get(to=italian.email).body
    answered = campaign.invitations.order_by("code").first()
    services.response_submit(campaign=campaign, safe_after_dark=4, invitation_code=answered.code)
    assert services.invitations_remind(campaign=campaign) == 0  # not due yet
    later = timezone.now() + dt.timedelta(days=services.REMINDER_AFTER_DAYS, minutes=1)
    assert services.invitations_remind(campaign=campaign, now=later) == 8
    assert services.invitations_remind(campaign=campaign, now=later) == 0  # not again the same day
    reminded = set(OutboundEmail.objects.filter(kind="survey.reminder").values_list("to", flat=True))
    assert answered.email not in reminded and len(reminded) == 8


def test_response_rates_per_zone_and_in_all(two_zones):
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones))
    invitations = factories.invitations(campaign, {"W": 4, "E": 2})
    west = [i for i in invitations if i.zone.code == "W"]
    for invitation in west[:3]:
        services.response_submit(campaign=campaign, safe_after_dark=3, invitation_code=invitation.code)
    rates = {row["zone__code"]: row for row in selectors.response_rates(campaign)}
    assert (rates["W"]["invited"], rates["W"]["answered"], rates["W"]["rate"]) == (4, 3, 0.75)
    assert (rates["E"]["answered"], rates["E"]["rate"]) == (0, 0)
    assert (rates[""]["invited"], rates[""]["answered"]) == (6, 3)
