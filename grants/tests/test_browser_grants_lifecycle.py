"""A grant's whole life in the browser, through the pages each person uses: the grants office publishes a call
with its online rules and documents; two organisations register, apply with a PDF and get their protocol
numbers; two evaluators declare no conflict and score independently, with reasons; the second application is
declared ineligible and its applicant reads why; the graduatoria is approved with its act and published; the
winner is awarded with a CUP and RUP, published (art. 26), its DURC and anti-mafia check recorded and the
advance paid; the beneficiary reports and claims, the office approves, the progress payment and then the
balance are paid until the paid total is the grant; the transparency register lists the award (art. 27)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from city.models import OutboundEmail
from conftest import make_user
from grants import services
from grants.models import (
    Application,
    ApplicationDraft,
    Call,
    Disbursement,
    ExpenseClaim,
    Milestone,
    Organisation,
    ProgressReport,
    Project,
    Tranche,
)
from grants.tests.conftest import organisation_tax_code
from grants.tests.test_applicants_browser import PDF, fill_application
from grants.tests.test_beneficiary_browser import check_layout
from grants.tests.test_browser_graduatoria import _login as admin_login
from tests.layout import layout_problems, phone_context
from tests.processes import OUTPUT_DIR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate
PASSWORD = "notte-sicura-2027"
WINNER_TAX_CODE = "97512340015"  # the one fill_application types
REFUSED_TAX_CODE = organisation_tax_code(424242)


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUTPUT_DIR / f"grants-lifecycle-{name}.png"), full_page=True)


def desktop(browser, web_server):
    context = browser.new_context(base_url=web_server, locale="it-IT", viewport={"width": 1440, "height": 900})
    context.route("**/*", lambda r: r.abort() if "127.0.0.1" not in r.request.url else r.continue_())
    page = context.new_page()
    page.set_default_timeout(30000)  # two cores shared by the whole team
    return page


def phone(browser, web_server):
    page = phone_context(browser, web_server, viewport="phone", language="it").new_page()
    page.set_default_timeout(30000)
    return page


def run_action(page, changelist: str, pk: int, action: str) -> str:
    """Tick one row of an admin changelist, run an action; the messages it left."""
    page.goto(changelist)
    page.check(f"input.action-select[value='{pk}']")
    page.select_option("select[name=action]", action)
    page.locator("button[name=index]").click()
    page.locator("ul.messagelist").wait_for()
    return page.locator("ul.messagelist").inner_text()


def add_inline_row(page, prefix: str) -> int:
    """Click the inline's 'add another' link; the index of the new row."""
    index = int(page.input_value(f"#id_{prefix}-TOTAL_FORMS"))
    page.locator(f"#{prefix}-group .add-row a").click()
    page.wait_for_selector(f"#{prefix}-{index}")
    return index


def money(project: Project) -> tuple[Decimal, Decimal]:
    """What the city has paid the project and what it still owes (from the database)."""
    paid = services.project_disbursed(project.pk)
    return paid, project.granted_amount - paid


def register_and_apply(page, *, name: str, email: str, org: str, tax_code: str, title: str, call, zones) -> str:
    """An organisation's contact person registers, confirms the e-mail, applies and submits; the protocol."""
    page.goto("/apply/")
    page.click("#to-register")
    page.fill("#id_full_name", name)
    page.fill("#id_email", email)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("label[for=id_privacy]")
    page.get_by_role("button", name="Registrati").click()
    page.wait_for_selector("#register-done")
    body = OutboundEmail.objects.get(kind="grants.applicant.verify", to=email).body
    page.goto(re.search(r"https?://\S+(/apply/verify/\S+/)", body).group(1))
    page.wait_for_url("**/apply/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("#applicant-login button[type=submit]").click()
    page.wait_for_url("**/apply/mine/")
    page.locator(f".apply-button[data-call='{call.pk}']").click()
    page.wait_for_selector("#draft-form")
    fill_application(page, call, zones)
    page.fill("#id_org_name", org)
    page.fill("#id_org_tax_code", tax_code)
    page.fill("#id_title", title)
    page.click("#submit-application")
    page.wait_for_selector("#protocol-number")
    protocol = page.locator("#protocol-number").inner_text()
    with page.expect_download() as download:
        page.click("#receipt-link")
    with open(download.value.path(), "rb") as receipt:
        assert receipt.read(5) == b"%PDF-"
    assert OutboundEmail.objects.filter(kind="grants.receipt", to=email).count() == 1
    return protocol


def score(page, application: Application, values: tuple[int, int], reason: str) -> None:
    """An evaluator scores each criterion of the application on its admin page, with the reason."""
    page.goto(f"/admin/grants/application/{application.pk}/change/")
    assert "Motivazione di" not in page.locator("#scores-group").inner_text()  # nobody else's scores
    for criterion, value in zip(application.call.criteria.order_by("id"), values, strict=True):
        row = add_inline_row(page, "scores")
        page.select_option(f"#id_scores-{row}-criterion", str(criterion.pk))
        page.fill(f"#id_scores-{row}-score", str(value))
        page.fill(f"#id_scores-{row}-reason", reason)
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/grants/application/")


def report_and_claim(page, project: Project, milestone: Milestone, *, text: str, expense: str, amount: str, tmp_path):
    """The beneficiary sends the milestone's progress report and an expense claim with its PDF receipt."""
    page.goto(f"/projects/beneficiary/{project.pk}/")
    page.locator(f"#milestone-{milestone.pk}").get_by_role("link", name="Scrivi la relazione").click()
    page.fill("#id_text", text)
    page.fill("#id_people_reached", "340")
    page.fill("#id_night_events", "12")
    page.fill("#id_night_service_hours", "48,5")
    page.locator("#send-report").click()
    page.wait_for_url(f"**/projects/beneficiary/{project.pk}/")
    page.locator(f"#milestone-{milestone.pk}").get_by_role("link", name="Rendiconta le spese").click()
    receipt = tmp_path / f"fattura-{milestone.pk}.pdf"
    receipt.write_bytes(PDF)
    page.fill("#id_description", expense)
    page.fill("#id_amount", amount)
    page.set_input_files("#id_receipt", str(receipt))
    page.locator("#add-expense").click()
    assert f"{amount} €" in page.locator("#draft-items").inner_text()
    page.locator("#send-claim").click()
    page.wait_for_url(f"**/projects/beneficiary/{project.pk}/")


def approve_reporting(office, milestone: Milestone) -> None:
    """The grants office approves the milestone's report and claim in the admin."""
    for model, item in (
        ("progressreport", ProgressReport.objects.get(milestone=milestone, status="submitted")),
        ("expenseclaim", ExpenseClaim.objects.get(milestone=milestone, status="submitted")),
    ):
        messages = run_action(office, f"/admin/grants/{model}/", item.pk, "decide_approved")
        assert "1 decisi." in messages
    assert Milestone.objects.get(pk=milestone.pk).approved_on == TODAY()


def log_in_with(page, username: str, password: str, next_path: str) -> None:
    """The site's login (the beneficiaries' area), with the person's own password."""
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def test_a_grant_from_the_call_to_the_final_balance(browser, web_server, grid, grants_admin, tmp_path):
    office = desktop(browser, web_server)

    # 1. The grants office publishes the call, with its online rules and the documents it asks for.
    admin_login(office, grants_admin, "/admin/grants/call/add/")
    office.wait_for_url("**/admin/grants/call/add/")
    office.select_option("#id_kind", Call.Kind.SOCIAL_INNOVATION)
    for field, value in (("title_it", "Bando Notti sicure 2027"), ("title_en", "Safe nights 2027"),
                         ("budget", "100000.00"), ("opens_on", (TODAY() - dt.timedelta(days=5)).isoformat()),
                         ("closes_on", (TODAY() + dt.timedelta(days=10)).isoformat()),
                         ("eligibility", "Enti del terzo settore con sede a Torino."), ("minimum_score", "6"),
                         ("legal_basis", "Regolamento comunale contributi, art. 5")):  # fmt: skip
        office.fill(f"#id_{field}", value)
    office.fill("#id_criteria-0-name", "Impatto")
    office.fill("#id_criteria-0-weight", "0.6")
    row = add_inline_row(office, "criteria")
    office.fill(f"#id_criteria-{row}-name", "Qualità")
    office.fill(f"#id_criteria-{row}-weight", "0.4")
    row = add_inline_row(office, "online")
    office.fill(f"#id_online-{row}-deadline_time", "12:00")
    office.fill(f"#id_online-{row}-max_requested", "50000.00")
    office.fill(f"#id_online-{row}-min_cofinancing_percent", "10")
    row = add_inline_row(office, "attachment_types")
    office.fill(f"#id_attachment_types-{row}-name_it", "Formulario di progetto")
    office.fill(f"#id_attachment_types-{row}-name_en", "Project form")
    office.fill(f"#id_attachment_types-{row}-max_mb", "2")
    shot(office, "office-call-form")
    office.locator("input[name=_save]").click()
    office.wait_for_url("**/admin/grants/call/")
    call = Call.objects.get()
    assert call.online.max_requested == 50000 and call.attachment_types.get().required
    assert call.declarations.filter(required=True).count() == 6  # the standard self-declarations, added on save
    assert "1 bando/i pubblicato/i." in run_action(office, "/admin/grants/call/", call.pk, "publish_calls")
    assert Call.objects.get().published_at is not None

    # 2. Two organisations register, apply online with a PDF and submit before the deadline.
    anna, luca = phone(browser, web_server), phone(browser, web_server)
    first = register_and_apply(anna, name="Anna Bianchi", email="anna@quartierevivo.example",
                               org="Associazione Quartiere Vivo", tax_code=WINNER_TAX_CODE,
                               title="Luci in piazza", call=call, zones=grid)  # fmt: skip
    second = register_and_apply(luca, name="Luca Neri", email="luca@studioneri.example",
                                org="Studio Neri Srl", tax_code=REFUSED_TAX_CODE,
                                title="Sportello digitale", call=call, zones=grid)  # fmt: skip
    year = TODAY().year
    assert (first, second) == (f"{year}/000001", f"{year}/000002")
    shot(anna, "applicant-submitted-phone")
    winner = ApplicationDraft.objects.get(protocol_number=first).application
    refused = ApplicationDraft.objects.get(protocol_number=second).application
    assert winner.status == refused.status == Application.Status.SUBMITTED
    assert winner.attachments.count() == refused.attachments.count() == 1
    submitted = ApplicationDraft.objects.get(protocol_number=first)
    assert submitted.sites.count() == 1 and submitted.team.count() == 1 and submitted.declarations.count() == 6
    assert len(winner.sites) >= 1

    # 3. The office names two evaluators; each signs the declaration and scores on their own, with reasons.
    evaluators = [make_user(name, "grants_admin", is_staff=True) for name in ("valutatrice-1", "valutatore-2")]
    office.goto(f"/admin/grants/call/{call.pk}/change/")
    office.select_option("#id_commission-0-evaluator", str(evaluators[0].pk))
    row = add_inline_row(office, "commission")
    office.select_option(f"#id_commission-{row}-evaluator", str(evaluators[1].pk))
    office.locator("input[name=_save]").click()
    office.wait_for_url("**/admin/grants/call/")
    assert call.commission.count() == 2
    assert "1 domanda/e" in run_action(office, "/admin/grants/application/", winner.pk, "mark_eligible")
    office.goto(f"/admin/grants/application/{refused.pk}/change/")
    office.fill("#id_outcome_reason", "Soggetto non ammissibile: impresa a scopo di lucro.")
    office.locator("input[name=_save]").click()
    office.wait_for_url("**/admin/grants/application/")
    assert "1 domanda/e" in run_action(office, "/admin/grants/application/", refused.pk, "mark_ineligible")

    for evaluator, values in zip(evaluators, ((9, 8), (8, 7)), strict=True):
        page = desktop(browser, web_server)
        admin_login(page, evaluator, f"/projects/calls/{call.pk}/declaration/")
        page.wait_for_url(f"**/projects/calls/{call.pk}/declaration/")
        page.click("label[for=conflict-no]")
        page.locator("#sign-declaration").click()
        page.wait_for_url("**/admin/grants/application/**")
        score(page, winner, values, f"Motivazione di {evaluator.username}: progetto solido.")
        if evaluator == evaluators[0]:
            shot(page, "evaluator-applications")
        page.context.close()
    assert winner.scores.values("evaluator").distinct().count() == 2 and winner.scores.count() == 4

    # The applicant refused reads why on "My applications".
    luca.goto("/apply/mine/")
    row_text = luca.locator("#my-applications li").first.inner_text()
    assert "Non ammissibile" in row_text and "impresa a scopo di lucro" in row_text
    check_layout(browser, web_server, luca.context.cookies(), "/apply/mine/", "mine-refused")  # it/en, 3 sizes
    luca.locator("#my-applications a").first.click()
    assert "impresa a scopo di lucro" in luca.locator("#outcome-reason").inner_text()
    shot(luca, "refused-applicant-phone")

    # 4. The graduatoria: scored, ranked, approved with its act and published.
    run_action(office, "/admin/grants/application/", winner.pk, "mark_scored")
    assert "1 in graduatoria" in run_action(office, "/admin/grants/application/", winner.pk, "rank_calls")
    office.goto(f"/admin/grants/call/{call.pk}/change/")
    office.fill("#id_ranking_act_number", "DD 77/2027")
    office.fill("#id_ranking_act_date", TODAY().isoformat())
    office.locator("input[name=_save]").click()
    office.wait_for_url("**/admin/grants/call/")
    assert "approvata e pubblicata" in run_action(office, "/admin/grants/call/", call.pk, "approve_rankings")
    citizen = desktop(browser, web_server)
    citizen.goto(f"/projects/calls/{call.pk}/")
    assert "DD 77/2027" in citizen.locator("#ranking-act").inner_text()
    assert "Associazione Quartiere Vivo" in citizen.locator("#ranking-funded").inner_text()
    assert "impresa a scopo di lucro" in citizen.locator("#ranking-not_eligible").inner_text()
    shot(citizen, "graduatoria-public")

    # 5. Award with CUP, RUP and act; DURC and anti-mafia recorded; published (art. 26); the advance paid.
    organisation = Organisation.objects.get(tax_code=WINNER_TAX_CODE)
    office.goto(f"/admin/grants/organisation/{organisation.pk}/change/")
    office.fill("#id_durc_valid_until", (TODAY() + dt.timedelta(days=120)).isoformat())
    office.select_option("#id_antimafia_status", Organisation.AntimafiaStatus.CLEARED)
    office.fill("#id_antimafia_checked_on", TODAY().isoformat())
    office.locator("input[name=_save]").click()
    office.wait_for_url("**/admin/grants/organisation/")
    office.goto("/admin/grants/project/add/")
    office.select_option("#id_application", str(winner.pk))
    office.select_option("#id_organisation", str(organisation.pk))
    for field, value in (("granted_amount", "30000.00"), ("start_on", TODAY().isoformat()),
                         ("end_on", (TODAY() + dt.timedelta(days=365)).isoformat()), ("cup", "C11G27000000001"),
                         ("rup", "Dott.ssa Laura Verdi"), ("office", "Divisione Servizi Sociali"),
                         ("award_act_number", "DD 88/2027"), ("award_act_date", TODAY().isoformat())):  # fmt: skip
        office.fill(f"#id_{field}", value)
    office.locator("input[name=_save]").click()
    office.wait_for_url("**/admin/grants/project/")
    project = Project.objects.get()
    assert (project.cup, project.rup, project.granted_amount) == ("C11G27000000001", "Dott.ssa Laura Verdi", 30000)
    assert project.co_financing == Decimal("5000.00") == winner.co_financing

    # The payment plan: two milestones, then the advance, the progress payment tied to the first and the balance.
    office.goto(f"/admin/grants/project/{project.pk}/change/")
    office.fill("#id_milestones-0-title_it", "Primo stato di avanzamento")
    office.fill("#id_milestones-0-title_en", "First progress report")
    office.fill("#id_milestones-0-due_on", (TODAY() + dt.timedelta(days=90)).isoformat())
    row = add_inline_row(office, "milestones")
    office.fill(f"#id_milestones-{row}-title_it", "Relazione finale")
    office.fill(f"#id_milestones-{row}-title_en", "Final report")
    office.fill(f"#id_milestones-{row}-due_on", (TODAY() + dt.timedelta(days=360)).isoformat())
    office.select_option("#id_tranches-0-kind", "advance")
    office.fill("#id_tranches-0-amount", "9000.00")
    office.locator("input[name=_continue]").click()
    office.wait_for_url(f"**/admin/grants/project/{project.pk}/change/")
    milestone_1, milestone_2 = project.milestones.order_by("due_on")
    tranche_row = int(office.input_value("#id_tranches-TOTAL_FORMS")) - 1
    office.select_option(f"#id_tranches-{tranche_row}-kind", "progress")
    office.fill(f"#id_tranches-{tranche_row}-amount", "12000.00")
    office.select_option(f"#id_tranches-{tranche_row}-milestone", str(milestone_1.pk))
    row = add_inline_row(office, "tranches")
    office.select_option(f"#id_tranches-{row}-kind", "balance")
    office.fill(f"#id_tranches-{row}-amount", "9000.00")
    office.locator("input[name=_save]").click()
    office.wait_for_url("**/admin/grants/project/")
    assert sorted(project.tranches.values_list("kind", "amount")) == [
        ("advance", 9000), ("balance", 9000), ("progress", 12000)
    ]  # fmt: skip
    assert "1 contributo/i pubblicato/i." in run_action(office, "/admin/grants/project/", project.pk,
                                                         "publish_projects")  # fmt: skip
    assert "1 tranche pagata/e." in run_action(office, "/admin/grants/project/", project.pk, "pay_due_tranches")
    assert money(project) == (9000, 21000)
    shot(office, "office-advance-paid")

    # 6. The office gives the applicant's contact person access to the beneficiaries' area.
    office.goto(f"/admin/grants/organisation/{organisation.pk}/change/")
    row = add_inline_row(office, "members")
    anna_user = ApplicationDraft.objects.get(protocol_number=first).owner
    office.fill(f"#id_members-{row}-user", str(anna_user.pk))
    office.fill(f"#id_members-{row}-fiscal_number", "BNCNNA85M41L219X")
    office.locator("input[name=_save]").click()
    office.wait_for_url("**/admin/grants/organisation/")
    assert organisation.members.get().user == anna_user

    anna.context.clear_cookies()
    log_in_with(anna, anna_user.username, PASSWORD, "/projects/beneficiary/")
    anna.get_by_role("link", name="Apri il progetto").click()
    assert "9.000,00 €" in anna.locator("#project-money").inner_text()
    assert layout_problems(anna, "grants-lifecycle-beneficiary-project-phone-it") == {}
    shot(anna, "beneficiary-project-phone")
    progress, balance = (project.tranches.get(kind=kind) for kind in ("progress", "balance"))
    assert "in attesa" in anna.locator(f"#tranche-{progress.pk}").inner_text()

    report_and_claim(anna, project, milestone_1, text="Dodici serate di animazione in piazza.",
                     expense="Servizio d'ordine, 12 serate", amount="1.250,50", tmp_path=tmp_path)  # fmt: skip
    shot(anna, "beneficiary-sent-phone")
    approve_reporting(office, milestone_1)
    anna.reload()
    assert "dovuta: il Comune può pagarla" in anna.locator(f"#tranche-{progress.pk}").inner_text()
    assert "1 tranche pagata/e." in run_action(office, "/admin/grants/project/", project.pk, "pay_due_tranches")
    assert money(project) == (21000, 9000)
    anna.reload()
    assert "21.000,00 €" in anna.locator("#project-money").inner_text()

    # The final report and its claim; approved, the balance is paid and the paid total is the grant.
    report_and_claim(anna, project, milestone_2, text="Un anno di serate: bilancio finale.",
                     expense="Animatori, ultima rata", amount="8.000,00", tmp_path=tmp_path)  # fmt: skip
    approve_reporting(office, milestone_2)
    assert "1 tranche pagata/e." in run_action(office, "/admin/grants/project/", project.pk, "pay_due_tranches")
    assert money(project) == (30000, 0)
    assert Disbursement.objects.filter(project=project).count() == 3
    assert Tranche.objects.get(pk=balance.pk).disbursement_id is not None
    anna.reload()
    assert "30.000,00 €" in anna.locator("#project-money").inner_text()
    shot(anna, "beneficiary-paid-phone")
    shot(office, "office-balance-paid")

    # 7. The transparency register ("Sovvenzioni, contributi, sussidi") lists the award with its art. 27 fields.
    citizen.goto("/projects/transparency/")
    row_text = citizen.locator("#transparency-table tbody tr").first.inner_text()
    art_27 = (
        "Associazione Quartiere Vivo", WINNER_TAX_CODE, "30.000,00", "Regolamento comunale contributi, art. 5",
        "Divisione Servizi Sociali", "Dott.ssa Laura Verdi", "Avviso pubblico con graduatoria di merito",
        "C11G27000000001", "DD 88/2027",
    )  # fmt: skip
    for expected in art_27:
        assert expected in row_text, expected
    shot(citizen, "transparency")
    for page in (office, anna, luca, citizen):
        page.context.close()
