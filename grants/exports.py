"""CSV and XLSX exports of calls, projects and disbursements, for officials' spreadsheets.

Amounts stay exact: CSV writes the Decimal's text, XLSX a number with a euro format. Text cells that
a spreadsheet would read as a formula are prefixed with an apostrophe (CSV injection, OWASP): the CSV
goes through the observatory's one CSV writer (``city.csvexport``), the XLSX through its one XLSX writer
(``city.xlsxexport``, the same guard). Applicants' contact data is never exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from city import xlsxexport
from city.csvexport import csv_response as observatory_csv_response

from .models import Call, Disbursement, GrantRelease, Project

EURO_FORMAT = '#,##0.00 "€"'


def calls_table(calls: Iterable[Call]) -> tuple[list[str], list[list]]:
    """Calls annotated by ``CallQuerySet.with_budget`` (committed = granted - released; remaining = budget - it)."""
    headers = ["id", "kind", "title_it", "title_en", "opens_on", "closes_on", "budget_eur", "granted_eur",
               "released_eur", "committed_eur", "disbursed_eur", "remaining_eur"]  # fmt: skip
    rows = [
        [c.pk, c.kind, c.title_it, c.title_en, c.opens_on, c.closes_on, c.budget, c.granted, c.released, c.committed,
         c.disbursed, c.remaining]
        for c in calls
    ]  # fmt: skip
    return headers, rows


def projects_table(projects: Iterable[Project]) -> tuple[list[str], list[list]]:
    """Projects annotated by ``ProjectQuerySet.with_money``."""
    headers = ["id", "call_id", "call_kind", "title_it", "beneficiary", "status", "start_on", "end_on",
               "granted_eur", "released_eur", "committed_eur", "co_financing_eur", "disbursed_eur", "night_service",
               "zones"]  # fmt: skip
    rows = [
        [p.pk, p.call_id, p.call.kind, p.title_it, p.beneficiary, p.status, p.start_on, p.end_on, p.granted_amount,
         p.released, p.committed, p.co_financing, p.disbursed, p.night_service, " ".join(z.code for z in p.zones.all())]
        for p in projects
    ]  # fmt: skip
    return headers, rows


def disbursements_table(disbursements: Iterable[Disbursement]) -> tuple[list[str], list[list]]:
    headers = ["id", "project_id", "project_title", "paid_on", "amount_eur", "corrects_id", "note", "recorded_at",
               "recorded_by"]  # fmt: skip
    rows = [
        [d.pk, d.project_id, d.project.title_it, d.paid_on, d.amount, d.corrects_id, d.note,
         timezone.localtime(d.recorded_at).replace(tzinfo=None), d.recorded_by.username if d.recorded_by else ""]
        for d in disbursements
    ]  # fmt: skip
    return headers, rows


def releases_table(releases: Iterable[GrantRelease]) -> tuple[list[str], list[list]]:
    headers = ["id", "project_id", "project_title", "released_on", "amount_eur", "corrects_id", "reason",
               "recorded_at", "recorded_by"]  # fmt: skip
    rows = [
        [r.pk, r.project_id, r.project.title_it, r.released_on, r.amount, r.corrects_id, r.reason,
         timezone.localtime(r.recorded_at).replace(tzinfo=None), r.recorded_by.username if r.recorded_by else ""]
        for r in releases
    ]  # fmt: skip
    return headers, rows


def _filename(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.localdate().isoformat()}.{extension}"


def csv_response(stem: str, headers: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """The table as a CSV download named after ``stem`` and today, through the observatory's CSV writer."""
    return observatory_csv_response(_filename(stem, "csv"), headers, rows)


def xlsx_response(stem: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """The table as an XLSX download named after ``stem`` and today, amounts in euro format."""
    return xlsxexport.xlsx_response(_filename(stem, "xlsx"), headers, rows, sheet=stem, decimal_format=EURO_FORMAT)
