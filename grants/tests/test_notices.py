"""Notices through the outbox, in the recipient's language with absolute links: outcomes when the graduatoria
is approved, and each payment of a tranche."""

import pytest
from django.utils import timezone

from city.models import OutboundEmail
from grants import services
from grants.tests.conftest import award, make_call, make_organisation, make_ranked, submit

pytestmark = pytest.mark.django_db


def test_approving_the_graduatoria_tells_each_applicant_its_outcome_in_its_language(grid, evaluator):
    call = make_call()
    funded = make_ranked(call, evaluator, title="A")
    english = make_organisation("Night Walks CIC")
    english.language = "en"
    english.save()
    refused = submit(call, title="B", contact_email="b@example.org", applicant=english)
    services.application_transition(application=refused, to_status="ineligible", note="Out of scope.")
    services.call_ranking_approve(call=call, act_number="DD 9/2026", act_date=timezone.localdate())

    italian = OutboundEmail.objects.get(reference=f"application:{funded.pk}")
    assert (italian.to, italian.language, italian.kind) == ("maria.rossi@example.org", "it", "grants.outcome")
    assert "Esito della domanda" in italian.subject and "Finanziata" in italian.body
    assert "http://" in italian.body or "https://" in italian.body
    assert f"/projects/calls/{call.pk}/" in italian.body
    other = OutboundEmail.objects.get(reference=f"application:{refused.pk}")
    assert other.language == "en" and "Not eligible." in other.body and "Out of scope." in other.body


def test_paying_a_tranche_tells_the_beneficiary(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    advance = services.tranche_add(project=project, kind="advance", amount="12000.00")
    services.tranche_pay(tranche=advance, paid_on=timezone.localdate())
    notice = OutboundEmail.objects.get(kind="grants.payment")
    assert notice.to == project.organisation.email and "12000,00" in notice.body and project.cup in notice.body
    assert "Anticipo" in notice.body and "Pagamento" in notice.subject
