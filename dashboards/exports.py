"""Exports of the dashboards' tables and layers: ?format=csv or ?format=geojson on any page.

The export takes the page's own filters and selector, so it always matches what the page shows.
"""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


def to_csv(rows: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return out.getvalue()


def export_response(request: HttpRequest, *, rows: list[dict], name: str, features: dict | None = None):
    """CSV or GeoJSON of a table when ?format= asks for it; None otherwise (render the page)."""
    fmt = request.GET.get("format", "")
    if fmt == "csv":
        response = HttpResponse(to_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt == "geojson" and features is not None:
        response = JsonResponse(features)
        response["Content-Type"] = "application/geo+json"
        response["Content-Disposition"] = f'attachment; filename="{name}.geojson"'
        return response
    if fmt:
        return HttpResponseBadRequest(_("Unknown export format: use csv or geojson."))
    return None
