"""The beneficiary's journey on a phone, in a real browser against the gunicorn server: log in, find the funded
project and what is due, send the progress report and an expense claim with its PDF receipt; the grants office
approves both in the admin; the progress payment tied to the milestone shows as payable, the office pays it, and
the beneficiary sees it paid. Every page of the area is checked on a phone, at 320 px and on a desktop, in
Italian and English."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from conftest import TEST_PASSWORD, make_user
from grants import services
from grants.beneficiaries.models import OrganisationMember
from grants.models import ExpenseClaim, Milestone, ProgressReport
from grants.tests.conftest import award, make_call, make_ranked
from tests.layout import layout_problems, phone_context
from tests.processes import OUTPUT_DIR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
TODAY = timezone.localdate


@pytest.fixture
def funded(grid, grants_admin):
    project = award(
        make_ranked(make_call(), grants_admin), "30000.00", title_it="Piazza viva di notte",
        title_en="A lively square at night",
    )  # fmt: skip
    first = Milestone.objects.create(
        project=project, title_it="Primo stato di avanzamento", title_en="First progress report",
        due_on=TODAY() + dt.timedelta(days=4),
    )  # fmt: skip
    Milestone.objects.create(project=project, title_it="Relazione finale", title_en="Final report",
                             due_on=TODAY() + dt.timedelta(days=200))  # fmt: skip
    advance = services.tranche_add(project=project, kind="advance", amount="9000.00")
    services.tranche_pay(tranche=advance, paid_on=TODAY())
    progress = services.tranche_add(project=project, kind="progress", amount="12000.00", milestone=first)
    services.tranche_add(project=project, kind="balance", amount="9000.00")
    member = make_user("anna", email="anna@quartierevivo.example")
    OrganisationMember.objects.create(organisation=project.organisation, user=member)
    return project, first, progress, member


def log_in(page, username: str, next_path: str) -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(lambda url: urlsplit(url).path == next_path)


def check_layout(browser, web_server, cookies, path: str, name: str) -> None:
    """The page on a phone and at 320 px (touch) and on a desktop, in Italian and English: no sideways scroll,
    no overlapping text, targets of 44 px, nothing serious for axe; the screenshots go to test-output/."""
    cookies = [c for c in cookies if c["name"] != "django_language"]
    for language in ("it", "en"):
        for viewport in ("phone", "narrow"):
            context = phone_context(browser, web_server, viewport=viewport, language=language)
            context.add_cookies(cookies)
            page = context.new_page()
            page.goto(path)
            assert layout_problems(page, f"beneficiary-{name}-{viewport}-{language}") == {}, (name, viewport)
            context.close()
        context = browser.new_context(base_url=web_server, viewport={"width": 1440, "height": 900})
        context.add_cookies([*cookies, {"name": "django_language", "value": language, "url": web_server}])
        page = context.new_page()
        page.goto(path)
        page.screenshot(path=str(OUTPUT_DIR / f"layout-beneficiary-{name}-desktop-{language}.png"), full_page=True)
        context.close()


def test_a_beneficiary_reports_with_a_receipt_and_the_office_approval_makes_the_tranche_payable(
    browser, web_server, funded, grants_admin, tmp_path
):
    project, milestone, progress, _member = funded
    context = phone_context(browser, web_server, viewport="phone", language="it", javascript=False)
    page = context.new_page()
    page.set_default_timeout(20000)

    # Log in and find the project with what is due.
    log_in(page, "anna", "/projects/beneficiary/")
    page.get_by_role("link", name="Apri il progetto").click()
    assert "9.000,00 €" in page.locator("#project-money").inner_text()
    assert "pagata il" in page.locator("#tranches").inner_text()
    waiting = page.locator(f"#tranche-{progress.pk}").inner_text()
    assert "in attesa" in waiting and "Primo stato di avanzamento" in waiting

    # The report: a draft first, then sent.
    page.locator(f"#milestone-{milestone.pk}").get_by_role("link", name="Scrivi la relazione").click()
    page.fill("#id_text", "Dodici serate di animazione in piazza con le associazioni del quartiere.")
    page.fill("#id_people_reached", "340")
    page.locator("#save-draft").click()
    assert "Bozza salvata" in page.content()
    assert ProgressReport.objects.get().status == "draft"
    page.locator("#send-report").click()
    assert "numero" in page.locator("#report-error").inner_text()  # events and hours are still missing
    page.fill("#id_night_events", "12")
    page.fill("#id_night_service_hours", "48,5")
    page.locator("#send-report").click()
    page.wait_for_url(f"**/projects/beneficiary/{project.pk}/")
    assert "Relazione inviata al Comune" in page.content()

    # The claim: an item with a file that is not a PDF is refused, then the real receipt.
    page.locator(f"#milestone-{milestone.pk}").get_by_role("link", name="Rendiconta le spese").click()
    fake = tmp_path / "foto.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n\x00 not a pdf")
    page.fill("#id_description", "Servizio d'ordine, 12 serate")
    page.fill("#id_amount", "1.250,50")
    page.set_input_files("#id_receipt", str(fake))
    page.locator("#add-expense").click()
    assert "non è un PDF" in page.locator("#claim-error").inner_text()
    receipt = tmp_path / "fattura-12.pdf"
    receipt.write_bytes(PDF)
    page.fill("#id_description", "Servizio d'ordine, 12 serate")
    page.fill("#id_amount", "1.250,50")
    page.set_input_files("#id_receipt", str(receipt))
    page.locator("#add-expense").click()
    assert "1.250,50 €" in page.locator("#draft-items").inner_text()
    check_layout(browser, web_server, context.cookies(), page.url.replace(web_server, ""), "claim")
    page.locator("#send-claim").click()
    page.wait_for_url(f"**/projects/beneficiary/{project.pk}/")
    assert ExpenseClaim.objects.get().status == "submitted"
    check_layout(browser, web_server, context.cookies(), "/projects/beneficiary/", "home")
    check_layout(browser, web_server, context.cookies(), f"/projects/beneficiary/{project.pk}/", "project")
    check_layout(browser, web_server, context.cookies(), f"/projects/beneficiary/{project.pk}/milestones/"
                 f"{milestone.pk + 1}/report/", "report")  # fmt: skip

    # The grants office approves the report and the claim in the admin.
    office = browser.new_context(base_url=web_server, locale="it-IT", viewport={"width": 1440, "height": 900})
    admin = office.new_page()
    admin.set_default_timeout(20000)
    log_in(admin, grants_admin.username, "/admin/grants/progressreport/")
    for model in ("progressreport", "expenseclaim"):
        admin.goto(f"/admin/grants/{model}/")
        admin.locator("input.action-select").first.check()
        admin.select_option("select[name=action]", "decide_approved")
        admin.locator("button[name=index]").click()
        assert "1 decisi." in admin.locator("ul.messagelist li.success").inner_text()
    assert Milestone.objects.get(pk=milestone.pk).approved_on == TODAY()

    # The beneficiary sees the progress payment due; the office pays it; the beneficiary sees it paid.
    page.reload()
    assert "dovuta: il Comune può pagarla" in page.locator(f"#tranche-{progress.pk}").inner_text()
    admin.goto("/admin/grants/project/")
    admin.locator(f"input.action-select[value='{project.pk}']").check()
    admin.select_option("select[name=action]", "pay_due_tranches")
    admin.locator("button[name=index]").click()
    admin.locator("ul.messagelist li.success").wait_for()
    assert services.project_disbursed(project.pk) == 21000
    page.reload()
    assert "pagata il" in page.locator(f"#tranche-{progress.pk}").inner_text()
    assert "21.000,00 €" in page.locator("#project-money").inner_text()
    page.screenshot(path=str(OUTPUT_DIR / "beneficiary-journey-paid.png"), full_page=True)
    office.close()
    context.close()
