"""The application form, without JavaScript: the organisation with its codici fiscali checked by their check
digit, the project and its zones, the budget plan within the call's limits, the declared documents within
their size and checked as PDFs by content; a draft is saved and comes back as it was."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from grants.applicants import services
from grants.models import Application, ApplicationDraft, DraftAttachment
from grants.tests.applicants_support import TEST_PASSWORD, applicant, complete_draft, open_call, pdf

pytestmark = pytest.mark.django_db


def form_data(call, zones, **overrides):
    data = {
        "org_name": "Associazione Quartiere Vivo",
        "org_legal_form": "association",
        "org_tax_code": "97512340015",
        "org_vat_number": "",
        "org_address": "Via Po 1, Torino",
        "legal_rep_name": "Mario Rossi",
        "legal_rep_tax_code": "RSSMRA80A01L219M",
        "contact_phone": "",
        "title": "Luci in piazza",
        "summary": "Animazione serale.",
        "zones": [zones[0].pk, zones[5].pk],
        "start_on": (timezone.localdate() + dt.timedelta(days=60)).isoformat(),
        "end_on": (timezone.localdate() + dt.timedelta(days=400)).isoformat(),
        "night_service": "on",
        "line_count": "3",
        "line-0-description": "Animatori",
        "line-0-requested": "20000,00",
        "line-0-co_financing": "2.500,00",
        "line-1-description": "Luci",
        "line-1-requested": "5000",
        "line-1-co_financing": "0",
        "action": "save",
    }
    data.update(overrides)
    return data


@pytest.fixture
def started(client, grid):
    call = open_call()
    user = applicant()
    client.login(username=user.username, password=TEST_PASSWORD)
    response = client.post(reverse("applicants:start", args=[call.pk]))
    draft = ApplicationDraft.objects.get(owner=user)
    assert response["Location"] == reverse("applicants:draft", args=[draft.pk])
    return call, draft


def test_a_draft_is_saved_and_comes_back_as_it_was(client, grid, started):
    call, draft = started
    required = call.attachment_types.get(required=True)
    url = reverse("applicants:draft", args=[draft.pk])
    response = client.post(url, {**form_data(call, grid), f"doc_{required.pk}": pdf("formulario.pdf")})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.org_tax_code, draft.title, draft.status) == ("97512340015", "Luci in piazza", "draft")
    assert [(line.description, line.requested, line.co_financing) for line in draft.budget_lines.all()] == [
        ("Animatori", Decimal("20000.00"), Decimal("2500.00")),
        ("Luci", Decimal("5000.00"), Decimal("0.00")),
    ]
    assert set(draft.zones.all()) == {grid[0], grid[5]}
    assert draft.attachments.get().original_name == "formulario.pdf"
    assert not Application.objects.exists()  # a draft is not an application

    page = client.get(url).content.decode()
    assert 'value="Luci in piazza"' in page and 'value="Animatori"' in page and "formulario.pdf" in page
    assert "Europe/Rome" in page and "12:00" in page  # the deadline with its time zone
    # Two lines saved, three blank ones offered: more lines without JavaScript.
    assert 'name="line-4-description"' in page and 'name="line-5-description"' not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("org_tax_code", "97512340016", "il carattere di controllo non corrisponde"),
        ("org_tax_code", "1234", "11 cifre"),
        ("org_vat_number", "01234567890", "il carattere di controllo non corrisponde"),
        ("legal_rep_tax_code", "RSSMRA80A01L219X", "il carattere di controllo non corrisponde"),
        ("legal_rep_tax_code", "ROSSI", "16"),
    ],
)
def test_codici_fiscali_and_partite_iva_are_checked_by_their_check_digit(client, grid, started, field, value, message):
    call, draft = started
    response = client.post(reverse("applicants:draft", args=[draft.pk]), form_data(call, grid, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    draft.refresh_from_db()
    assert draft.org_name == "" and not draft.budget_lines.exists()  # nothing half-written


def test_bad_budget_lines_are_named_and_nothing_is_saved(client, grid, started):
    call, draft = started
    response = client.post(
        reverse("applicants:draft", args=[draft.pk]),
        form_data(call, grid, **{"line-1-requested": "12,345", "line-2-requested": "100"}),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Controlla il piano finanziario" in page
    assert "non può avere frazioni di centesimo" in page and "Descrivi la voce di spesa" in page
    assert not draft.budget_lines.exists()


def test_a_document_that_is_not_a_pdf_or_too_large_is_refused(client, grid, started):
    call, draft = started
    required = call.attachment_types.get(required=True)
    url = reverse("applicants:draft", args=[draft.pk])
    fake = SimpleUploadedFile("formulario.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    response = client.post(url, {**form_data(call, grid), f"doc_{required.pk}": fake})
    assert response.status_code == 400 and "non è un PDF" in response.content.decode()
    large = pdf("grande.pdf", body=b"0" * (2 * 2**20 + 10))
    response = client.post(url, {**form_data(call, grid), f"doc_{required.pk}": large})
    assert response.status_code == 400 and "è troppo grande" in response.content.decode()
    assert "il limite per Formulario di progetto è 2 MB" in response.content.decode()
    assert not DraftAttachment.objects.exists()


def test_submission_lists_what_is_missing_and_the_calls_limits(grid):
    call = open_call(max_requested="20000.00", min_cofinancing="20")
    user = applicant()
    draft = complete_draft(user, call, grid, requested="30000.00", co_financing="1000.00", with_documents=False)
    with pytest.raises(Exception) as refused:
        services.draft_submit(draft=draft)
    messages = refused.value.messages
    assert any("over the call's maximum of 20000.00 EUR" in m for m in messages)
    assert any("Co-financing is 3.23% of the total cost (31000.00 EUR)" in m for m in messages)
    assert any("Attach the required document: Project form." in m for m in messages)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.protocol_number is None and not Application.objects.exists()


def test_the_draft_cannot_be_changed_after_the_deadline(client, grid):
    call = open_call(days_left=0, deadline_time=(timezone.localtime() + dt.timedelta(minutes=30)).time())
    user = applicant()
    draft = complete_draft(user, call, grid)
    after = call.online.deadline + dt.timedelta(seconds=1)
    with pytest.raises(Exception, match="deadline of this call has passed"):
        services.draft_save(draft=draft, data={"title": "Tardi"}, now=after)
    draft.refresh_from_db()
    assert draft.title == "Luci in piazza"
