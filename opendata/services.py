"""Writing the open-data files: every dataset as CSV and GeoJSON and the catalogue as Turtle and JSON-LD, under
``OPENDATA_ROOT``, refreshed nightly by Celery beat (``opendata.tasks.refresh_open_data``) after the indicators.

Each file is written beside its final name and renamed over it, so a download never sees half a file; the
manifest says when the files were made and from which indicator data version.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from city import csvexport
from city.dataversion import data_version

from . import dcat
from .registry import datasets

MANIFEST = "manifest.json"
CATALOGUE_FILES = {"ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json")}


def root() -> Path:
    return Path(settings.OPENDATA_ROOT)


def _write(path: Path, content: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(content, encoding="utf-8")
    os.replace(partial, path)


def catalogue_graph(*, modified: dt.date):
    return dcat.build_catalogue(datasets(), base_url=settings.SITE_URL, modified=modified)


def opendata_refresh() -> dict:
    """Write every dataset and the catalogue; returns the manifest (made when, data version, files)."""
    target = root()
    target.mkdir(parents=True, exist_ok=True)
    files = []
    for dataset in datasets():
        columns, rows = dataset.table()
        _write(target / f"{dataset.slug}.csv", csvexport.csv_text(columns, rows))
        _write(target / f"{dataset.slug}.geojson", json.dumps(dataset.features(), cls=DjangoJSONEncoder))
        files += [f"{dataset.slug}.csv", f"{dataset.slug}.geojson"]
    today = timezone.localdate()
    graph = catalogue_graph(modified=today)
    for extension, (rdf_format, _media) in CATALOGUE_FILES.items():
        _write(target / f"catalog.{extension}", graph.serialize(format=rdf_format))
        files.append(f"catalog.{extension}")
    manifest = {"generated_at": timezone.now().isoformat(), "data_version": data_version(), "files": files}
    _write(target / MANIFEST, json.dumps(manifest))
    return manifest


def opendata_manifest() -> dict | None:
    path = root() / MANIFEST
    return json.loads(path.read_text()) if path.exists() else None


def opendata_file(name: str) -> Path:
    """The path of a published file, written first if the nightly refresh has not run yet."""
    if opendata_manifest() is None:
        opendata_refresh()
    return root() / name
