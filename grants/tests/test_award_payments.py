"""Award and money: CUP, RUP and award act per project, the beneficiary's DURC and anti-mafia check, the
art. 26 publication, and a payment plan whose tranches are due on approved milestones."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from grants import services
from grants.models import Disbursement, Milestone, Organisation, Project, Tranche
from grants.tests.conftest import award, make_call, make_organisation, make_ranked, next_cup

TODAY = timezone.localdate
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("cup", ["C11G0600000000", "C11G060000000011", "CC1G06000000001", "C11906000000001", "-"])
def test_a_cup_of_the_wrong_form_is_refused_and_nothing_is_written(grid, evaluator, cup):
    application = make_ranked(make_call(), evaluator)
    with pytest.raises(ValidationError, match="The CUP must be 15 characters"):
        award(application, cup=cup)
    assert not Project.objects.exists()


def test_a_cup_is_kept_in_its_canonical_form_and_is_unique(grid, evaluator):
    call = make_call()
    project = award(make_ranked(call, evaluator, title="A"), cup=" c11g 26 000 000 001 ")
    assert project.cup == "C11G26000000001"
    with pytest.raises(ValidationError, match="already the code of another project"):
        award(make_ranked(call, evaluator, title="B"), cup="C11G26000000001")


def test_the_database_refuses_a_cup_of_the_wrong_form_written_outside_the_services(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator))
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(cup="not-a-cup")


def test_an_act_needs_its_number_and_its_date(grid, evaluator):
    with pytest.raises(ValidationError, match="both its number and its date"):
        award(make_ranked(make_call(), evaluator), award_act_date=None)


@pytest.mark.parametrize(("tax_code", "natural"), [("12345678901", False), ("1234567890", False), ("ABC", True)])
def test_a_bad_tax_code_is_refused(db, tax_code, natural):
    with pytest.raises(ValidationError):
        services.organisation_register(name="Ente", tax_code=tax_code, natural_person=natural)
    assert not Organisation.objects.exists()


def test_a_valid_organisation_tax_code_is_accepted(db):
    assert services.organisation_register(name="Comune", tax_code="00514490010").tax_code == "00514490010"


def _pay(project, amount="1000.00", paid_on=None):
    return services.disbursement_record(project=project, amount=amount, paid_on=paid_on or TODAY())


def test_no_payment_before_the_art_26_publication(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), publish=False)
    with pytest.raises(ValidationError, match="not published"):
        _pay(project)
    services.project_publish(project=project)
    assert _pay(project).amount == Decimal("1000.00")


def test_publishing_needs_the_art_27_fields(grid, evaluator):
    project = award(
        make_ranked(make_call(), evaluator), publish=False, rup="", award_act_number="", award_act_date=None
    )
    with pytest.raises(ValidationError, match="the award act, the responsible official"):
        services.project_publish(project=project)
    assert Project.objects.get().published_at is None


def test_no_payment_while_the_durc_is_expired(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator))
    services.organisation_checks_record(organisation=project.organisation, durc_valid_until=TODAY() - dt.timedelta(1))
    with pytest.raises(ValidationError, match="DURC is missing or expired"):
        _pay(project)
    # A payment dated while the DURC was still valid is fine.
    assert _pay(project, paid_on=TODAY() - dt.timedelta(days=2)).pk
    assert Disbursement.objects.count() == 1


def test_no_payment_without_a_cup(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), cup="")
    with pytest.raises(ValidationError, match="needs the project's CUP"):
        _pay(project)


def test_over_the_threshold_a_payment_needs_a_cleared_anti_mafia_check(grid, evaluator, settings):
    settings.GRANTS_ANTIMAFIA_THRESHOLD_EUR = "20000"
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    with pytest.raises(ValidationError, match="cleared anti-mafia check"):
        _pay(project)
    services.organisation_checks_record(
        organisation=project.organisation, antimafia_status="requested", antimafia_checked_on=None
    )
    with pytest.raises(ValidationError, match="cleared anti-mafia check"):
        _pay(project)
    services.organisation_checks_record(
        organisation=project.organisation, antimafia_status="cleared", antimafia_checked_on=TODAY()
    )
    assert _pay(project).pk
    below = award(make_ranked(make_call(), evaluator, requested="15000.00"), "15000.00")
    assert _pay(below).pk  # under the threshold no anti-mafia check is needed


def test_the_default_anti_mafia_threshold_is_150000_eur():
    assert services.antimafia_threshold() == Decimal("150000")


def test_a_correction_taking_money_back_is_allowed_whatever_the_checks(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator))
    paid = _pay(project, "5000.00")
    services.organisation_checks_record(organisation=project.organisation, durc_valid_until=TODAY() - dt.timedelta(1))
    services.disbursement_record(project=project, amount="-500.00", paid_on=TODAY(), corrects=paid)
    assert services.project_disbursed(project.pk) == Decimal("4500.00")


def _milestone(project, done=True):
    return Milestone.objects.create(
        project=project, title_it="SAL 1", title_en="Progress 1", due_on=TODAY(), done_on=TODAY() if done else None
    )


def test_a_payment_plan_is_paid_as_its_milestones_are_approved(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    first = _milestone(project)
    advance = services.tranche_add(project=project, kind="advance", amount="12000.00")
    progress = services.tranche_add(project=project, kind="progress", amount="9000.00", milestone=first)
    balance = services.tranche_add(project=project, kind="balance", amount="9000.00")

    services.tranche_pay(tranche=advance, paid_on=TODAY())
    with pytest.raises(ValidationError, match="already paid"):
        services.tranche_pay(tranche=advance, paid_on=TODAY())
    with pytest.raises(ValidationError, match=r"once the milestone 'Progress 1' is approved"):
        services.tranche_pay(tranche=progress, paid_on=TODAY())
    with pytest.raises(ValidationError, match="every milestone"):
        services.tranche_pay(tranche=balance, paid_on=TODAY())

    services.milestone_approve(milestone=first)
    with pytest.raises(ValidationError, match="paid last"):
        services.tranche_pay(tranche=balance, paid_on=TODAY())
    services.tranche_pay(tranche=progress, paid_on=TODAY())
    services.tranche_pay(tranche=balance, paid_on=TODAY())
    assert services.project_disbursed(project.pk) == Decimal("30000.00")
    assert Tranche.objects.filter(disbursement__isnull=True).count() == 0


def test_a_payment_plan_never_adds_up_to_more_than_the_grant(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    services.tranche_add(project=project, kind="advance", amount="20000.00")
    with pytest.raises(ValidationError, match=r"more than the 30000\.00 EUR granted"):
        services.tranche_add(project=project, kind="balance", amount="10000.01")
    with pytest.raises(ValidationError, match="one advance"):
        services.tranche_add(project=project, kind="advance", amount="1.00")
    with pytest.raises(ValidationError, match="tied to a milestone"):
        services.tranche_add(project=project, kind="progress", amount="1.00")
    assert Tranche.objects.count() == 1


def test_a_tranche_is_not_paid_while_a_payment_condition_fails(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    advance = services.tranche_add(project=project, kind="advance", amount="12000.00")
    services.organisation_checks_record(organisation=project.organisation, durc_valid_until=TODAY() - dt.timedelta(1))
    with pytest.raises(ValidationError, match="DURC"):
        services.tranche_pay(tranche=advance, paid_on=TODAY())
    assert not Disbursement.objects.exists() and Tranche.objects.get().disbursement_id is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_of_one_tranche_pay_it_once(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    advance = services.tranche_add(project=project, kind="advance", amount="12000.00")
    barrier = threading.Barrier(4)
    outcomes = []

    def pay():
        try:
            barrier.wait()
            services.tranche_pay(tranche=advance, paid_on=TODAY())
            outcomes.append("paid")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid", "refused", "refused", "refused"]
    assert services.project_disbursed(project.pk) == Decimal("12000.00")


def test_the_beneficiary_registry_entry_comes_from_the_application_when_not_given(grid, evaluator):
    organisation = make_organisation("APS Notte")
    application = make_ranked(make_call(), evaluator)
    application.applicant = organisation
    application.save(update_fields=["applicant"])
    project = services.project_award(
        application=application, granted_amount="1000.00", start_on=TODAY(), end_on=TODAY(), cup=next_cup()
    )
    assert project.organisation == organisation
