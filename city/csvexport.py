"""The one CSV writer of the observatory: every CSV it sends goes through here.

Each file starts with a byte-order mark, so spreadsheet programs read accented Italian text as UTF-8,
and text cells that a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, a leading
``+``, ``-``, tab or carriage return) get a leading apostrophe (CSV injection, OWASP). Numbers, dates
and decimals are written as values, never guarded, so ``-3.5`` stays a number.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """A cell as it may be written: text that a spreadsheet would evaluate is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns what it was given, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The lines of a CSV file (BOM first), each row's cells made safe; rows may be a lazy iterator."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def csv_text(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    return "".join(csv_lines(headers, rows))


def dict_rows(rows: Iterable[dict], columns: Sequence[str]) -> Iterator[list]:
    """Rows of dicts as lists in the order of ``columns`` (missing keys are empty cells)."""
    for row in rows:
        yield [row.get(column) for column in columns]


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A streamed CSV download named ``filename``."""
    response = StreamingHttpResponse(csv_lines(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
