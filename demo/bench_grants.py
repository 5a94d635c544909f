"""Bench of the applicants' area and the transparency export (issue 16).

On the seeded city, a call taking applications online gets ``APPLICATIONS[scale]`` applicants, each with a
verified account and a complete draft (organisation, project, two zones, a budget line, the required PDF);
then, through the real functions the pages call, and Django's test client (server side):

- each draft's submission (``draft_submit``: the grants ledger's own submit, the protocol number from the
  per-year counter, the receipt e-mail queued): p50 / p95, and that the protocol numbers have no gap;
- the PDF receipt (WeasyPrint) for a few of them;
- an applicant's "My applications" page and the draft page: p50 / p95 and the queries of one request;
- the transparency page (D.lgs. 33/2013 art. 26-27) and its CSV and JSON export for the year: p50 / p95, rows,
  bytes and queries.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import TextIO

import numpy as np
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from city.models import Zone
from grants import selectors
from grants.applicants import receipt, services
from grants.models import ApplicantAccount, AttachmentType, Call, CallOnline, Criterion

from .bench_cases import page_body, page_latencies

APPLICATIONS = {"small": 20, "medium": 100, "large": 300}
READS = 20
RECEIPTS = 3
PDF_BODY = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _say(log: TextIO | None, line: str) -> None:
    if log is not None:
        log.write(line + "\n")
        log.flush()


def _percentiles(values: list[float]) -> dict:
    p50, p95 = np.percentile(values, [50, 95])
    return {"p50_ms": round(float(p50), 1), "p95_ms": round(float(p95), 1)}


def _call() -> Call:
    today = timezone.localdate()
    call = Call.objects.create(
        kind=Call.Kind.SOCIAL_INNOVATION, title_it="Bando di prova (bench)", title_en="Bench call",
        budget=Decimal("1000000.00"), opens_on=today - dt.timedelta(days=10), closes_on=today + dt.timedelta(days=20),
        published_at=timezone.now(),
    )  # fmt: skip
    Criterion.objects.create(call=call, name="Impatto", weight=Decimal("1"))
    CallOnline.objects.create(call=call, deadline_time=dt.time(12, 0), max_requested=Decimal("50000.00"))
    AttachmentType.objects.create(call=call, name_it="Formulario di progetto", name_en="Project form", max_mb=2)
    services.declarations_default_create(call)
    return call


def _drafts(call: Call, count: int) -> list:
    zones = list(Zone.objects.order_by("id")[:2])
    users = get_user_model()
    kind = call.attachment_types.get()
    declared = set(call.declarations.values_list("pk", flat=True))
    site = zones[0].geom.point_on_surface
    drafts = []
    for n in range(count):
        email = f"bench-applicant-{call.pk}-{n}@example.org"
        user = users.objects.create_user(username=email, email=email, password=None)
        ApplicantAccount.objects.create(
            user=user, full_name=f"Richiedente {n}", language="it", verified_at=timezone.now()
        )
        draft = services.draft_start(owner=user, call=call)
        drafts.append(services.draft_save(
            draft=draft,
            data={
                "org_name": f"Associazione {n}", "org_legal_form": "association", "org_tax_code": "97512340015",
                "org_vat_number": "", "org_address": "Via Po 1, 10124 Torino", "legal_rep_name": "Mario Rossi",
                "legal_rep_tax_code": "RSSMRA80A01L219M", "contact_phone": "+39 011 555 0199",
                "title": f"Luci in piazza {n}", "summary": "Animazione serale della piazza.",
                "start_on": timezone.localdate() + dt.timedelta(days=60),
                "end_on": timezone.localdate() + dt.timedelta(days=425), "night_service": True,
            },
            zones=zones,
            lines=[("Animatori", Decimal("30000.00"), Decimal("5000.00"))],
            uploads={kind.pk: SimpleUploadedFile("progetto.pdf", PDF_BODY, content_type="application/pdf")},
            sites=[{"name": "Piazza", "lat": f"{site.y:.6f}", "lon": f"{site.x:.6f}"}],
            team=[{"full_name": "Giulia Bianchi", "role": "Coordinatrice"}],
            declared=declared,
        ))  # fmt: skip
    return drafts


def _page(client: Client, url: str, reads: int) -> dict:
    page_body(client.get(url), url)  # templates and imports are not the page's cost
    return page_latencies(client, url, reads)


def grants_bench(*, scale: str, log: TextIO | None = None) -> dict:
    count = APPLICATIONS[scale]
    _say(log, f"bench: {count} online applications (accounts and complete drafts)")
    call = _call()
    started = time.perf_counter()
    drafts = _drafts(call, count)
    prepare_seconds = time.perf_counter() - started
    _say(log, "bench: submitting them (protocol numbers, receipts queued)")
    submits = []
    for draft in drafts:
        started = time.perf_counter()
        services.draft_submit(draft=draft)
        submits.append((time.perf_counter() - started) * 1000)
    numbers = sorted(int(d.protocol_number.split("/")[1]) for d in type(drafts[0]).objects.filter(call=call))
    gapless = numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    receipts = []
    for draft in drafts[:RECEIPTS]:
        draft.refresh_from_db()
        started = time.perf_counter()
        receipt.receipt_pdf(draft, language="it")
        receipts.append((time.perf_counter() - started) * 1000)
    _say(log, "bench: the applicant's pages and the transparency export through the test client")
    client = Client()
    client.force_login(drafts[-1].owner)
    pages = {
        "my applications": _page(client, reverse("applicants:mine"), READS),
        "submitted application": _page(client, reverse("applicants:draft", args=[drafts[-1].pk]), READS),
    }
    year = (selectors.transparency_years() or [timezone.localdate().year])[0]
    public = Client()
    transparency = {
        "page": _page(public, reverse("grants:transparency") + f"?year={year}", READS),
        "csv": _page(public, reverse("grants:transparency_csv", args=[year]), READS),
        "json": _page(public, reverse("grants:transparency_json", args=[year]), READS),
        "rows": len(list(selectors.transparency_projects(year))),
        "year": year,
    }
    return {
        "applications": count,
        "prepare_seconds": round(prepare_seconds, 2),
        "submit": {**_percentiles(submits), "protocol_numbers_gapless": gapless},
        "receipt_pdf_median_ms": round(float(np.median(receipts)), 1),
        "applicant_pages": pages,
        "transparency": transparency,
    }
