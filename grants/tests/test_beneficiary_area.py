"""The beneficiaries' area: a member of a funded organisation logs in, sees its projects with what is due and
what is paid, writes progress reports and expense claims as drafts, sends them; the grants office decides in
the admin; the tranche tied to the milestone becomes payable once the report is approved. Only the members of
the beneficiary see any of it."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from city.models import OutboundEmail
from conftest import TEST_PASSWORD, make_user
from grants import services
from grants.beneficiaries import services as beneficiary_services
from grants.beneficiaries.models import OrganisationMember
from grants.models import ExpenseClaim, ExpenseItem, Milestone, ProgressReport, Review
from grants.tests.conftest import award, make_call, make_organisation, make_ranked

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def funded(grid, evaluator):
    """A published, funded project with one milestone, an advance and a progress payment tied to the milestone,
    and a member of the beneficiary."""
    project = award(make_ranked(make_call(), evaluator), "30000.00", title_it="Piazza viva", title_en="Lively square")
    milestone = Milestone.objects.create(
        project=project, title_it="SAL 1", title_en="Progress 1", due_on=TODAY() + dt.timedelta(days=5)
    )
    services.tranche_add(project=project, kind="advance", amount="6000.00")
    tranche = services.tranche_add(project=project, kind="progress", amount="9000.00", milestone=milestone)
    member = make_user("anna", email="anna@quartierevivo.example")
    OrganisationMember.objects.create(organisation=project.organisation, user=member)
    return project, milestone, tranche, member


def urls(project, milestone):
    return {
        "project": reverse("grants:beneficiaries:project", args=[project.pk]),
        "report": reverse("grants:beneficiaries:report", args=[project.pk, milestone.pk]),
        "claim": reverse("grants:beneficiaries:claim", args=[project.pk, milestone.pk]),
    }


def report_fields(**extra):
    return {"text": "Dodici serate in piazza.", "people_reached": "340", "night_events": "12",
            "night_service_hours": "48,5", **extra}  # fmt: skip


def receipt(name="fattura.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_it_lists_only_the_members_projects_and_sends_anonymous_to_the_login(client, funded):
    _project, _milestone, _tranche, member = funded
    home = reverse("grants:beneficiaries:home")
    assert client.get(home).status_code == 302  # to the login page
    client.force_login(member)
    page = client.get(home)
    assert page.status_code == 200 and "Piazza viva" in page.content.decode()
    client.force_login(make_user("someone-else"))
    page = client.get(home)
    assert "Piazza viva" not in page.content.decode() and 'id="no-membership"' in page.content.decode()


def test_a_logged_out_beneficiary_following_an_email_link_logs_in_and_lands_on_the_page(client, funded):
    """The same answer for an id that exists and one that does not: the login, then the page (or the 404)."""
    project, milestone, _tranche, member = funded
    for url in [*urls(project, milestone).values(), reverse("grants:beneficiaries:project", args=[project.pk + 999])]:
        response = client.get(url)
        assert response.status_code == 302 and "next=" in response["Location"], url
        assert "Accesso beneficiari" in client.get(response["Location"]).content.decode()
    login = client.get(urls(project, milestone)["project"])["Location"]
    response = client.post(login, {"username": member.username, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == urls(project, milestone)["project"]


@pytest.mark.parametrize("who", ["other-member", "grants-admin"])
def test_it_answers_404_to_anyone_but_the_beneficiarys_members(client, funded, who, grants_admin):
    project, milestone, _tranche, _member = funded
    if who == "other-member":
        other = make_user("bruno")
        OrganisationMember.objects.create(organisation=make_organisation("Altra APS"), user=other)
        client.force_login(other)
    elif who == "grants-admin":
        client.force_login(grants_admin)
    for url in urls(project, milestone).values():
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("grants:beneficiaries:project", args=[project.pk + 999])).status_code == 404
    client.post(urls(project, milestone)["report"], {**report_fields(), "action": "send"})
    assert not ProgressReport.objects.exists()


def test_it_shows_milestones_and_tranches_with_what_is_due(client, funded):
    project, milestone, tranche, member = funded
    client.force_login(member)
    page = client.get(urls(project, milestone)["project"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "SAL 1" in page or "Progress 1" in page
    assert 'class="border-bottom py-2 tranche-payable"' in page  # the advance: due at once
    assert f'tranche-waiting" id="tranche-{tranche.pk}"' in page


def test_a_draft_is_saved_incomplete_and_sent_only_when_complete(client, funded):
    project, milestone, _tranche, member = funded
    client.force_login(member)
    url = urls(project, milestone)["report"]
    empty = {"people_reached": "", "night_events": "", "night_service_hours": ""}
    page = client.post(url, {"text": "Prime serate.", **empty, "action": "save"})
    assert page.status_code == 302
    draft = ProgressReport.objects.get()
    assert draft.status == Review.DRAFT and draft.people_reached is None
    assert not OutboundEmail.objects.exists()

    page = client.post(url, {**report_fields(people_reached=""), "action": "send"})
    assert page.status_code == 400
    assert "Persone raggiunte deve essere un numero" in page.content.decode()  # in the member's language
    assert ProgressReport.objects.get().status == Review.DRAFT

    page = client.post(url, {**report_fields(people_reached="dodici"), "action": "save"})
    assert page.status_code == 400 and ProgressReport.objects.get().people_reached is None

    assert client.post(url, {**report_fields(), "action": "send"}).status_code == 302
    sent = ProgressReport.objects.get()
    assert (sent.status, sent.people_reached, str(sent.night_service_hours)) == (Review.SUBMITTED, 340, "48.5")
    notice = OutboundEmail.objects.get(kind="grants.report.received")
    assert notice.to == project.organisation.email and notice.language == "it"
    assert "Abbiamo ricevuto" in notice.subject and "/projects/beneficiary/" in notice.body

    # Sent: the form is gone, and a second version cannot be sent while this one is under review.
    page = client.get(url).content.decode()
    assert 'id="report-sent"' in page and 'id="send-report"' not in page
    client.post(url, {**report_fields(text="Altro."), "action": "send"})
    assert ProgressReport.objects.count() == 1


def test_an_expense_claim_is_built_item_by_item_with_pdf_receipts(client, funded, settings):
    project, milestone, _tranche, member = funded
    client.force_login(member)
    url = urls(project, milestone)["claim"]
    page = client.post(url, {"action": "add", "description": "Servizio d'ordine", "amount": "1.250,50",
                             "receipt": receipt("foto.pdf", b"\x89PNG\r\n\x1a\n not a pdf")})  # fmt: skip
    assert page.status_code == 400 and "non è un PDF" in page.content.decode()
    assert not ExpenseItem.objects.exists()
    settings.GRANTS_ATTACHMENT_MAX_BYTES = 40
    page = client.post(url, {"action": "add", "description": "Luci", "amount": "10", "receipt": receipt()})
    assert page.status_code == 400 and "troppo grande" in page.content.decode()
    settings.GRANTS_ATTACHMENT_MAX_BYTES = 10 * 2**20

    assert client.post(url, {"action": "add", "description": "Servizio d'ordine", "amount": "1.250,50",
                             "receipt": receipt()}).status_code == 302  # fmt: skip
    assert client.post(url, {"action": "add", "description": "Luci", "amount": "99.50",
                             "receipt": receipt("luci.pdf")}).status_code == 302  # fmt: skip
    claim = ExpenseClaim.objects.get()
    assert claim.status == Review.DRAFT
    assert sorted(claim.items.values_list("amount", flat=True)) == [99.50, 1250.50]
    luci = claim.items.get(description="Luci")
    assert client.post(url, {"action": "remove", "item": luci.pk}).status_code == 302
    assert claim.items.count() == 1

    # The office does not see drafts; once sent it does, and the organisation is told.
    assert client.post(url, {"action": "send"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == Review.SUBMITTED
    assert OutboundEmail.objects.filter(kind="grants.claim.received").count() == 1
    assert (
        client.post(url, {"action": "add", "description": "Tardi", "amount": "5", "receipt": receipt()}).status_code
        == 200
    )
    assert claim.items.count() == 1  # a sent claim is not changed


def test_receipts_go_to_the_members_and_the_grants_office_only(client, funded, grants_admin):
    project, milestone, _tranche, member = funded
    draft = services.expense_claim_submit(
        project=project, milestone=milestone, items=[("Luci", "80.00", receipt("luci.pdf"))]
    )
    item = draft.items.get()
    url = reverse("grants:beneficiaries:receipt", args=[item.pk])
    assert client.get(url).status_code == 302  # logged out: to the login first, as for any id
    client.force_login(make_user("bruno"))
    assert client.get(url).status_code == 404
    for who in (member, grants_admin):
        client.force_login(who)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment")


def test_the_tranche_becomes_payable_once_the_office_approves_in_the_admin(client, funded, grants_admin):
    project, milestone, tranche, member = funded
    client.force_login(member)
    client.post(urls(project, milestone)["report"], {**report_fields(), "action": "send"})
    report = ProgressReport.objects.get()

    # While the report is under review the office cannot approve the milestone around it.
    Milestone.objects.filter(pk=milestone.pk).update(done_on=TODAY())
    with translation.override("en"), pytest.raises(services.ValidationError, match="still open"):
        services.milestone_approve(milestone=Milestone.objects.get(pk=milestone.pk))

    client.force_login(grants_admin)
    ProgressReport.objects.filter(pk=report.pk).update(decision_reason="")
    page = client.post("/admin/grants/progressreport/", {"action": "decide_approved", "_selected_action": [report.pk]})
    assert page.status_code == 302
    assert OutboundEmail.objects.filter(kind="grants.report.approved").count() == 1
    assert "/projects/beneficiary/" in OutboundEmail.objects.get(kind="grants.report.approved").body

    client.force_login(member)
    page = client.get(urls(project, milestone)["project"]).content.decode()
    assert f'tranche-payable" id="tranche-{tranche.pk}"' in page

    client.force_login(grants_admin)
    client.post("/admin/grants/project/", {"action": "pay_due_tranches", "_selected_action": [project.pk]})
    assert services.project_disbursed(project.pk) == 15000  # the advance and the progress payment
    assert OutboundEmail.objects.filter(kind="grants.payment").count() == 2
    client.force_login(member)
    page = client.get(urls(project, milestone)["project"]).content.decode()
    assert f'tranche-paid" id="tranche-{tranche.pk}"' in page


def test_a_payable_tranche_still_waits_for_the_durc(client, funded):
    project, milestone, _tranche, member = funded
    services.organisation_checks_record(
        organisation=project.organisation, durc_valid_until=TODAY() - dt.timedelta(days=1)
    )
    client.force_login(member)
    page = client.get(urls(project, milestone)["project"], HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "tranche-payable" not in page and "DURC" in page


def test_changes_requested_lead_to_a_new_version_with_the_reason_shown(client, funded, grants_admin):
    project, milestone, tranche, member = funded
    client.force_login(member)
    client.post(urls(project, milestone)["report"], {**report_fields(), "action": "send"})
    client.post(urls(project, milestone)["claim"], {"action": "add", "description": "Luci", "amount": "80",
                                                    "receipt": receipt()})  # fmt: skip
    client.post(urls(project, milestone)["claim"], {"action": "send"})
    services.reporting_decide(item=ProgressReport.objects.get(), decision="changes_requested",
                              reason="Mancano le presenze per serata.", actor=grants_admin)  # fmt: skip
    services.reporting_decide(item=ExpenseClaim.objects.get(), decision="changes_requested",
                              reason="La fattura non è intestata al beneficiario.", actor=grants_admin)  # fmt: skip

    page = client.get(urls(project, milestone)["report"]).content.decode()
    assert "Mancano le presenze per serata." in page and 'id="send-report"' in page
    assert client.post(urls(project, milestone)["report"],
                       {**report_fields(text="Con le presenze."), "action": "send"}).status_code == 302  # fmt: skip
    assert ProgressReport.objects.filter(status=Review.SUBMITTED).get().text == "Con le presenze."

    assert client.post(urls(project, milestone)["claim"], {"action": "revise"}).status_code == 302
    draft = ExpenseClaim.objects.get(status=Review.DRAFT)
    old = ExpenseClaim.objects.get(status=Review.CHANGES_REQUESTED).items.get()
    assert draft.items.get().receipt.name == old.receipt.name
    client.post(urls(project, milestone)["claim"], {"action": "remove", "item": draft.items.get().pk})
    assert old.receipt.storage.exists(old.receipt.name)  # still the sent claim's receipt
    client.post(urls(project, milestone)["claim"], {"action": "add", "description": "Luci", "amount": "80",
                                                    "receipt": receipt("giusta.pdf")})  # fmt: skip
    client.post(urls(project, milestone)["claim"], {"action": "send"})

    services.reporting_decide(item=ProgressReport.objects.get(status=Review.SUBMITTED), decision="approved")
    with translation.override("en"), pytest.raises(services.ValidationError, match="once the milestone"):
        services.tranche_pay(tranche=tranche, paid_on=TODAY())  # the new claim is still under review
    services.reporting_decide(item=ExpenseClaim.objects.get(status=Review.SUBMITTED), decision="approved")
    services.tranche_pay(tranche=tranche, paid_on=TODAY())
    assert Milestone.objects.get().approved_on == TODAY()


def test_drafts_are_the_beneficiarys_own(client, funded, grants_admin):
    project, milestone, tranche, member = funded
    client.force_login(member)
    client.post(urls(project, milestone)["report"], {**report_fields(), "action": "save"})
    client.post(urls(project, milestone)["claim"], {"action": "add", "description": "Luci", "amount": "80",
                                                    "receipt": receipt()})  # fmt: skip
    client.force_login(grants_admin)
    assert client.get("/admin/grants/progressreport/").context["cl"].result_count == 0
    assert client.get("/admin/grants/expenseclaim/").context["cl"].result_count == 0
    # A draft claim does not hold up the milestone once the report is approved.
    beneficiary_services.report_send(report=ProgressReport.objects.get(), actor=member)
    services.reporting_decide(item=ProgressReport.objects.get(), decision="approved")
    services.tranche_pay(tranche=tranche, paid_on=TODAY())


def test_a_member_who_logs_in_from_the_login_page_lands_on_their_projects(client, funded, grants_admin):
    from conftest import TEST_PASSWORD

    _project, _milestone, _tranche, member = funded
    answer = client.post(reverse("login"), {"username": member.username, "password": TEST_PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == reverse("grants:beneficiaries:home")
    assert 'id="nav-beneficiaries"' in client.get(reverse("grants:projects")).content.decode()
    client.logout()
    answer = client.post(reverse("login"), {"username": grants_admin.username, "password": TEST_PASSWORD})
    assert answer["Location"] == reverse("dashboard")  # staff as before
    assert 'id="nav-beneficiaries"' not in client.get(reverse("grants:projects")).content.decode()


def test_the_project_page_costs_the_same_queries_with_more_milestones(client, funded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    project, _milestone, _tranche, member = funded
    client.force_login(member)
    url = reverse("grants:beneficiaries:project", args=[project.pk])
    counts = []
    for _more in range(2):
        client.get(url)  # the session and the caches are warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
        for n in range(5):
            extra = Milestone.objects.create(project=project, title_it=f"SAL {n}", title_en=f"Step {n}", due_on=TODAY())
            services.tranche_add(project=project, kind="progress", amount="100.00", milestone=extra)
    assert counts[0] == counts[1], counts


def test_nothing_more_is_sent_for_an_approved_milestone_or_a_withdrawn_project(client, funded):
    project, milestone, _tranche, member = funded
    Milestone.objects.filter(pk=milestone.pk).update(done_on=TODAY(), approved_on=TODAY())
    client.force_login(member)
    page = client.get(urls(project, milestone)["report"]).content.decode()
    assert 'id="milestone-closed"' in page and 'id="send-report"' not in page
    assert 'id="milestone-closed"' in client.get(urls(project, milestone)["claim"]).content.decode()
    client.post(urls(project, milestone)["report"], {**report_fields(), "action": "send"})
    assert not ProgressReport.objects.exists()

    other = Milestone.objects.create(project=project, title_it="SAL 2", title_en="Progress 2", due_on=TODAY())
    draft = beneficiary_services.report_draft_save(project=project, milestone=other, actor=member, **report_fields())
    services.project_status_change(project=project, status="suspended")
    services.project_status_change(project=project, status="withdrawn", reason="Ritirato.")
    page = client.post(urls(project, other)["report"], {**report_fields(), "action": "send"})
    assert page.status_code == 400 and "ritirato" in page.content.decode()
    draft.refresh_from_db()
    assert draft.status == Review.DRAFT


def test_the_office_decides_on_the_reports_page_in_the_admin_with_the_reason_typed_there(client, funded, grants_admin):
    project, milestone, _tranche, member = funded
    client.force_login(member)
    client.post(urls(project, milestone)["report"], {**report_fields(), "action": "send"})
    report = ProgressReport.objects.get()
    client.force_login(grants_admin)
    url = f"/admin/grants/progressreport/{report.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="_decide_changes_requested"' in page and "Dodici serate" in page

    # Without a reason, asking for changes is refused and nothing changes.
    answer = client.post(url, {"decision_reason": "", "_decide_changes_requested": "1"}, follow=True)
    assert "Indica la motivazione della richiesta di modifiche" in answer.content.decode()
    assert ProgressReport.objects.get().status == Review.SUBMITTED

    client.post(url, {"decision_reason": "Mancano le presenze.", "_decide_changes_requested": "1"})
    report.refresh_from_db()
    assert (report.status, report.decision_reason) == (Review.CHANGES_REQUESTED, "Mancano le presenze.")
    assert OutboundEmail.objects.filter(kind="grants.report.changes_requested").count() == 1
    assert 'id="review-decision"' not in client.get(url).content.decode()  # decided: no more buttons


@pytest.mark.django_db(transaction=True)
def test_two_members_sending_at_once_make_one_report_under_review(grid, evaluator):
    """Two members of the organisation press 'Send' at the same moment, each on a first save: one report is
    under review, the other is told so (the draft is shared), and no second draft is left behind."""
    from grants.tests.test_money import _run_in_threads

    project = award(make_ranked(make_call(), evaluator), "30000.00")
    milestone = Milestone.objects.create(project=project, title_it="SAL 1", title_en="Progress 1", due_on=TODAY())
    members = [make_user(f"member-{n}") for n in range(2)]

    def send(member):
        draft = beneficiary_services.report_draft_save(project=project, milestone=milestone, actor=member,
                                                       **report_fields())  # fmt: skip
        beneficiary_services.report_send(report=draft, actor=member)

    results = _run_in_threads([lambda m=m: send(m) for m in members])
    refusals = [" ".join(r.messages) for r in results if r != "ok"]
    assert len(refusals) == 1 and ("under review" in refusals[0] or "sent to the city already" in refusals[0])
    assert list(ProgressReport.objects.values_list("status", flat=True)) == [Review.SUBMITTED]


def test_the_beneficiaries_area_sends_to_a_login_page_worded_for_beneficiaries(funded, client):
    project, _milestone, _tranche, member = funded
    deep = reverse("login") + "?next=" + reverse("grants:beneficiaries:project", args=[project.pk])
    for path in (reverse("grants:beneficiaries:home"), deep):  # where the area sends them, a link to a project
        page = client.get(path, follow=True).content.decode()
        assert '<h1 class="h2" id="login-heading">Accesso beneficiari</h1>' in page, path
        assert "ufficio contributi" in page and "<title>Accesso beneficiari" in page
        assert "Accesso personale</h1>" not in page
    client.cookies["django_language"] = "en"
    page = client.get(reverse("grants:beneficiaries:home"), follow=True).content.decode()
    assert '<h1 class="h2" id="login-heading">Beneficiaries\' login</h1>' in page

    # A wrong password keeps the page theirs; the right one leads into the area.
    login = reverse("login")
    home = reverse("grants:beneficiaries:home")
    wrong = client.post(login, {"username": member.username, "password": "wrong", "next": home}).content.decode()
    assert "Beneficiaries&#x27; login" in wrong or "Beneficiaries' login" in wrong
    right = client.post(login, {"username": member.username, "password": TEST_PASSWORD, "next": home})
    assert right.status_code == 302 and right["Location"] == home


def test_the_staff_login_page_still_speaks_to_the_staff(client):
    page = client.get(reverse("login") + "?next=/dashboard/").content.decode()
    assert '<h1 class="h2" id="login-heading">Accesso personale</h1>' in page and "Accesso beneficiari" not in page
