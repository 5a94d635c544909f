"""The demo's grants: a call in each state, every award with its CUP, act and publication, paid by tranches."""

import pytest

from demo.tests.test_seed_demo import seed
from grants.models import Application, Call, Project, Tranche


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_the_demo_seeds_a_call_in_each_state():
    seed()
    titles = dict(Call.objects.values_list("title_it", "published_at"))
    assert titles["Bando notti d'estate 2027 (bozza)"] is None  # draft
    open_call = Call.objects.get(title_it="Bando micro-progetti di quartiere")
    assert open_call.applications.filter(status="submitted").count() == 2
    evaluation = Call.objects.get(title_it="Bando presidi culturali serali")
    assert evaluation.ranking_published_at is None and evaluation.applications.filter(status="eligible").exists()
    ranked = Call.objects.get(title_it="Bando illuminazione partecipata")
    assert ranked.ranking_published_at is not None and not ranked.projects.exists()
    closed = Call.objects.get(title_it="Bando piccole manutenzioni 2025")
    assert closed.projects.get().status == "completed"
    assert not Tranche.objects.filter(project__call=closed, disbursement__isnull=True).exists()
    awarded = Call.objects.filter(kind="infrastructure_regeneration").get()
    assert awarded.ranking_act_number and awarded.projects.count() == 3
    for project in Project.objects.all():
        assert project.cup and project.published_at and project.award_act_number and project.organisation_id
    assert Tranche.objects.filter(disbursement__isnull=False).count() >= 8
    assert Application.objects.filter(status="ineligible").exclude(outcome_reason="").count() >= 2
    # The status follows the money: planned until paid, active once paid, completed once the balance is paid.
    for project in Project.objects.with_money().exclude(status__in=("suspended", "withdrawn")):
        balance_paid = project.tranches.filter(kind="balance", disbursement__isnull=False).exists()
        expected = "completed" if balance_paid else "active" if project.disbursed > 0 else "planned"
        assert project.status == expected, project


@pytest.mark.django_db
def test_the_demo_has_a_beneficiarys_member_who_sees_a_funded_project(client):
    from django.conf import settings

    seed()
    assert client.login(username="demo-beneficiario", password=settings.DEMO_PASSWORD)
    page = client.get("/projects/beneficiary/")
    assert page.status_code == 200 and 'id="beneficiary-projects"' in page.content.decode()
    project = Project.objects.filter(organisation__members__user__username="demo-beneficiario").get()
    assert client.get(f"/projects/beneficiary/{project.pk}/").status_code == 200


@pytest.mark.django_db
def test_the_demo_has_an_applicant_with_a_draft_on_the_call_that_takes_applications_online(client):
    from django.conf import settings

    seed()
    page = client.get("/apply/").content.decode()
    assert "Bando micro-progetti di quartiere" in page
    response = client.post("/apply/login/", {"username": "richiedente@example.org", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302
    assert "Piazze accese" in client.get("/apply/mine/").content.decode()
    call = Call.objects.get(title_it="Bando micro-progetti di quartiere")
    assert call.declarations.count() == 6 and call.attachment_types.filter(required=True).count() == 1
    draft = call.drafts.get()
    form = client.get(f"/apply/applications/{draft.pk}/").content.decode()
    assert 'id="sites-map"' in form and 'id="declarations"' in form
