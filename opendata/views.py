"""The public open-data page and its downloads (CSV, GeoJSON, the DCAT-AP_IT catalogue), for anyone."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import services
from .registry import datasets

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "ttl": "text/turtle; charset=utf-8",
    "jsonld": "application/ld+json",
}


def opendata_index(request: HttpRequest) -> HttpResponse:
    ctx = {"datasets": datasets(), "manifest": services.opendata_manifest()}
    return render(request, "opendata/index.html", ctx)


def opendata_download(request: HttpRequest, name: str, fmt: str) -> FileResponse:
    known = {d.slug for d in datasets()} | {"catalog"}
    if name not in known or (name == "catalog") != (fmt in {"ttl", "jsonld"}):
        raise Http404
    path = services.opendata_file(f"{name}.{fmt}")
    if not path.exists():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=CONTENT_TYPES[fmt])
    if name != "catalog":
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    # Harvesters and scripts of other sites may read the files and the catalogue.
    response["Access-Control-Allow-Origin"] = "*"
    return response
