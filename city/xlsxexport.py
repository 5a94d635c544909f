"""The observatory's XLSX writer, for the tables an officer opens in a spreadsheet.

The same guard as the CSV writer (city.csvexport): text a spreadsheet would run as a formula gets a leading
apostrophe; numbers, dates and times stay typed cells (dates formatted as dates, times in local time without
an offset, which Excel cannot store).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

from .csvexport import FORMULA_STARTS

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_cell(value):
    """A value as an XLSX cell holds it: typed when it is a number, date or time, guarded when it is text."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.time):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_bytes(
    sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence], *, decimal_format: str | None = None
) -> bytes:
    """One sheet: a bold header row (frozen), typed cells, dates and times formatted, text guarded, each column
    as wide as its longest value (10 to 60 characters). ``decimal_format`` is the number format of ``Decimal``
    cells (the grants' amounts: ``#,##0.00 "€"``); other numbers keep the spreadsheet's own."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31] or "data"
    sheet.append([xlsx_cell(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([xlsx_cell(v) for v in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(value, Decimal) and decimal_format:
                cell.number_format = decimal_format
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def xlsx_response(
    filename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    sheet: str = "",
    decimal_format: str | None = None,
) -> HttpResponse:
    """An XLSX download named ``filename`` with one sheet (named ``sheet``, or after the file)."""
    content = xlsx_bytes(sheet or filename.rsplit(".", 1)[0], headers, rows, decimal_format=decimal_format)
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
