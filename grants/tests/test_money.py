"""Money always adds up: budgets and grants are never exceeded, history is never edited, even under races."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from grants import services
from grants.models import Application, Call, Disbursement, Project
from grants.tests.conftest import award, make_call, make_ranked

TODAY = timezone.localdate


@pytest.mark.django_db
def test_over_budget_award_is_refused_and_nothing_is_written(grid, evaluator):
    call = make_call(budget="50000.00")
    first = make_ranked(call, evaluator, requested="40000.00", title="A")
    second = make_ranked(call, evaluator, requested="40000.00", title="B")
    award(first, "40000.00")
    with pytest.raises(ValidationError, match=r"Over budget: the call has 10000\.00 EUR left"):
        award(second, "10000.01")
    second.refresh_from_db()
    assert second.status == Application.Status.RANKED
    assert Project.objects.count() == 1
    award(second, "10000.00")  # exactly the rest is fine
    assert Call.objects.with_budget().get().remaining == Decimal("0.00")


@pytest.mark.django_db
def test_a_grant_above_the_requested_amount_is_refused(grid, evaluator):
    application = make_ranked(make_call(), evaluator, requested="20000.00")
    with pytest.raises(ValidationError, match="cannot exceed the amount requested"):
        award(application, "20000.01")


@pytest.mark.django_db
def test_an_application_is_funded_only_once(grid, evaluator):
    application = make_ranked(make_call(), evaluator)
    award(application, "10000.00")
    with pytest.raises(ValidationError, match="Only a ranked application"):
        award(application, "10000.00")
    assert Project.objects.count() == 1


@pytest.mark.django_db
def test_project_dates_out_of_order_are_refused(grid, evaluator):
    application = make_ranked(make_call(), evaluator)
    with pytest.raises(ValidationError, match="The end cannot be before the start"):
        services.project_award(
            application=application, granted_amount="1000", start_on=TODAY(), end_on=TODAY() - dt.timedelta(days=1)
        )
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_call_closing_before_it_opens():
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.create(
            kind="social_innovation", title_it="x", title_en="x", budget=1, opens_on=TODAY(),
            closes_on=TODAY() - dt.timedelta(days=1),
        )  # fmt: skip


@pytest.mark.django_db
def test_disbursement_beyond_the_grant_is_refused(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    services.disbursement_record(project=project, amount="20000.00", paid_on=TODAY())
    with pytest.raises(ValidationError, match=r"more than the 30000\.00 EUR granted"):
        services.disbursement_record(project=project, amount="10000.01", paid_on=TODAY())
    services.disbursement_record(project=project, amount="10000.00", paid_on=TODAY())
    assert Project.objects.with_money().get().to_disburse == Decimal("0.00")


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["abc", "0", "1.001", "NaN", "-inf"])
def test_non_numeric_or_zero_disbursements_are_refused(grid, evaluator, amount):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    with pytest.raises(ValidationError):
        services.disbursement_record(project=project, amount=amount, paid_on=TODAY())
    assert not Disbursement.objects.exists()


@pytest.mark.django_db
def test_a_future_payment_date_is_refused(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    with pytest.raises(ValidationError, match="future"):
        services.disbursement_record(project=project, amount="10", paid_on=TODAY() + dt.timedelta(days=1))


@pytest.mark.django_db
def test_a_correction_is_a_new_negative_entry_that_cannot_take_back_more_than_was_paid(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    tranche = services.disbursement_record(project=project, amount="12000.00", paid_on=TODAY())
    services.disbursement_record(project=project, amount="-2000.00", paid_on=TODAY(), corrects=tranche, note="typo")
    assert services.project_disbursed(project.pk) == Decimal("10000.00")
    assert Disbursement.objects.count() == 2
    with pytest.raises(ValidationError, match="cannot take back more"):
        services.disbursement_record(project=project, amount="-10000.01", paid_on=TODAY())


@pytest.mark.django_db
def test_the_database_never_lets_a_disbursement_be_edited_or_deleted(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    tranche = services.disbursement_record(project=project, amount="1000.00", paid_on=TODAY())
    with pytest.raises(IntegrityError, match="never edited"), transaction.atomic():
        Disbursement.objects.filter(pk=tranche.pk).update(amount=Decimal("900.00"))
    with pytest.raises(IntegrityError, match="never edited"), transaction.atomic():
        tranche.delete()


@pytest.mark.django_db
def test_the_database_refuses_money_rules_broken_outside_the_services(grid, evaluator):
    call = make_call(budget="50000.00")
    project = award(make_ranked(call, evaluator, requested="40000.00"), "40000.00")
    with pytest.raises(IntegrityError, match="budget"), transaction.atomic():
        Call.objects.filter(pk=call.pk).update(budget=Decimal("39999.99"))
    with pytest.raises(IntegrityError, match="would be paid"), transaction.atomic():
        Disbursement.objects.create(project=project, paid_on=TODAY(), amount=Decimal("40000.01"))
    services.disbursement_record(project=project, amount="30000.00", paid_on=TODAY())
    with pytest.raises(IntegrityError, match="more than the"), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(granted_amount=Decimal("29999.99"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.create(project=project, paid_on=TODAY(), amount=Decimal("0"))


@pytest.mark.django_db
def test_the_budget_view_shows_budget_committed_disbursed_and_remaining(grid, evaluator):
    call = make_call(budget="100000.00")
    other = make_call(budget="5000.00")
    p1 = award(make_ranked(call, evaluator, requested="40000.00", title="A"), "40000.00")
    p2 = award(make_ranked(call, evaluator, requested="25000.50", title="B"), "25000.50")
    services.disbursement_record(project=p1, amount="10000.00", paid_on=TODAY())
    services.disbursement_record(project=p1, amount="-0.01", paid_on=TODAY())
    services.disbursement_record(project=p2, amount="5000.25", paid_on=TODAY())
    rows = {c.pk: (c.budget, c.committed, c.disbursed, c.remaining) for c in Call.objects.with_budget()}
    assert rows[call.pk] == (Decimal("100000.00"), Decimal("65000.50"), Decimal("15000.24"), Decimal("34999.50"))
    assert rows[other.pk] == (Decimal("5000.00"), Decimal("0.00"), Decimal("0.00"), Decimal("5000.00"))


# --- races: several threads, each with its own database connection -------------------------------------------


def _run_in_threads(jobs) -> list:
    """Run each job in its own thread, all released at once; returns 'ok' or the refusal of each."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            with translation.override("en"):  # a new thread starts in the default language
                job()
            results[index] = "ok"
        except (ValidationError, IntegrityError) as error:
            results[index] = error
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_awards_never_exceed_the_call_budget(grid, evaluator):
    call = make_call(budget="100000.00")
    applications = [make_ranked(call, evaluator, requested="30000.00", title=f"P{i}") for i in range(8)]
    # Eight awards of 30,000 race for a budget of 100,000: exactly three can fit.
    results = _run_in_threads([lambda a=a: award(a, "30000.00") for a in applications])

    assert results.count("ok") == 3
    assert all(isinstance(r, ValidationError) and "Over budget" in r.messages[0] for r in results if r != "ok")
    budget = Call.objects.with_budget().get()
    assert budget.committed == Decimal("90000.00") and budget.remaining == Decimal("10000.00")
    assert Application.objects.filter(status="funded").count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_disbursements_never_exceed_the_grant(grid, evaluator):
    call = make_call(budget="100000.00")
    project = award(make_ranked(call, evaluator, requested="50000.00"), "50000.00")
    # Twelve tranches of 7,000 and four corrections of -1,000 race on a grant of 50,000.
    amounts = ["7000.00"] * 12 + ["-1000.00"] * 4
    results = _run_in_threads(
        [lambda amount=amount: services.disbursement_record(project=project, amount=amount, paid_on=TODAY())
         for amount in amounts]
    )  # fmt: skip

    paid = services.project_disbursed(project.pk)
    assert Decimal(0) <= paid <= Decimal("50000.00")
    recorded = list(Disbursement.objects.values_list("amount", flat=True))
    assert sum(recorded, Decimal(0)) == paid
    assert results.count("ok") == len(recorded)
    # Every refusal was the grant limit or the no-negative rule, never a crash.
    assert all(isinstance(r, ValidationError) for r in results if r != "ok")
    assert sum(1 for r in results if r != "ok") >= 12 - 7  # at most 7 tranches of 7,000 (+ corrections) fit
