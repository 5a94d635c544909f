"""Open data: a public page listing every dataset as CSV and GeoJSON under CC-BY 4.0, files refreshed by the
nightly task, reports only as published and privacy-snapped, and a DCAT-AP_IT catalogue that the SHACL shapes of
the profile's mandatory properties accept (and refuse when one is missing)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from conftest import make_user
from opendata import services
from opendata.dcat import DCATAPIT, VCARD
from opendata.registry import datasets
from opendata.tasks import refresh_open_data
from reports.services import report_publish
from reports.tests.factories import submit

pytestmark = pytest.mark.django_db
SHAPES = Graph().parse(Path(settings.BASE_DIR) / "opendata" / "shapes" / "dcatapit-mandatory.ttl")


@pytest.fixture(autouse=True)
def opendata_root(settings, tmp_path):
    settings.OPENDATA_ROOT = tmp_path / "opendata"


@pytest.fixture
def published(two_zones, category):
    moderator = make_user("od-moderator", "moderator")
    shown = submit(category, lon=7.67512, lat=45.06534)
    report_publish(report=shown, user=moderator)
    hidden = submit(category, lon=7.6851, lat=45.0651)
    return shown, hidden


def conforms(graph: Graph) -> tuple[bool, str]:
    ok, _report, text = validate(graph, shacl_graph=SHAPES, inference="none")
    return ok, text


def violated_paths(graph: Graph) -> set:
    _ok, report, _text = validate(graph, shacl_graph=SHAPES, inference="none")
    return set(report.objects(None, SH.resultPath))


def test_the_page_lists_every_dataset_with_csv_geojson_and_the_licence(db):
    page = Client().get("/opendata/").content.decode()
    for dataset in datasets():
        assert f"/opendata/{dataset.slug}.csv" in page and f"/opendata/{dataset.slug}.geojson" in page
    assert "creativecommons.org/licenses/by/4.0" in page and "/opendata/catalog.ttl" in page


def test_the_nightly_task_writes_every_file_and_reports_only_published_and_snapped(published):
    shown, _hidden = published
    refresh_open_data.apply()
    root = Path(settings.OPENDATA_ROOT)
    assert sorted(services.opendata_manifest()["files"]) == sorted(
        p.name for p in root.iterdir() if p.name != "manifest.json"
    )
    text = (root / "segnalazioni-pubblicate.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["tracking_code"] for r in rows] == [shown.tracking_code]  # the unpublished one is not there
    assert (float(rows[0]["longitude"]), float(rows[0]["latitude"])) != (7.67512, 45.06534)  # snapped to the grid
    geo = json.loads((root / "segnalazioni-pubblicate.geojson").read_text())
    assert geo["features"][0]["geometry"]["coordinates"] == [float(rows[0]["longitude"]), float(rows[0]["latitude"])]


def test_downloads_are_served_and_unknown_names_are_404(published):
    client = Client()
    response = client.get("/opendata/progetti-finanziati.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert client.get("/opendata/catalog.jsonld")["Content-Type"] == "application/ld+json"
    assert client.get("/opendata/nothing.csv").status_code == 404
    assert client.get("/opendata/catalog.csv").status_code == 404


def test_the_catalogue_conforms_to_the_dcat_ap_it_mandatory_shapes_in_both_serialisations(db):
    services.opendata_refresh()
    root = Path(settings.OPENDATA_ROOT)
    turtle = Graph().parse(root / "catalog.ttl", format="turtle")
    jsonld = Graph().parse(root / "catalog.jsonld", format="json-ld")
    assert len(turtle) == len(jsonld) > 100
    ok, text = conforms(turtle)
    assert ok, text
    assert len(list(turtle.subjects(RDF.type, DCATAPIT.Dataset))) == len(datasets())


MANDATORY = [
    (DCATAPIT.Dataset, DCTERMS.identifier), (DCATAPIT.Dataset, DCTERMS.rightsHolder),
    (DCATAPIT.Dataset, DCTERMS.accrualPeriodicity), (DCATAPIT.Dataset, DCAT.theme),
    (DCATAPIT.Dataset, DCAT.contactPoint), (DCATAPIT.Dataset, DCTERMS.modified),
    (DCATAPIT.Distribution, DCTERMS.license), (DCATAPIT.Distribution, DCTERMS.format),
    (DCATAPIT.Distribution, DCAT.accessURL), (DCATAPIT.Catalog, DCTERMS.publisher),
    (DCATAPIT.Agent, DCTERMS.identifier), (DCATAPIT.Organization, VCARD.hasEmail),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "prop"), MANDATORY, ids=[f"{k.split('#')[-1]}-{p.split('/')[-1].split('#')[-1]}"
                                                            for k, p in MANDATORY])  # fmt: skip
def test_removing_a_mandatory_property_fails_validation(db, kind, prop):
    graph = services.catalogue_graph(modified=dt.date(2026, 12, 1))
    subject = next(iter(graph.subjects(RDF.type, kind)))
    graph.remove((subject, prop, None))
    assert violated_paths(graph) == {prop}


def test_a_dataset_without_its_english_title_fails_validation(db):
    graph = services.catalogue_graph(modified=dt.date(2026, 12, 1))
    subject = next(iter(graph.subjects(RDF.type, DCATAPIT.Dataset)))
    for title in list(graph.objects(subject, DCTERMS.title)):
        if title.language == "en":
            graph.remove((subject, DCTERMS.title, title))
    assert not conforms(graph)[0]
