"""Only the owner sees its applications and their documents: another applicant, staff through the public
pages and anonymous visitors get the same 404 as for something that does not exist; grants staff read them
in the admin."""

import pytest
from django.urls import reverse

from grants.applicants import services
from grants.tests.applicants_support import TEST_PASSWORD, applicant, complete_draft, open_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(grid):
    call = open_call()
    owner = applicant("owner@example.org")
    draft = services.draft_submit(draft=complete_draft(owner, call, grid))
    return owner, draft


def urls(draft) -> list[str]:
    return [
        reverse("applicants:draft", args=[draft.pk]),
        reverse("applicants:attachment", args=[draft.pk, draft.attachments.get().pk]),
        reverse("applicants:receipt", args=[draft.pk]),
        reverse("applicants:withdraw", args=[draft.pk]),
    ]


def test_the_owner_opens_its_application_its_document_and_its_receipt(client, submitted):
    owner, draft = submitted
    client.login(username=owner.username, password=TEST_PASSWORD)
    for url in urls(draft):
        assert client.get(url).status_code == 200, url
    document = client.get(urls(draft)[1])
    assert document["Content-Type"] == "application/pdf" and document["X-Content-Type-Options"] == "nosniff"
    assert b"".join(document.streaming_content).startswith(b"%PDF-")


def test_another_applicant_gets_404_and_cannot_withdraw(client, submitted):
    _owner, draft = submitted
    other = applicant("other@example.org")
    client.login(username=other.username, password=TEST_PASSWORD)
    for url in urls(draft):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("applicants:withdraw", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert draft.title not in client.get(reverse("applicants:mine")).content.decode()


def test_anonymous_visitors_get_404_and_my_applications_asks_them_to_log_in(client, submitted):
    _owner, draft = submitted
    for url in urls(draft):
        assert client.get(url).status_code == 404, url
    response = client.get(reverse("applicants:mine"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("applicants:login"))


def test_staff_get_404_on_the_applicants_pages_and_read_the_application_in_the_admin(client, submitted, grants_admin):
    _owner, draft = submitted
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    for url in urls(draft):
        assert client.get(url).status_code == 404, url
    page = client.get(reverse("admin:grants_application_change", args=[draft.application_id]))
    assert page.status_code == 200 and "Luci in piazza" in page.content.decode()


def test_grants_staff_list_online_applications_in_the_admin_read_only(client, submitted, grants_admin):
    _owner, draft = submitted
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    listing = client.get(reverse("admin:grants_applicationdraft_changelist"))
    assert listing.status_code == 200 and draft.protocol_number in listing.content.decode()
    page = client.get(reverse("admin:grants_applicationdraft_change", args=[draft.pk]))
    assert page.status_code == 200 and 'name="org_name"' not in page.content.decode()  # read only
    call_page = client.get(reverse("admin:grants_call_change", args=[draft.call_id])).content.decode()
    assert "online-0-deadline_time" in call_page and "attachment_types-0-name_it" in call_page


def test_an_applicant_refused_reads_the_reason_on_my_applications(client, submitted):
    from grants import services as grants_services

    owner, draft = submitted
    grants_services.application_transition(
        application=draft.application, to_status="ineligible", note="Manca lo statuto firmato."
    )
    client.login(username=owner.username, password=TEST_PASSWORD)
    mine = client.get(reverse("applicants:mine"), HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Non ammissibile" in mine and "Motivazione dell'esito: Manca lo statuto firmato." in mine
