"""The receipt of a submitted application as a PDF (WeasyPrint, on the server, as the briefs do): the
protocol number, the date and time of submission in the city's time zone, and everything submitted,
with each document's SHA-256 so the applicant can prove which file the city received."""

from __future__ import annotations

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from grants.services import in_language_of

from . import services
from .models import ApplicationDraft

logging.getLogger("weasyprint").setLevel(logging.WARNING)


def receipt_html(draft: ApplicationDraft, *, language: str) -> str:
    with translation.override(language):
        ctx = {
            "draft": draft,
            "LANGUAGE_CODE": language,
            "call_title": in_language_of(draft.call.title_it, draft.call.title_en, language),
            "submitted_at": services.deadline_label(draft.submitted_at),
            "zones": list(draft.zones.order_by("name")),
            "lines": list(draft.budget_lines.all()),
            "sites": list(draft.sites.select_related("zone__parent")),
            "team": list(draft.team.all()),
            "declarations": list(draft.declarations.all()),
            "attachments": list(draft.attachments.select_related("kind")),
            "legal_form": draft.get_org_legal_form_display(),
        }
        return render_to_string("grants/applicants/receipt_pdf.html", ctx)


def receipt_pdf(draft: ApplicationDraft, *, language: str) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which only the PDF needs

    return HTML(string=receipt_html(draft, language=language), base_url=str(settings.BASE_DIR)).write_pdf()


def receipt_filename(draft: ApplicationDraft) -> str:
    return f"ricevuta-{draft.protocol_number.replace('/', '-')}.pdf"
