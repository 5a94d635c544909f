"""The brief as HTML for the PDF and as PDF bytes (WeasyPrint, on the server), in a chosen language."""

from __future__ import annotations

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from . import charts
from .selectors import Brief, Scope, brief_build

# WeasyPrint narrates each layout step at INFO; a brief's log should say only what went wrong.
logging.getLogger("weasyprint").setLevel(logging.WARNING)


def brief_charts(brief: Brief, *, image_format: str = "svg") -> dict[str, str]:
    """The trend charts (data URIs, SVG or PNG) of the share feeling safe and of the index."""
    return {
        "share": charts.trend_chart(
            brief.shares[:3],
            y_label=_("Percent of reporters who felt safe"),
            y_range=(0, 100),
            image_format=image_format,
        ),
        "index": charts.trend_chart(
            [line for line in brief.index if line.code != "day"][:3],
            y_label=_("Index (0-100)"),
            y_range=(0, 100),
            image_format=image_format,
        ),
    }


def brief_context(brief: Brief, *, image_format: str = "svg") -> dict:
    return {"brief": brief, "charts": brief_charts(brief, image_format=image_format)}


def brief_document(*, month, scope: Scope, language: str) -> tuple[Brief, str]:
    """The brief built and rendered as a standalone HTML document in ``language`` (for the PDF)."""
    with translation.override(language):
        brief = brief_build(month=month, scope=scope)
        html = render_to_string(
            "briefs/brief_pdf.html", {**brief_context(brief, image_format="png"), "LANGUAGE_CODE": language}
        )
    return brief, html


def brief_pdf(*, month, scope: Scope, language: str) -> bytes:
    """The brief as a PDF (A4), rendered on the server: no browser involved."""
    from weasyprint import HTML  # imported here: it loads Pango, which only the PDF needs

    _brief, html = brief_document(month=month, scope=scope, language=language)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def brief_filename(*, month, scope: Scope, language: str) -> str:
    where = scope.code or "city"
    return f"brief-{month:%Y-%m}-{where}-{language}.pdf"
