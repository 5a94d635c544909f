"""A funded project's status follows its money and its reports: planned until the first payment (or the first
approved report), active until the balance is paid (the whole grant disbursed), then completed. The office's
suspension and withdrawal stay as they are; every step is in the project's reporting trail."""

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from grants import services
from grants.beneficiaries.models import OrganisationMember
from grants.models import Milestone, Project, ReportingEvent
from grants.tests.conftest import award, make_call, make_ranked

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _status(project) -> str:
    return Project.objects.values_list("status", flat=True).get(pk=project.pk)


def _trail(project) -> list:
    return list(
        ReportingEvent.objects.filter(project=project, subject=f"project:{project.pk}").values_list("action", flat=True)
    )


@pytest.fixture
def planned(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    assert project.status == Project.Status.PLANNED
    return project


def test_a_project_becomes_active_with_its_first_payment_and_completed_when_its_balance_is_paid(planned):
    project = planned
    milestone = Milestone.objects.create(
        project=project, title_it="Chiusura", title_en="Closure", due_on=TODAY(), done_on=TODAY()
    )
    advance = services.tranche_add(project=project, kind="advance", amount="12000.00")
    balance = services.tranche_add(project=project, kind="balance", amount="18000.00")

    services.tranche_pay(tranche=advance, paid_on=TODAY())
    assert _status(project) == Project.Status.ACTIVE
    services.milestone_approve(milestone=milestone)
    services.tranche_pay(tranche=balance, paid_on=TODAY())
    assert _status(project) == Project.Status.COMPLETED
    assert _trail(project) == ["active", "completed"]


def test_the_balance_completes_the_project_even_after_a_correction_took_money_back(planned):
    project = planned
    advance = services.tranche_add(project=project, kind="advance", amount="12000.00")
    balance = services.tranche_add(project=project, kind="balance", amount="18000.00")
    entry = services.tranche_pay(tranche=advance, paid_on=TODAY())
    services.disbursement_record(project=project, amount="-250.00", paid_on=TODAY(), corrects=entry)
    assert _status(project) == Project.Status.ACTIVE  # a correction does not move it back
    services.tranche_pay(tranche=balance, paid_on=TODAY())
    assert _status(project) == Project.Status.COMPLETED


def test_a_project_paid_its_whole_grant_without_a_plan_is_completed(planned):
    services.disbursement_record(project=planned, amount="10000.00", paid_on=TODAY())
    assert _status(planned) == Project.Status.ACTIVE
    services.disbursement_record(project=planned, amount="20000.00", paid_on=TODAY())
    assert _status(planned) == Project.Status.COMPLETED


def test_the_first_approved_report_makes_a_planned_project_active(planned):
    milestone = Milestone.objects.create(project=planned, title_it="SAL", title_en="Progress", due_on=TODAY())
    report = services.progress_report_submit(
        project=planned, milestone=milestone, text="Sei serate.", people_reached=80, night_events=6,
        night_service_hours="24",
    )  # fmt: skip
    assert _status(planned) == Project.Status.PLANNED  # sent, not approved yet
    services.reporting_decide(item=report, decision="approved")
    assert _status(planned) == Project.Status.ACTIVE
    assert _trail(planned) == ["active"]


def test_a_suspended_project_stays_suspended_when_it_is_paid(planned):
    services.project_status_change(project=planned, status=Project.Status.SUSPENDED)
    services.disbursement_record(project=planned, amount="30000.00", paid_on=TODAY())
    assert _status(planned) == Project.Status.SUSPENDED
    assert _trail(planned) == []


def test_the_public_page_the_admin_and_the_beneficiary_area_show_the_status_the_money_gave(
    planned, client, grants_admin
):
    services.disbursement_record(project=planned, amount="30000.00", paid_on=TODAY())
    client.cookies["django_language"] = "en"
    assert 'id="project-status">Completed<' in client.get(planned.get_absolute_url()).content.decode()

    member = make_user("anna", email="anna@quartierevivo.example")
    OrganisationMember.objects.create(organisation=planned.organisation, user=member)
    client.force_login(member)
    page = client.get(reverse("grants:beneficiaries:project", args=[planned.pk])).content.decode()
    assert 'id="project-status">Completed<' in page
    assert "Project · Completed · Planned → Completed" in page  # the trail, in the reader's words
    client.cookies["django_language"] = "it"
    page = client.get(reverse("grants:beneficiaries:project", args=[planned.pk])).content.decode()
    assert 'id="project-status">Concluso<' in page
    assert "Progetto · Concluso" in page

    client.force_login(grants_admin)
    listing = client.get(reverse("admin:grants_project_changelist")).content.decode()
    assert "Concluso" in listing
