"""The grants admin: who may open it, and that its forms refuse bad money and dates with clear errors."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from conftest import TEST_PASSWORD, make_user
from grants import services
from grants.models import Call, Disbursement, GrantRelease, Project
from grants.tests.conftest import award, make_call, make_ranked

pytestmark = pytest.mark.django_db
CHANGELISTS = ["call", "application", "project", "disbursement"]


@pytest.mark.parametrize("model", CHANGELISTS)
def test_grants_admins_open_the_grants_changelists(client, grants_admin, model):
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    assert client.get(f"/admin/grants/{model}/").status_code == 200


@pytest.mark.parametrize("model", CHANGELISTS)
def test_officers_cannot_open_the_grants_changelists(client, model):
    officer = make_user("staff-officer", "officer", is_staff=True)
    client.login(username=officer.username, password=TEST_PASSWORD)
    assert client.get(f"/admin/grants/{model}/").status_code == 403


@pytest.mark.parametrize("model", CHANGELISTS)
def test_anonymous_visitors_are_sent_to_the_admin_login(client, model):
    page = client.get(f"/admin/grants/{model}/")
    assert page.status_code == 302 and "/admin/login/" in page["Location"]


def test_grants_admins_cannot_edit_or_delete_a_disbursement(client, grants_admin, grid):
    project = award(make_ranked(make_call(), grants_admin), "30000.00")
    tranche = services.disbursement_record(project=project, amount="1000.00", paid_on=timezone.localdate())
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    page = client.post(f"/admin/grants/disbursement/{tranche.pk}/change/", {"amount": "1"})
    assert page.status_code == 403
    assert client.post(f"/admin/grants/disbursement/{tranche.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Disbursement.objects.get().amount == Decimal("1000.00")


def _disbursement_post(client, project, amount, paid_on=None):
    return client.post(
        "/admin/grants/disbursement/add/",
        {"project": project.pk, "paid_on": (paid_on or timezone.localdate()).isoformat(), "amount": amount, "note": ""},
    )


def test_recording_a_disbursement_in_the_admin(client, grants_admin, grid):
    project = award(make_ranked(make_call(), grants_admin), "30000.00")
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    page = _disbursement_post(client, project, "7500.50")
    assert page.status_code == 302
    entry = Disbursement.objects.get()
    assert entry.amount == Decimal("7500.50") and entry.recorded_by == grants_admin


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("30000.01", "more than the"),
        ("-1", "cannot take back"),
        ("mille", "must be an amount"),
        ("0", "cannot be zero"),
    ],
)
def test_bad_disbursements_are_form_errors_and_nothing_is_written(client, grants_admin, grid, amount, message):
    client.cookies["django_language"] = "en"
    project = award(make_ranked(make_call(), grants_admin), "30000.00")
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    page = _disbursement_post(client, project, amount)
    assert page.status_code == 200 and message in page.content.decode()
    assert not Disbursement.objects.exists()


def test_an_over_budget_award_in_the_admin_is_a_form_error(client, grants_admin, grid):
    client.cookies["django_language"] = "en"
    call = make_call(budget="50000.00")
    award(make_ranked(call, grants_admin, requested="40000.00", title="A"), "40000.00")
    second = make_ranked(call, grants_admin, requested="40000.00", title="B")
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    today = timezone.localdate().isoformat()
    page = client.post(
        "/admin/grants/project/add/",
        {"application": second.pk, "granted_amount": "20000.00", "start_on": today, "end_on": today,
         "status": "planned", "description_it": "", "description_en": "", "sites": ""},
    )  # fmt: skip
    assert page.status_code == 200 and "Over budget" in page.content.decode()
    assert Project.objects.count() == 1
    page = client.post(
        "/admin/grants/project/add/",
        {"application": second.pk, "granted_amount": "10000.00", "start_on": today, "end_on": today,
         "status": "planned", "description_it": "", "description_en": "", "sites": ""},
    )  # fmt: skip
    assert page.status_code == 302 and Project.objects.count() == 2


def test_calls_projects_and_disbursements_export_to_csv_and_xlsx(client, grants_admin, grid):
    project = award(make_ranked(make_call(), grants_admin), "30000.00")
    services.disbursement_record(project=project, amount="1234.56", paid_on=timezone.localdate(), note="=cmd()")
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    tranche = Disbursement.objects.get()
    for model, pk in (("call", project.call_id), ("project", project.pk), ("disbursement", tranche.pk)):
        csv_page = client.post(f"/admin/grants/{model}/", {"action": "export_csv", "_selected_action": [pk]})
        assert csv_page.status_code == 200 and csv_page["Content-Type"].startswith("text/csv")
        raw = b"".join(csv_page.streaming_content)
        assert raw.startswith(b"\xef\xbb\xbf")  # the one CSV writer's byte-order mark
        text = raw.decode("utf-8-sig")
        assert "maria.rossi@example.org" not in text
        xlsx_page = client.post(f"/admin/grants/{model}/", {"action": "export_xlsx", "_selected_action": [pk]})
        sheet = load_workbook(io.BytesIO(xlsx_page.content)).active
        assert sheet.max_row == 2
    assert "1234.56" in text and "'=cmd()" in text  # exact amount; a formula is defused
    amounts = [c.value for c in sheet[2]]
    assert Decimal("1234.56") in [Decimal(str(v)) for v in amounts if isinstance(v, float | int | Decimal)]


def test_the_xlsx_has_every_column_of_the_csv_in_order_with_amounts_in_euro(client, grants_admin, grid):
    # Written by the observatory's one XLSX writer (city.xlsxexport), with the grants' euro format.
    project = award(make_ranked(make_call(), grants_admin), "30000.00")
    services.disbursement_record(project=project, amount="1234.56", paid_on=timezone.localdate(), note="acconto")
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    for model, pk in (("call", project.call_id), ("project", project.pk),
                      ("disbursement", Disbursement.objects.get().pk)):  # fmt: skip
        data = {"_selected_action": [pk]}
        csv_page = client.post(f"/admin/grants/{model}/", data | {"action": "export_csv"})
        (csv_header, csv_row) = list(csv.reader(io.StringIO(b"".join(csv_page.streaming_content).decode("utf-8-sig"))))
        xlsx_page = client.post(f"/admin/grants/{model}/", data | {"action": "export_xlsx"})
        assert xlsx_page["Content-Disposition"].endswith(f'{model}s-{timezone.localdate().isoformat()}.xlsx"')
        sheet = load_workbook(io.BytesIO(xlsx_page.content)).active
        assert sheet.title == f"{model}s"
        assert [c.value for c in sheet[1]] == csv_header
        for header, cell, text in zip(csv_header, sheet[2], csv_row, strict=True):
            if header.endswith("_eur"):
                assert cell.number_format == '#,##0.00 "€"' and Decimal(str(cell.value)) == Decimal(text or "0")


@pytest.mark.parametrize("note", ['=HYPERLINK("http://evil.example/","x")', "@SUM(A1:A9)", "+1", "-1+2"])
def test_exported_text_that_a_spreadsheet_would_run_is_written_as_text(client, grants_admin, grid, note):
    project = award(make_ranked(make_call(), grants_admin), "30000.00")
    services.disbursement_record(project=project, amount="1234.56", paid_on=timezone.localdate(), note=note)
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    pk = Disbursement.objects.get().pk
    page = client.post("/admin/grants/disbursement/", {"action": "export_csv", "_selected_action": [pk]})
    (row,) = csv.DictReader(io.StringIO(b"".join(page.streaming_content).decode("utf-8-sig")))
    assert row["note"] == "'" + note
    assert row["amount_eur"] == "1234.56"  # an amount stays a number
    xlsx = client.post("/admin/grants/disbursement/", {"action": "export_xlsx", "_selected_action": [pk]})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = {sheet.cell(1, c).value: sheet.cell(2, c).value for c in range(1, sheet.max_column + 1)}
    assert cells["note"] == "'" + note
    assert cells["amount_eur"] == pytest.approx(1234.56)


# --- withdrawal in the admin: the status goes through the service, which releases the money ---------------


def _project_change_data(client, project) -> dict:
    from grants.tests.test_attachments import change_form_data

    return change_form_data(client.get(f"/admin/grants/project/{project.pk}/change/").content.decode())


def test_withdrawing_in_the_admin_releases_the_unpaid_grant(client, grants_admin, grid):
    call = make_call(budget="100000.00")
    project = award(make_ranked(call, grants_admin, requested="40000.00"), "40000.00")
    services.disbursement_record(project=project, amount="15000.00", paid_on=timezone.localdate())
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    data = _project_change_data(client, project)

    page = client.post(f"/admin/grants/project/{project.pk}/change/", {**data, "status": "withdrawn"})

    assert page.status_code == 302
    release = GrantRelease.objects.get()
    assert (release.amount, release.recorded_by) == (Decimal("25000.00"), grants_admin)
    assert Call.objects.with_budget().get().committed == Decimal("15000.00")
    html = client.get(f"/admin/grants/project/{project.pk}/change/").content.decode()
    assert "25000.00" in html  # the release is listed on the project, read-only


def test_reinstating_in_the_admin_is_a_form_error_when_the_money_is_gone(client, grants_admin, grid):
    client.cookies["django_language"] = "en"
    call = make_call(budget="50000.00")
    project = award(make_ranked(call, grants_admin, requested="40000.00", title="A"), "40000.00")
    services.project_status_change(project=project, status="withdrawn")
    award(make_ranked(call, grants_admin, requested="45000.00", title="B"), "45000.00")
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    data = _project_change_data(client, project)

    page = client.post(f"/admin/grants/project/{project.pk}/change/", {**data, "status": "active"})

    assert page.status_code == 200 and "cannot be reinstated" in page.content.decode()
    assert Project.objects.get(pk=project.pk).status == "withdrawn" and GrantRelease.objects.count() == 1


def test_the_withdraw_action_releases_each_selected_project(client, grants_admin, grid):
    call = make_call(budget="100000.00")
    projects = [award(make_ranked(call, grants_admin, requested="20000.00", title=t), "20000.00") for t in "AB"]
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    page = client.post(
        "/admin/grants/project/", {"action": "withdraw_projects", "_selected_action": [p.pk for p in projects]}
    )
    assert page.status_code == 302
    assert GrantRelease.objects.count() == 2
    assert Call.objects.with_budget().get().remaining == Decimal("100000.00")


def test_officers_cannot_withdraw_a_project_through_the_admin(client, grid, grants_admin):
    project = award(make_ranked(make_call(), grants_admin), "20000.00")
    officer = make_user("staff-officer", "officer", is_staff=True)
    client.login(username=officer.username, password=TEST_PASSWORD)
    page = client.post("/admin/grants/project/", {"action": "withdraw_projects", "_selected_action": [project.pk]})
    assert page.status_code == 403 and not GrantRelease.objects.exists()


def test_exports_show_what_was_granted_released_and_committed(client, grants_admin, grid):
    call = make_call(budget="100000.00")
    project = award(make_ranked(call, grants_admin, requested="40000.00"), "40000.00")
    services.disbursement_record(project=project, amount="10000.00", paid_on=timezone.localdate())
    services.project_status_change(project=project, status="withdrawn")
    client.login(username=grants_admin.username, password=TEST_PASSWORD)

    calls = _csv_rows(client.post("/admin/grants/call/", {"action": "export_csv", "_selected_action": [call.pk]}))
    assert {k: calls[0][k] for k in ("budget_eur", "granted_eur", "released_eur", "committed_eur", "disbursed_eur",
                                     "remaining_eur")} == {
        "budget_eur": "100000.00", "granted_eur": "40000.00", "released_eur": "30000.00",
        "committed_eur": "10000.00", "disbursed_eur": "10000.00", "remaining_eur": "90000.00",
    }  # fmt: skip
    projects = _csv_rows(
        client.post("/admin/grants/project/", {"action": "export_csv", "_selected_action": [project.pk]})
    )
    assert (projects[0]["released_eur"], projects[0]["committed_eur"]) == ("30000.00", "10000.00")
    sheet = load_workbook(
        io.BytesIO(client.post("/admin/grants/call/", {"action": "export_xlsx", "_selected_action": [call.pk]}).content)
    ).active
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert Decimal(str(values["released_eur"])) == Decimal("30000.00")
    assert Decimal(str(values["committed_eur"])) == Decimal("10000.00")
    releases = _csv_rows(
        client.post(
            "/admin/grants/grantrelease/", {"action": "export_csv", "_selected_action": [GrantRelease.objects.get().pk]}
        )
    )
    assert releases[0]["amount_eur"] == "30000.00"


def _csv_rows(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_releases_are_read_only_in_the_admin(client, grants_admin, grid):
    project = award(make_ranked(make_call(), grants_admin), "20000.00")
    services.project_status_change(project=project, status="withdrawn")
    release = GrantRelease.objects.get()
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    assert client.get("/admin/grants/grantrelease/").status_code == 200
    assert client.get("/admin/grants/grantrelease/add/").status_code == 403
    assert client.post(f"/admin/grants/grantrelease/{release.pk}/delete/", {"post": "yes"}).status_code == 403
    assert GrantRelease.objects.count() == 1


# --- the programme summary from the admin ----------------------------------------------------------------


def test_the_admin_index_links_grants_admins_to_the_programme_summary(client, grants_admin):
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    for page in ("/admin/", "/admin/grants/"):
        assert 'href="/admin/grants/programmesummary/"' in client.get(page).content.decode(), page
    entry = client.get("/admin/grants/programmesummary/")
    assert entry.status_code == 302 and entry["Location"] == "/projects/programme/"
    assert client.get(entry["Location"]).status_code == 200


def test_staff_without_the_permission_see_no_programme_link_in_the_admin(client):
    officer = make_user("staff-officer", "officer", is_staff=True)
    client.login(username=officer.username, password=TEST_PASSWORD)
    assert "programmesummary" not in client.get("/admin/").content.decode()
    assert client.get("/admin/grants/programmesummary/").status_code == 403
    assert client.get("/projects/programme/").status_code == 403


def test_staff_given_the_programme_permission_reach_the_summary(client):
    from django.contrib.auth.models import Permission

    analyst = make_user("analyst", is_staff=True)
    analyst.user_permissions.add(Permission.objects.get(codename="view_programmesummary"))
    client.login(username=analyst.username, password=TEST_PASSWORD)
    assert 'href="/admin/grants/programmesummary/"' in client.get("/admin/").content.decode()
    assert client.get("/projects/programme/").status_code == 200


def test_anonymous_visitors_reach_the_programme_entry_only_through_a_login(client):
    page = client.get("/admin/grants/programmesummary/")
    assert page.status_code == 302 and "/admin/login/" in page["Location"]
    page = client.get("/projects/programme/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")


def test_the_programme_entry_offers_nothing_to_add_change_or_delete(client, grants_admin, grid):
    project = award(make_ranked(make_call(), grants_admin), "20000.00")
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    assert client.get("/admin/grants/programmesummary/add/").status_code == 404
    assert client.get(f"/admin/grants/programmesummary/{project.pk}/change/").status_code == 404
