"""Retention of the invitees' addresses: SURVEYS_CONTACT_RETENTION_DAYS after a campaign closes, the e-mail and
postal addresses of its invitations and of its sampling frame are erased by the beat's daily task. What the
weights and the response rates need stays: the zone, the inclusion probability, who answered and when."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from observatory.celery import app
from surveys import services
from surveys.importers import frame_import
from surveys.models import Campaign, FrameUnit, Invitation
from surveys.tasks import erase_invitee_contacts
from surveys.tests import factories
from surveys.tests.test_sampling import frame_file


def _invited(two_zones, tmp_path, code: str) -> Campaign:
    (tmp_path / code).mkdir(exist_ok=True)
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=list(two_zones), code=code)
    frame_import(path=frame_file(tmp_path / code, rows=10), campaign=campaign)
    services.sample_draw(campaign=campaign, seed=5, sample_sizes={"W": 6, "E": 4})
    return campaign


@pytest.mark.django_db
def test_addresses_are_erased_after_the_campaign_closed_and_the_weights_keep_what_they_need(two_zones, tmp_path):
    old = _invited(two_zones, tmp_path, "old")
    running = _invited(two_zones, tmp_path, "running")
    now = timezone.now()
    Campaign.objects.filter(pk=old.pk).update(
        opens_at=now - dt.timedelta(days=200), closes_at=now - dt.timedelta(days=91)
    )
    Campaign.objects.filter(pk=running.pk).update(closes_at=None)
    before = list(old.invitations.order_by("pk").values_list("zone_id", "inclusion_probability", "used_at"))
    assert old.invitations.exclude(email="").exists() and old.frame_units.exclude(address="").exists()

    erased = erase_invitee_contacts()

    assert erased == 20  # 10 invitations and 10 frame units
    assert not Invitation.objects.filter(campaign=old).exclude(email="").exists()
    assert not FrameUnit.objects.filter(campaign=old).exclude(email="", address="").exists()
    assert list(old.invitations.order_by("pk").values_list("zone_id", "inclusion_probability", "used_at")) == before
    # A campaign still running keeps its invitees' addresses for the reminders.
    assert running.invitations.exclude(email="").count() == 10
    assert erase_invitee_contacts() == 0  # a second run finds nothing


@pytest.mark.django_db
def test_a_campaign_closed_recently_keeps_the_addresses_until_the_period_ends(two_zones, tmp_path, settings):
    settings.SURVEYS_CONTACT_RETENTION_DAYS = 90
    campaign = _invited(two_zones, tmp_path, "recent")
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        opens_at=now - dt.timedelta(days=60), closes_at=now - dt.timedelta(days=30)
    )
    assert services.invitee_contacts_erase() == 0
    assert services.invitee_contacts_erase(now=now + dt.timedelta(days=61)) == 20


def test_the_beat_schedule_runs_the_erasure_daily():
    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "surveys.tasks.erase_invitee_contacts")
    assert entry["schedule"].hour == {4}
    assert "surveys.tasks.erase_invitee_contacts" in app.tasks
