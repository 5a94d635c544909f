"""An applicant withdraws a submitted application before the deadline, recorded in its events; after the
deadline, or once the office has examined it, nothing changes."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grants import services as grants_services
from grants.applicants import services
from grants.models import Application
from grants.tests.applicants_support import TEST_PASSWORD, applicant, complete_draft, open_call

pytestmark = pytest.mark.django_db


def test_withdrawing_before_the_deadline_is_recorded_in_the_events(client, grid):
    call = open_call()
    owner = applicant()
    draft = services.draft_submit(draft=complete_draft(owner, call, grid))
    client.login(username=owner.username, password=TEST_PASSWORD)
    page = client.get(reverse("applicants:draft", args=[draft.pk])).content.decode()
    assert reverse("applicants:withdraw", args=[draft.pk]) in page
    response = client.post(reverse("applicants:withdraw", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    application = draft.application
    assert draft.status == "withdrawn" and application.status == Application.Status.WITHDRAWN
    event = application.events.last()
    assert (event.from_status, event.to_status, event.actor) == ("submitted", "withdrawn", owner)
    assert draft.protocol_number in event.note
    # Withdrawn: not again, not changed, not in the office's workflow.
    with pytest.raises(ValidationError):
        services.application_withdraw(draft=draft)
    assert not application.can_move_to(Application.Status.ELIGIBLE)
    assert "Ritirata" in client.get(reverse("applicants:mine")).content.decode()


def test_after_the_deadline_an_application_cannot_be_withdrawn(grid):
    call = open_call(days_left=1)
    draft = services.draft_submit(draft=complete_draft(applicant(), call, grid))
    with pytest.raises(ValidationError, match="deadline of this call has passed"):
        services.application_withdraw(draft=draft, now=call.online.deadline + dt.timedelta(minutes=1))
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.application.status == Application.Status.SUBMITTED
    assert draft.application.events.count() == 1


def test_once_the_office_has_examined_it_it_cannot_be_withdrawn(grid):
    call = open_call()
    draft = services.draft_submit(draft=complete_draft(applicant(), call, grid))
    grants_services.application_transition(application=draft.application, to_status="eligible")
    with pytest.raises(ValidationError, match="already examined"):
        services.application_withdraw(draft=draft, now=timezone.now())
    draft.refresh_from_db()
    assert draft.status == "submitted"
