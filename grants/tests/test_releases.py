"""A withdrawn project gives back to its call what it was not paid; the freed money can fund someone else.

Committed = granted - released. Releases are new entries (never edits), written under the same row
locks as awards and payments, and the database refuses any release, payment or award that breaks
the invariants, also when they race.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from grants import services
from grants.models import Call, Disbursement, GrantRelease, Project
from grants.tests.conftest import award, make_call, make_ranked
from grants.tests.test_money import _run_in_threads

TODAY = timezone.localdate
D = Decimal


def budget_row(call) -> tuple[Decimal, ...]:
    row = Call.objects.with_budget().get(pk=call.pk)
    return row.budget, row.granted, row.released, row.committed, row.disbursed, row.remaining


def withdraw(project, **extra):
    return services.project_status_change(project=project, status=Project.Status.WITHDRAWN, **extra)


def assert_money_adds_up(call) -> None:
    """The invariants, read back from the rows: what a call commits fits its budget; a project is paid
    between nothing and what it commits; a withdrawn project commits exactly what it was paid."""
    row = Call.objects.with_budget().get(pk=call.pk)
    assert row.committed <= row.budget and row.remaining >= 0
    for project in Project.objects.with_money().filter(call=call):
        assert D(0) <= project.released <= project.granted_amount
        assert D(0) <= project.disbursed <= project.committed
        if project.status == Project.Status.WITHDRAWN:
            assert project.committed == project.disbursed
    assert row.committed == sum((p.committed for p in Project.objects.with_money().filter(call=call)), D(0))


@pytest.mark.django_db
def test_withdrawing_a_project_releases_what_was_not_paid_and_the_budget_view_shows_it(grid, evaluator):
    call = make_call(budget="100000.00")
    project = award(make_ranked(call, evaluator, requested="60000.00"), "60000.00")
    services.disbursement_record(project=project, amount="20000.00", paid_on=TODAY())
    assert budget_row(call) == (D("100000.00"), D("60000.00"), D("0.00"), D("60000.00"), D("20000.00"),
                                D("40000.00"))  # fmt: skip

    withdraw(project, actor=evaluator)

    release = GrantRelease.objects.get()
    assert release.amount == D("40000.00") and release.recorded_by == evaluator and release.project == project
    assert budget_row(call) == (D("100000.00"), D("60000.00"), D("40000.00"), D("20000.00"), D("20000.00"),
                                D("80000.00"))  # fmt: skip
    row = Project.objects.with_money().get()
    assert (row.status, row.committed, row.disbursed, row.to_disburse) == (
        "withdrawn",
        D("20000.00"),
        D("20000.00"),
        D("0.00"),
    )
    assert Project.objects.get().granted_amount == D("60000.00")  # the grant itself is history, never edited
    assert_money_adds_up(call)


@pytest.mark.django_db
def test_the_freed_money_can_be_awarded_to_another_application(grid, evaluator):
    call = make_call(budget="100000.00")
    first = award(make_ranked(call, evaluator, requested="60000.00", title="A"), "60000.00")
    award(make_ranked(call, evaluator, requested="40000.00", title="B"), "40000.00")
    waiting = make_ranked(call, evaluator, requested="35000.00", title="C")
    with pytest.raises(ValidationError, match=r"Over budget: the call has 0\.00 EUR left"):
        award(waiting, "35000.00")
    services.disbursement_record(project=first, amount="20000.00", paid_on=TODAY())

    withdraw(first)
    third = award(waiting, "35000.00")

    assert third.granted_amount == D("35000.00")
    assert budget_row(call)[3:] == (D("95000.00"), D("20000.00"), D("5000.00"))
    with pytest.raises(ValidationError, match=r"Over budget: the call has 5000\.00 EUR left"):
        award(make_ranked(call, evaluator, requested="5000.01", title="D"), "5000.01")
    assert_money_adds_up(call)


@pytest.mark.django_db
def test_a_suspended_project_keeps_its_money_until_it_is_withdrawn(grid, evaluator):
    call = make_call(budget="100000.00")
    project = award(make_ranked(call, evaluator, requested="50000.00"), "50000.00", status="active")
    services.disbursement_record(project=project, amount="12500.50", paid_on=TODAY())

    services.project_status_change(project=project, status=Project.Status.SUSPENDED)
    assert budget_row(call)[2:4] == (D("0.00"), D("50000.00"))  # suspended: it may resume, the grant stays
    withdraw(project)

    assert budget_row(call)[2:4] == (D("37499.50"), D("12500.50"))
    assert list(GrantRelease.objects.values_list("amount", flat=True)) == [D("37499.50")]
    assert "Suspended" in GrantRelease.objects.get().reason
    assert_money_adds_up(call)


@pytest.mark.django_db
def test_withdrawing_twice_releases_once(grid, evaluator):
    call = make_call()
    project = award(make_ranked(call, evaluator), "30000.00")
    withdraw(project)
    withdraw(project)
    assert GrantRelease.objects.count() == 1 and budget_row(call)[3] == D("0.00")


@pytest.mark.django_db
def test_a_fully_paid_project_withdrawn_releases_nothing(grid, evaluator):
    call = make_call()
    project = award(make_ranked(call, evaluator), "30000.00")
    services.disbursement_record(project=project, amount="30000.00", paid_on=TODAY())
    withdraw(project)
    assert not GrantRelease.objects.exists()
    assert Project.objects.get().status == "withdrawn" and budget_row(call)[3] == D("30000.00")


@pytest.mark.django_db
def test_a_withdrawn_project_is_paid_nothing_more_and_money_taken_back_returns_to_the_call(grid, evaluator):
    call = make_call(budget="100000.00")
    project = award(make_ranked(call, evaluator), "30000.00")
    tranche = services.disbursement_record(project=project, amount="12000.00", paid_on=TODAY())
    withdraw(project)
    with pytest.raises(ValidationError, match="withdrawn"):
        services.disbursement_record(project=project, amount="1.00", paid_on=TODAY())

    services.disbursement_record(project=project, amount="-5000.00", paid_on=TODAY(), corrects=tranche)

    assert list(GrantRelease.objects.order_by("id").values_list("amount", flat=True)) == [D("18000.00"), D("5000.00")]
    assert budget_row(call)[2:5] == (D("23000.00"), D("7000.00"), D("7000.00"))
    assert_money_adds_up(call)


@pytest.mark.django_db
def test_reinstating_a_withdrawn_project_commits_its_money_again_as_a_correcting_entry(grid, evaluator):
    call = make_call(budget="100000.00")
    project = award(make_ranked(call, evaluator, requested="60000.00"), "60000.00")
    withdraw(project)
    services.project_status_change(project=project, status=Project.Status.ACTIVE, actor=evaluator)

    first, correction = GrantRelease.objects.order_by("id")
    assert (first.amount, correction.amount, correction.corrects) == (D("60000.00"), D("-60000.00"), first)
    assert budget_row(call)[2:4] == (D("0.00"), D("60000.00"))
    assert_money_adds_up(call)


@pytest.mark.django_db
def test_a_withdrawn_project_cannot_be_reinstated_once_its_money_funds_someone_else(grid, evaluator):
    call = make_call(budget="100000.00")
    project = award(make_ranked(call, evaluator, requested="60000.00", title="A"), "60000.00")
    withdraw(project)
    award(make_ranked(call, evaluator, requested="50000.00", title="B"), "50000.00")

    with pytest.raises(ValidationError, match=r"cannot be reinstated.*60000\.00 EUR.*50000\.00 EUR left"):
        services.project_status_change(project=project, status=Project.Status.ACTIVE)

    assert Project.objects.get(pk=project.pk).status == "withdrawn"
    assert GrantRelease.objects.count() == 1
    assert_money_adds_up(call)


@pytest.mark.django_db
def test_a_project_cannot_be_awarded_already_withdrawn(grid, evaluator):
    application = make_ranked(make_call(), evaluator)
    with pytest.raises(ValidationError, match="withdrawn after its award"):
        award(application, "1000.00", status="withdrawn")
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_the_database_never_lets_a_release_be_edited_or_deleted(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    withdraw(project)
    release = GrantRelease.objects.get()
    with pytest.raises(IntegrityError, match="never edited"), transaction.atomic():
        GrantRelease.objects.filter(pk=release.pk).update(amount=D("1.00"))
    with pytest.raises(IntegrityError, match="never edited"), transaction.atomic():
        release.delete()


@pytest.mark.django_db
def test_the_database_refuses_release_rules_broken_outside_the_services(grid, evaluator):
    call = make_call(budget="100000.00")
    project = award(make_ranked(call, evaluator, requested="60000.00", title="A"), "60000.00")
    services.disbursement_record(project=project, amount="20000.00", paid_on=TODAY())
    with pytest.raises(IntegrityError, match="would release"), transaction.atomic():  # more than was not paid
        GrantRelease.objects.create(project=project, released_on=TODAY(), amount=D("40000.01"))
    with pytest.raises(IntegrityError, match="less than nothing"), transaction.atomic():
        GrantRelease.objects.create(project=project, released_on=TODAY(), amount=D("-0.01"))
    GrantRelease.objects.create(project=project, released_on=TODAY(), amount=D("30000.00"))
    with pytest.raises(IntegrityError, match="would be paid"), transaction.atomic():  # beyond what it commits
        Disbursement.objects.create(project=project, paid_on=TODAY(), amount=D("10000.01"))
    with pytest.raises(IntegrityError, match="was paid"), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(granted_amount=D("49999.99"))
    other = award(make_ranked(call, evaluator, requested="70000.00", title="B"), "70000.00")  # the freed money
    with pytest.raises(IntegrityError, match="would commit"), transaction.atomic():  # taking it back: over budget
        GrantRelease.objects.create(project=project, released_on=TODAY(), amount=D("-0.01"))
    with pytest.raises(IntegrityError, match="budget"), transaction.atomic():
        Call.objects.filter(pk=call.pk).update(budget=D("99999.99"))
    assert other.granted_amount == D("70000.00")
    assert_money_adds_up(call)


@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_racing_awards_of_the_freed_money_and_payments_keeps_the_money_adding_up(grid, evaluator):
    call = make_call(budget="100000.00")
    withdrawn = award(make_ranked(call, evaluator, requested="60000.00", title="A"), "60000.00")
    services.disbursement_record(project=withdrawn, amount="20000.00", paid_on=TODAY())
    waiting = [make_ranked(call, evaluator, requested="30000.00", title=f"W{i}") for i in range(4)]
    # Two withdrawals of A, three payments to A, and four awards of 30,000 race on a budget of 100,000
    # of which 40,000 is free before the withdrawal and up to 80,000 after it.
    jobs = [lambda: withdraw(withdrawn)] * 2
    jobs += [lambda: services.disbursement_record(project=withdrawn, amount="10000.00", paid_on=TODAY())] * 3
    jobs += [lambda a=a: award(a, "30000.00") for a in waiting]
    results = _run_in_threads(jobs)

    assert results[:2] == ["ok", "ok"]
    # A payment is refused once A is withdrawn, an award once the budget is gone: nothing else, never a crash.
    for job, result in enumerate(results[2:], start=2):
        if result != "ok":
            assert isinstance(result, ValidationError), result
            assert ("withdrawn" if job < 5 else "Over budget") in result.messages[0]
    assert_money_adds_up(call)
    a = Project.objects.with_money().get(pk=withdrawn.pk)
    assert a.status == "withdrawn" and a.released + a.disbursed == a.granted_amount
    assert GrantRelease.objects.filter(project=a).count() == 1  # withdrawn once, whatever the order
    funded = Project.objects.filter(call=call).exclude(pk=a.pk).count()
    assert funded >= 1 and funded == results[5:].count("ok")
    assert budget_row(call)[3] == a.disbursed + 30000 * funded
