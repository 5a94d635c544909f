"""Exports of the dashboards' tables and layers: ?format=csv, ?format=xlsx or ?format=geojson on any page.

The export takes the page's own filters and selector, so it always matches what the page shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from city import csvexport, xlsxexport


def csv_columns(rows: list[dict]) -> list[str]:
    """The columns of a table's CSV: its rows' keys, in order (none for an empty table)."""
    return list(rows[0]) if rows else []


def export_response(
    request: HttpRequest, *, rows: list[dict], name: str, features: dict | None = None, errors: Sequence[str] = ()
):
    """CSV, XLSX or GeoJSON of a table when ?format= asks for it; None otherwise (render the page).

    An export never falls back silently: filters a page would correct with a notice (``errors``) make
    the export a 400 that lists them. Every CSV goes through city.csvexport (BOM, formula guard), every
    XLSX through city.xlsxexport (the same guard, typed numbers and dates), for officers' spreadsheets.
    """
    fmt = request.GET.get("format", "")
    if fmt and errors:
        return HttpResponseBadRequest("\n".join(errors), content_type="text/plain; charset=utf-8")
    if fmt == "csv":
        columns = csv_columns(rows)
        return csvexport.csv_response(f"{name}.csv", columns, csvexport.dict_rows(rows, columns))
    if fmt == "xlsx":
        columns = csv_columns(rows)
        return xlsxexport.xlsx_response(f"{name}.xlsx", columns, csvexport.dict_rows(rows, columns))
    if fmt == "geojson" and features is not None:
        response = JsonResponse(features)
        response["Content-Type"] = "application/geo+json"
        response["Content-Disposition"] = f'attachment; filename="{name}.geojson"'
        return response
    if fmt:
        return HttpResponseBadRequest(_("Unknown export format: use csv, xlsx or geojson."))
    return None
