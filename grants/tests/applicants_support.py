"""What the applicants' tests share: an open call taking applications online, a verified applicant, a
complete draft, and small PDFs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import TEST_PASSWORD, make_user
from grants.applicants import services
from grants.models import ApplicantAccount, AttachmentType, Call, CallOnline, Criterion

ORG_TAX_CODE = "97512340015"  # 11 digits, check digit right
PERSON_TAX_CODE = "RSSMRA80A01L219M"


def pdf(name: str = "progetto.pdf", body: bytes = b"1 0 obj << >> endobj\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body + b"trailer << >>\n%%EOF\n", content_type="application/pdf")


def open_call(*, days_left: int = 10, deadline_time=dt.time(12, 0), max_requested="50000.00", min_cofinancing="10"):
    today = timezone.localdate()
    call = Call.objects.create(
        kind=Call.Kind.SOCIAL_INNOVATION,
        title_it="Bando Notti sicure",
        title_en="Safe nights call",
        budget=Decimal("1000000.00"),
        opens_on=today - dt.timedelta(days=20),
        closes_on=today + dt.timedelta(days=days_left),
        published_at=timezone.now(),
    )
    Criterion.objects.create(call=call, name="Impatto", weight=Decimal("1"))
    CallOnline.objects.create(
        call=call,
        deadline_time=deadline_time,
        max_requested=Decimal(max_requested) if max_requested else None,
        min_cofinancing_percent=Decimal(min_cofinancing) if min_cofinancing else None,
    )
    AttachmentType.objects.create(call=call, name_it="Formulario di progetto", name_en="Project form", max_mb=2)
    AttachmentType.objects.create(call=call, name_it="Statuto", name_en="Statute", required=False, max_mb=1)
    services.declarations_default_create(call)
    return call


def applicant(username: str = "maria@example.org", *, language: str = "it", verified: bool = True):
    user = make_user(username, email=username)
    ApplicantAccount.objects.create(
        user=user, full_name="Maria Rossi", language=language, verified_at=timezone.now() if verified else None
    )
    return user


TEAM = [{"full_name": "Giulia Bianchi", "role": "Coordinatrice", "organisation": "", "hours": "400"}]


def site_in(zone, name: str = "Piazza del quartiere") -> dict:
    """A site for ``site_locate``, pinned at a point inside ``zone``."""
    point = zone.geom.point_on_surface
    return {"name": name, "address": "", "lat": f"{point.y:.6f}", "lon": f"{point.x:.6f}"}


def complete_draft(owner, call, zones, *, requested="30000.00", co_financing="5000.00", with_documents=True):
    draft = services.draft_start(owner=owner, call=call)
    uploads = {}
    if with_documents:
        uploads = {call.attachment_types.get(required=True).pk: pdf()}
    return services.draft_save(
        draft=draft,
        data={
            "org_name": "Associazione Quartiere Vivo",
            "org_legal_form": "association",
            "org_tax_code": ORG_TAX_CODE,
            "org_vat_number": "",
            "org_address": "Via Po 1, 10124 Torino",
            "legal_rep_name": "Mario Rossi",
            "legal_rep_tax_code": PERSON_TAX_CODE,
            "contact_phone": "+39 011 555 0199",
            "title": "Luci in piazza",
            "summary": "Animazione serale della piazza.",
            "start_on": timezone.localdate() + dt.timedelta(days=60),
            "end_on": timezone.localdate() + dt.timedelta(days=425),
            "night_service": True,
        },
        zones=zones[:2],
        lines=[("Animatori", Decimal(requested), Decimal(co_financing))],
        uploads=uploads,
        sites=[site_in(zones[0])],
        team=TEAM,
        declared=set(call.declarations.values_list("pk", flat=True)),
    )


__all__ = ["TEAM", "TEST_PASSWORD", "applicant", "complete_draft", "open_call", "pdf", "site_in"]
