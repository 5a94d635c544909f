"""Submitting: before the deadline (to the minute, in the city's time zone), through grants.services'
application_submit, with a protocol number per year taken in the same transaction (no gaps, also when two
applicants submit at the same moment) and a PDF receipt, downloadable and announced by e-mail."""

import datetime as dt
import re
import subprocess
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from city.models import OutboundEmail
from grants.applicants import services
from grants.models import Application, ApplicationAttachment, Organisation, ProtocolCounter
from grants.tests.applicants_support import TEST_PASSWORD, applicant, complete_draft, open_call

YEAR = timezone.localdate().year


@pytest.mark.django_db
def test_submitting_creates_the_application_with_a_protocol_number_and_a_receipt(client, grid):
    call = open_call()
    user = applicant()
    draft = complete_draft(user, call, grid)
    client.login(username=user.username, password=TEST_PASSWORD)
    url = reverse("applicants:draft", args=[draft.pk])
    response = client.post(url, {"action": "submit", **_as_posted(draft)})
    assert response.status_code == 302, response.content.decode()[-3000:]

    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.protocol_number == f"{YEAR}/000001"
    application = draft.application
    assert (application.requested_amount, application.co_financing) == (Decimal("30000.00"), Decimal("5000.00"))
    assert application.status == Application.Status.SUBMITTED and application.contact_email == user.email
    assert application.applicant == Organisation.objects.get(tax_code="97512340015")
    assert ApplicationAttachment.objects.get(application=application).original_name == "progetto.pdf"
    assert len(application.sites) == 2  # the site placed, and a point in the other zone chosen
    assert application.sites[0].coords == draft.sites.get().point.coords
    event = application.events.get()
    assert event.to_status == "submitted" and draft.protocol_number in event.note and event.actor == user

    receipt_mail = OutboundEmail.objects.get(kind="grants.receipt")
    assert receipt_mail.to == user.email and receipt_mail.language == "it"
    assert f"protocollo {draft.protocol_number}" in receipt_mail.subject
    receipt_url = reverse("applicants:receipt", args=[draft.pk])
    assert f"http://testserver{receipt_url}" in receipt_mail.body or receipt_url in receipt_mail.body

    page = client.get(url).content.decode()
    assert draft.protocol_number in page and receipt_url in page
    pdf = client.get(receipt_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    path = Path("test-output") / "applicant-receipt.pdf"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert draft.protocol_number in text and "Ricevuta della domanda" in text
    assert "Luci in piazza" in text and "progetto.pdf" in text and "30.000,00" in text and "Europe/Rome" in text
    assert draft.attachments.get().sha256[:16] in text.replace("\n", "").replace(" ", "")

    # Submitted: no more changes.
    client.post(url, {"action": "save", **_as_posted(draft), "title": "Cambiato"})
    draft.refresh_from_db()
    assert draft.title == "Luci in piazza"


def _as_posted(draft) -> dict:
    data = {
        name: getattr(draft, name)
        for name in services.DRAFT_FIELDS
        if name not in ("night_service", "start_on", "end_on")
    }
    data |= {"start_on": draft.start_on.isoformat(), "end_on": draft.end_on.isoformat(), "night_service": "on"}
    data["zones"] = list(draft.zones.values_list("pk", flat=True))
    data["line_count"] = "1"
    line = draft.budget_lines.get()
    data |= {"line-0-description": line.description, "line-0-requested": str(line.requested),
             "line-0-co_financing": str(line.co_financing)}  # fmt: skip
    data["site_count"] = str(draft.sites.count())
    for index, site in enumerate(draft.sites.all()):
        data |= {f"site-{index}-name": site.name, f"site-{index}-address": site.address,
                 f"site-{index}-lat": f"{site.point.y:.6f}", f"site-{index}-lon": f"{site.point.x:.6f}"}  # fmt: skip
    data["team_count"] = str(draft.team.count())
    for index, member in enumerate(draft.team.all()):
        data |= {f"team-{index}-full_name": member.full_name, f"team-{index}-role": member.role,
                 f"team-{index}-organisation": member.organisation,
                 f"team-{index}-hours": str(member.hours or "")}  # fmt: skip
    for made in draft.declarations.all():
        data[f"decl_{made.declaration_id}"] = "on"
    return data


@pytest.mark.django_db
def test_the_deadline_is_enforced_to_the_minute_in_the_citys_time_zone(grid):
    call = open_call(days_left=3, deadline_time=dt.time(12, 0))
    deadline = call.online.deadline
    assert timezone.localtime(deadline).strftime("%H:%M %Z") in ("12:00 CET", "12:00 CEST")
    assert re.search(r" 12:00 CES?T \(Europe/Rome\)$", services.deadline_label(deadline))
    late = complete_draft(applicant("late@example.org"), call, grid)
    with pytest.raises(ValidationError, match="deadline of this call has passed"):
        services.draft_submit(draft=late, now=deadline)
    late.refresh_from_db()
    assert late.status == "draft" and not Application.objects.exists() and not ProtocolCounter.objects.exists()
    on_time = complete_draft(applicant("ontime@example.org"), call, grid)
    services.draft_submit(draft=on_time, now=deadline - dt.timedelta(minutes=1))
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_after_the_deadline_the_page_is_read_only(client, grid):
    call = open_call(days_left=0, deadline_time=(timezone.localtime() + dt.timedelta(hours=1)).time())
    user = applicant()
    draft = complete_draft(user, call, grid)
    call.online.deadline_time = (timezone.localtime() - dt.timedelta(minutes=1)).time()
    call.online.save()
    client.login(username=user.username, password=TEST_PASSWORD)
    url = reverse("applicants:draft", args=[draft.pk])
    page = client.get(url).content.decode()
    assert "La scadenza è passata" in page and 'id="draft-form"' not in page
    client.post(url, {"action": "submit", **_as_posted(draft)})
    draft.refresh_from_db()
    assert draft.status == "draft" and not Application.objects.exists()


@pytest.mark.django_db
def test_a_rolled_back_submission_gives_its_number_back():
    with transaction.atomic():
        assert services.protocol_next(YEAR) == f"{YEAR}/000001"
        transaction.set_rollback(True)
    assert services.protocol_next(YEAR) == f"{YEAR}/000001"
    assert services.protocol_next(YEAR) == f"{YEAR}/000002"
    assert services.protocol_next(YEAR + 1) == f"{YEAR + 1}/000001"


@pytest.mark.django_db(transaction=True)
def test_two_applicants_submitting_at_the_same_moment_get_consecutive_numbers(grid):
    call = open_call()
    drafts = [complete_draft(applicant(f"a{i}@example.org"), call, grid) for i in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def submit(draft):
        try:
            barrier.wait(timeout=10)
            services.draft_submit(draft=draft)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    numbers = sorted(d.protocol_number for d in type(drafts[0]).objects.all())
    assert numbers == [f"{YEAR}/000001", f"{YEAR}/000002"]
    assert ProtocolCounter.objects.get(year=YEAR).last == 2
    assert Application.objects.count() == 2
