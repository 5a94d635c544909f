"""Beneficiaries' reporting: progress reports with output indicators and expense claims with PDF receipts per
milestone; the city approves, asks for changes or rejects with reasons; approval unlocks the progress payment;
every step is in the audit trail."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from city.models import OutboundEmail
from grants import services
from grants.models import ExpenseClaim, ExpenseItem, Milestone, ProgressReport, ReportingEvent
from grants.tests.conftest import award, make_call, make_ranked

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def funded(grid, evaluator):
    project = award(make_ranked(make_call(), evaluator), "30000.00")
    milestone = Milestone.objects.create(project=project, title_it="SAL 1", title_en="Progress 1", due_on=TODAY())
    tranche = services.tranche_add(project=project, kind="progress", amount="9000.00", milestone=milestone)
    return project, milestone, tranche


def _report(project, milestone, **extra):
    fields = {
        "text": "Dodici serate in piazza.",
        "people_reached": 340,
        "night_events": 12,
        "night_service_hours": "48",
    }
    return services.progress_report_submit(project=project, milestone=milestone, **{**fields, **extra})


def _receipt(name="fattura.pdf", content=PDF):
    return SimpleUploadedFile(name, content)


def test_an_approved_report_and_claim_unlock_the_progress_payment(funded):
    project, milestone, tranche = funded
    report = _report(project, milestone)
    claim = services.expense_claim_submit(
        project=project, milestone=milestone,
        items=[("Service di sicurezza", "1200.00", _receipt()), ("Luci", "800.50", _receipt("luci.pdf"))],
    )  # fmt: skip
    services.reporting_decide(item=report, decision="approved")
    with pytest.raises(ValidationError, match="once the milestone"):
        services.tranche_pay(tranche=tranche, paid_on=TODAY())  # the claim is still open
    services.reporting_decide(item=claim, decision="approved")
    services.tranche_pay(tranche=tranche, paid_on=TODAY())
    assert services.project_disbursed(project.pk) == 9000
    actions = list(ReportingEvent.objects.values_list("subject", "action"))
    assert actions == [(f"report:{report.pk}", "submitted"), (f"claim:{claim.pk}", "submitted"),
                       (f"report:{report.pk}", "approved"), (f"project:{project.pk}", "active"),
                       (f"claim:{claim.pk}", "approved"),
                       (f"milestone:{milestone.pk}", "approved")]  # fmt: skip


def test_asking_for_changes_needs_a_reason_the_beneficiary_receives(funded):
    project, milestone, tranche = funded
    report = _report(project, milestone)
    with pytest.raises(ValidationError, match="Give the reason"):
        services.reporting_decide(item=report, decision="changes_requested")
    services.reporting_decide(item=report, decision="changes_requested", reason="Mancano le presenze per serata.")
    notice = OutboundEmail.objects.get(kind="grants.report.changes_requested")
    assert "Mancano le presenze" in notice.body and notice.to == project.organisation.email
    assert ProgressReport.objects.get().status == "changes_requested"
    _report(project, milestone, text="Con le presenze.")  # a new version can be sent
    with pytest.raises(ValidationError, match="once the milestone"):
        services.tranche_pay(tranche=tranche, paid_on=TODAY())


def test_a_receipt_that_is_not_a_pdf_refuses_the_whole_claim(funded):
    project, milestone, _tranche = funded
    for bad, message in ((_receipt("f.pdf", b"MZ\x90 not a pdf"), "Item 2: Only PDF"),
                         (_receipt("f.pdf", b"%PDF-1.7\n1 0 obj\n<<"), "Item 2: The PDF is truncated")):  # fmt: skip
        with pytest.raises(ValidationError, match=message):
            services.expense_claim_submit(
                project=project, milestone=milestone, items=[("A", "10.00", _receipt()), ("B", "5.00", bad)]
            )
    with pytest.raises(ValidationError, match="Item 1: the amount"):
        services.expense_claim_submit(project=project, milestone=milestone, items=[("A", "dieci", _receipt())])
    assert not ExpenseClaim.objects.exists() and not ExpenseItem.objects.exists()


def test_bad_output_indicators_are_refused(funded):
    project, milestone, _tranche = funded
    with pytest.raises(ValidationError, match="zero or more"):
        _report(project, milestone, people_reached=-3)
    assert not ProgressReport.objects.exists()


def test_the_city_approves_a_report_from_the_admin(client, funded, grants_admin):
    project, milestone, _tranche = funded
    report = _report(project, milestone)
    client.force_login(grants_admin)
    assert client.get("/admin/grants/progressreport/").status_code == 200
    page = client.post("/admin/grants/progressreport/", {"action": "decide_approved", "_selected_action": [report.pk]})
    assert page.status_code == 302
    assert ProgressReport.objects.get().status == "approved" and Milestone.objects.get().approved_on == TODAY()


def test_officers_cannot_decide_reports(client, funded):
    from conftest import make_user

    project, milestone, _tranche = funded
    report = _report(project, milestone)
    client.force_login(make_user("officer-1", "officer", is_staff=True))
    page = client.post("/admin/grants/progressreport/", {"action": "decide_approved", "_selected_action": [report.pk]})
    assert page.status_code == 403 and ProgressReport.objects.get().status == "submitted"
