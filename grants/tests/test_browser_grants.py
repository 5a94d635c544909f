"""An administrator records a tranche in the admin; a citizen then finds the project on the map and sees it paid."""

import pytest
from django.utils import timezone

from conftest import TEST_PASSWORD
from grants.models import Disbursement
from grants.tests.conftest import award, make_call, make_ranked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_records_a_disbursement_and_a_citizen_browses_the_projects_map(page, grid, grants_admin):
    project = award(
        make_ranked(make_call(), grants_admin), "30000.00", title_it="Piazza illuminata", title_en="Lit square"
    )

    # The administrator records the first tranche in the admin.
    page.goto("/admin/grants/disbursement/add/")
    page.fill("#id_username", grants_admin.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/grants/disbursement/add/")
    page.select_option("#id_project", str(project.pk))
    page.fill("#id_paid_on", timezone.localdate().isoformat())
    page.fill("#id_amount", "40000.00")  # more than granted: refused with a clear message
    page.locator("input[name=_save]").click()
    assert "più dei 30000.00 EUR concessi" in page.locator("ul.errorlist").first.inner_text()
    assert not Disbursement.objects.exists()
    page.fill("#id_amount", "12000.00")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/grants/disbursement/")
    assert Disbursement.objects.get().amount == 12000
    page.screenshot(path="test-output/grants-admin-disbursement.png", full_page=True)
    page.context.clear_cookies()  # the citizen is anonymous

    # A citizen opens the projects map (tiles never load here) and follows a site to its project.
    page.goto("/projects/")
    page.wait_for_selector("#projects-map[data-sites-loaded='1']")
    site = page.locator(f'path.project-site[data-project="{project.pk}"]')
    assert site.count() == 1
    site.click()
    page.get_by_role("link", name="Apri il progetto").click()
    page.wait_for_url(f"**/projects/{project.pk}/")
    assert page.locator("h1").inner_text() == "Piazza illuminata"
    assert "12.000,00 €" in page.locator("#project-money").inner_text()
    assert "maria.rossi@example.org" not in page.content()
    page.screenshot(path="test-output/grants-project.png", full_page=True)

    # One tap to English.
    page.locator("button[name=language][value=en]").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Lit square"
