"""CSV and XLSX exports of calls, projects and disbursements, for officials' spreadsheets.

Amounts stay exact: CSV writes the Decimal's text, XLSX a number with a euro format. Text cells that
a spreadsheet would read as a formula are prefixed with an apostrophe (CSV injection, OWASP): the CSV
goes through the observatory's one CSV writer (``city.csvexport``), and the XLSX guards its text
cells with the same ``safe_cell``. Applicants' contact data is never exported here.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from city.csvexport import csv_response as observatory_csv_response
from city.csvexport import safe_cell

from .models import Call, Disbursement, GrantRelease, Project

EURO_FORMAT = '#,##0.00 "€"'


def _safe_text(value):
    """A text cell guarded as the CSV writer guards it; numbers, amounts and dates stay typed for XLSX."""
    return safe_cell(value) if isinstance(value, str) else value


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


def xlsx_bytes(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_safe_text(v) for v in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=True):
            if isinstance(value, Decimal):
                cell.number_format = EURO_FORMAT
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def xlsx_response(stem: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(
        xlsx_bytes(stem, headers, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(stem, "xlsx")}"'
    return response
