"""The surveys' estimates as an open dataset: the stored estimates (as the weighting run wrote them, never
recomputed) per zone and for the city, with campaign, instrument version, interval, n, effective n, weighting
method and the honest label (representative probability sample, or self-selected open link); cells of fewer
than 10 answers withheld and saying so; CSV with the byte-order mark and the formula guard, GeoJSON, and the
DCAT-AP_IT catalogue listing it under CC-BY 4.0."""

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
from rdflib import Graph, Literal
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from opendata import services
from opendata.dcat import DCATAPIT, LICENCE_CC_BY_4
from surveys.estimation import METHOD_VERSION
from surveys.models import Campaign, NeverOutReading, SurveyEstimate
from surveys.tests import factories
from surveys.tests.weighting_fixtures import surveyed_city
from surveys.weighting import weighting_run_execute

pytestmark = pytest.mark.django_db
SLUG = "stime-indagini"
MONTH = dt.date(2026, 10, 1)
SHAPES = Path(settings.BASE_DIR) / "opendata" / "shapes" / "dcatapit-mandatory.ttl"


@pytest.fixture(autouse=True)
def opendata_root(settings, tmp_path):
    settings.OPENDATA_ROOT = tmp_path / "opendata"


def csv_rows() -> list[dict]:
    response = Client().get(f"/opendata/{SLUG}.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def geojson() -> dict:
    response = Client().get(f"/opendata/{SLUG}.geojson")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    return json.loads(b"".join(response.streaming_content))


@pytest.fixture
def stored(two_zones):
    """An open-link campaign and a probability campaign with stored estimates of every kind."""
    west, east = two_zones
    west.district = "Circoscrizione 1"
    west.save(update_fields=["district"])
    sample = factories.campaign(Campaign.Mode.PROBABILITY, zones=[west, east], code="campione-2026")
    link = factories.campaign(Campaign.Mode.OPEN, code="link-aperto", title_it='=HYPERLINK("http://x")')

    def row(campaign, zone, method, value, n, *, method_version=METHOD_VERSION, **fields):
        return SurveyEstimate(
            campaign=campaign, zone=zone, period_kind=SurveyEstimate.PeriodKind.MONTH, period_start=MONTH,
            reading=NeverOutReading.NOT_SAFE, method=method, method_version=method_version, value=value,
            lower=None if value is None else value - 0.1, upper=None if value is None else value + 0.1, n=n,
            effective_n=fields.pop("effective_n", n * 0.8), self_selected=campaign.mode == Campaign.Mode.OPEN,
            **fields,
        )  # fmt: skip

    SurveyEstimate.objects.bulk_create([
        row(sample, None, "weighted", 0.64, 80),
        row(sample, west, "weighted", 0.58, 45),
        row(sample, west, "direct", 0.52, 45),
        row(sample, east, "small_area", 0.71, 6),  # the surveys' rule let it stand; a small cell here
        row(sample, east, "weighted", None, 6, suppressed=True, effective_n=4.2),
        row(link, west, "direct", 0.31, 120),
        row(link, west, "weighted", 0.33, 120, method_version="s0.9"),  # an older method: not published
    ])  # fmt: skip
    return sample, link, west, east


def by_key(rows: list[dict]) -> dict[tuple, dict]:
    return {(r["campaign"], r["zone"], r["method"]): r for r in rows}


def test_each_estimate_carries_campaign_instrument_interval_n_effective_n_and_weighting(stored):
    sample, _link, west, _east = stored
    rows = by_key(csv_rows())
    assert len(rows) == 6  # the older method version is not published
    weighted = rows[("campione-2026", "W", "weighted")]
    assert weighted | {"label_it": "", "label_en": "", "weighting": ""} == weighted | {
        "zone_name": west.name, "district": "Circoscrizione 1", "sample": "probability", "self_selected": "false",
        "representative": "true", "instrument": sample.instrument_version.instrument.code,
        "instrument_version": str(sample.instrument_version.number), "period_kind": "month",
        "period_start": "2026-10-01", "reading": "not_safe", "method_version": METHOD_VERSION, "value": "0.58",
        "lower": str(0.58 - 0.1), "upper": str(0.58 + 0.1), "n": "45", "effective_n": "36.0", "suppressed": "false",
        "suppressed_reason": "", "label_it": "", "label_en": "", "weighting": "",
    }  # fmt: skip
    assert weighted["label_en"].startswith("Representative: probability sample weighted")
    assert weighted["label_it"].startswith("Rappresentativa")
    assert "raking" in weighted["weighting"]
    assert rows[("campione-2026", "", "weighted")]["value"] == "0.64"  # the city-wide row, zone empty
    direct = rows[("campione-2026", "W", "direct")]
    assert (direct["representative"], direct["weighting"]) == ("false", "none")
    assert direct["label_en"].startswith("Probability sample, unweighted share")


def test_an_open_link_is_labelled_self_selected_and_never_representative(stored):
    row = by_key(csv_rows())[("link-aperto", "W", "direct")]
    assert (row["sample"], row["self_selected"], row["representative"]) == ("open", "true", "false")
    assert row["label_en"].startswith("Self-selected sample (open link)")
    assert "non la popolazione" in row["label_it"]
    assert row["campaign_title_it"] == '\'=HYPERLINK("http://x")'  # the formula guard of city/csvexport.py


def test_small_cells_and_suppressed_estimates_are_withheld_and_say_why(stored):
    rows = by_key(csv_rows())
    small = rows[("campione-2026", "E", "small_area")]
    assert (small["value"], small["lower"], small["upper"]) == ("", "", "")
    assert (small["suppressed"], small["suppressed_reason"], small["n"]) == ("true", "small_cell", "6")
    withheld = rows[("campione-2026", "E", "weighted")]
    assert (withheld["value"], withheld["suppressed"], withheld["suppressed_reason"]) == ("", "true", "low_effective_n")
    page = Client().get("/opendata/").content.decode()
    assert "meno di 10 risposte" in page  # the page says so, in the reader's language


def test_the_geojson_has_each_zone_with_its_district_and_the_city_without_geometry(stored):
    features = {f["properties"]["zone"]: f for f in geojson()["features"]}
    assert set(features) == {"W", "E", ""}
    west = features["W"]
    assert west["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert west["properties"]["district"] == "Circoscrizione 1" and west["properties"]["min_cell"] == 10
    assert {(r["campaign"], r["method"]) for r in west["properties"]["rows"]} == {
        ("campione-2026", "weighted"), ("campione-2026", "direct"), ("link-aperto", "direct")}  # fmt: skip
    east_small = next(r for r in features["E"]["properties"]["rows"] if r["method"] == "small_area")
    assert east_small["value"] is None and east_small["suppressed"] is True
    assert features[""]["geometry"] is None
    assert [r["value"] for r in features[""]["properties"]["rows"]] == [0.64]


def test_it_publishes_what_a_real_weighting_run_stored_without_recomputing(db):
    campaign, _zones = surveyed_city(zones=4, invited=40)
    run = weighting_run_execute(campaign=campaign)
    stored = {
        (e.zone.code if e.zone else "", e.period_kind, e.period_start.isoformat(), e.slot, e.reading, e.method): e
        for e in SurveyEstimate.objects.filter(weighting_run=run).select_related("zone")
    }
    assert stored
    rows = csv_rows()
    assert len(rows) == len(stored)
    for row in rows:
        e = stored[(row["zone"], row["period_kind"], row["period_start"], row["slot"], row["reading"], row["method"])]
        assert int(row["n"]) == e.n
        if e.suppressed or e.n < 10:
            assert row["value"] == "" and row["suppressed"] == "true"
        else:
            assert float(row["value"]) == e.value and float(row["lower"]) == e.lower and row["suppressed"] == "false"
    weighted_city = next(r for r in rows if r["zone"] == "" and r["method"] == "weighted")
    assert weighted_city["representative"] == "true" and weighted_city["period_kind"] == "campaign"


def test_the_catalogue_lists_it_in_both_languages_under_cc_by_and_validates(db):
    services.opendata_refresh()
    graph = Graph().parse(Path(settings.OPENDATA_ROOT) / "catalog.ttl", format="turtle")
    identifier = Literal(f"{settings.OPENDATA_PUBLISHER_IPA_CODE}:{SLUG}")
    dataset = graph.value(predicate=DCTERMS.identifier, object=identifier)
    assert (dataset, RDF.type, DCATAPIT.Dataset) in graph
    titles = {t.language: str(t) for t in graph.objects(dataset, DCTERMS.title)}
    assert titles == {"it": "Stime delle indagini sulla sicurezza percepita", "en": "Perceived safety survey estimates"}
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert sorted(str(graph.value(d, DCAT.accessURL)).rsplit("/", 1)[-1] for d in distributions) == [
        f"{SLUG}.csv", f"{SLUG}.geojson"]  # fmt: skip
    assert {graph.value(graph.value(d, DCTERMS.license), FOAF.homepage) for d in distributions} == {LICENCE_CC_BY_4}
    assert Literal("ISTAT", lang="it") in set(graph.objects(dataset, DCAT.keyword))
    ok, _report, text = validate(graph, shacl_graph=Graph().parse(SHAPES), inference="none")
    assert ok, text
