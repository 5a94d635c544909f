"""/projects/: what, where, how much, status, milestones, impact, in Italian and English, never personal data."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import TEST_PASSWORD
from grants import services
from grants.models import Milestone
from grants.tests.conftest import award, make_call, make_ranked

pytestmark = pytest.mark.django_db
PERSONAL = ("maria.rossi@example.org", "+39 011 555 0199", "555 0199", "Maria Rossi")


@pytest.fixture
def funded(grid, evaluator):
    project = award(
        make_ranked(make_call(), evaluator), "30000.00", title_it="Piazza illuminata", title_en="Lit square",
        description_it="Nuova luce e presidio serale.", description_en="New lights and evening presence.",
    )  # fmt: skip
    Milestone.objects.create(
        project=project, title_it="Posa dei lampioni", title_en="Lamps installed", due_on=project.start_on,
        done_on=project.start_on,
    )  # fmt: skip
    services.disbursement_record(project=project, amount="12000.00", paid_on=timezone.localdate())
    return project


def test_the_list_shows_projects_their_money_and_sites_in_italian_by_default(client, funded):
    page = client.get("/projects/")
    html = page.content.decode()
    assert page.status_code == 200 and 'lang="it"' in html
    assert "Piazza illuminata" in html and "Progetti finanziati" in html
    assert "30.000,00 €" in html and "12.000,00 €" in html
    assert 'id="project-sites"' in html and '"Point"' not in html and '"Polygon"' in html


def test_the_pages_switch_to_english(client, funded):
    client.cookies["django_language"] = "en"
    html = client.get("/projects/").content.decode()
    assert 'lang="en"' in html and "Lit square" in html and "Funded projects" in html
    detail = client.get(f"/projects/{funded.pk}/").content.decode()
    assert "Lamps installed" in detail and "New lights and evening presence." in detail
    assert "Did the project's zones come to feel safer?" in detail


def test_the_detail_says_what_where_how_much_status_and_milestones(client, funded):
    html = client.get(f"/projects/{funded.pk}/").content.decode()
    assert "Nuova luce e presidio serale." in html  # what
    assert "Zone G11" in html  # where
    assert "30.000,00 €" in html and "12.000,00 €" in html  # how much, paid
    assert 'id="project-status">In corso<' in html  # status: paid 12,000 EUR of 30,000, so running
    assert "Posa dei lampioni" in html  # milestones
    assert "Welsh" in html and "Branas" in html  # the caveats next to the numbers


@pytest.mark.parametrize("language", ["it", "en"])
def test_applicants_personal_data_never_appears_on_public_pages(client, funded, language):
    client.cookies["django_language"] = language
    for url in ("/projects/", f"/projects/{funded.pk}/"):
        html = client.get(url).content.decode()
        for value in PERSONAL:
            assert value not in html, f"{value} leaked on {url}"


def test_an_unknown_project_is_a_404(client, grid):
    assert client.get("/projects/999999/").status_code == 404


def test_the_list_uses_a_bounded_number_of_queries(client, funded, evaluator, django_assert_max_num_queries):
    call = funded.call
    for i in range(5):
        award(make_ranked(call, evaluator, requested="1000", title=f"P{i}"), "1000")
    with django_assert_max_num_queries(6):
        client.get("/projects/")


def test_the_programme_summary_is_for_grants_admins_only(client, funded, grants_admin, officer):
    assert client.get("/projects/programme/").status_code == 302  # anonymous: to the login page
    client.login(username=officer.username, password=TEST_PASSWORD)
    assert client.get("/projects/programme/").status_code == 403
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    page = client.get("/projects/programme/")
    assert page.status_code == 200 and "Piazza illuminata" in page.content.decode()
    assert "2013" in page.content.decode()


def test_a_withdrawn_project_is_listed_without_an_impact_estimate(client, funded):
    funded.status = "withdrawn"
    funded.save(update_fields=["status"])
    html = client.get(f"/projects/{funded.pk}/").content.decode()
    assert "Ritirato" in html or "Withdrawn" in html
    assert funded.start_on <= timezone.localdate() + dt.timedelta(days=1)


def test_the_project_page_shows_both_outcomes_with_their_caveats(client, funded):
    client.cookies["django_language"] = "en"
    html = client.get(f"/projects/{funded.pk}/").content.decode()
    assert 'data-outcome="share"' in html and 'data-outcome="psi"' in html
    assert "Change (percentage points)" in html and "Change (index points)" in html
    assert "Perceived Safety Index (0-100)" in html and "scored against the other zones of the same week" in html


def test_the_project_page_speaks_italian_about_both_outcomes(client, funded):
    html = client.get(f"/projects/{funded.pk}/").content.decode()
    assert "Quota di segnalanti che si sono sentiti sicuri" in html and "Indice di sicurezza percepita (0-100)" in html
    assert "Variazione (punti indice)" in html


def test_the_programme_summary_shows_both_outcomes_and_the_money_released(client, funded, grants_admin):
    services.project_status_change(project=funded, status="withdrawn")  # 18,000 of 30,000 were not paid
    client.cookies["django_language"] = "en"
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    html = client.get("/projects/programme/").content.decode()
    assert 'id="programme-impact-share"' in html and 'id="programme-impact-psi"' in html
    assert "18,000.00 €" in html and "Released" in html  # released, and committed 12,000
    assert "Welsh" in html and "same week" in html  # the caveats next to the numbers


def test_the_public_budgets_show_released_money_and_the_withdrawn_project(client, funded):
    services.project_status_change(project=funded, status="withdrawn")
    html = client.get("/projects/").content.decode()
    row = html[html.index('id="call-budgets"') :]
    assert "18.000,00 €" in row and "12.000,00 €" in row  # released; committed = paid
    detail = client.get(f"/projects/{funded.pk}/").content.decode()
    assert 'id="project-released"' in detail and "18.000,00 €" in detail


def test_the_grants_navigation_leads_administrators_to_the_programme_summary(client, funded, grants_admin):
    assert 'id="nav-programme"' not in client.get("/projects/").content.decode()  # anonymous
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    for url in ("/projects/", f"/projects/{funded.pk}/", "/projects/programme/"):
        html = client.get(url).content.decode()
        assert 'id="nav-programme"' in html and 'href="/projects/programme/"' in html, url
        assert 'href="/admin/grants/"' in html, url


def test_the_grants_navigation_hides_the_summary_from_other_staff(client, funded, officer):
    client.login(username=officer.username, password=TEST_PASSWORD)
    html = client.get("/projects/").content.decode()
    assert 'id="nav-programme"' not in html and "/admin/grants/" not in html
