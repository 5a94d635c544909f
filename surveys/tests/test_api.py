"""GET /api/v1/surveys/ and a campaign's estimates: filters, shapes (JSON, CSV, GeoJSON), suppression, schema."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from surveys.models import Campaign, NeverOutReading, SurveyEstimate
from surveys.tests import factories

MONTH = dt.date(2025, 10, 1)


@pytest.fixture
def estimates(two_zones):
    west, east = two_zones
    campaign = factories.campaign(Campaign.Mode.PROBABILITY, zones=[west, east], code="indagine")

    def row(zone, method, value, *, slot="", suppressed=False, reading=NeverOutReading.NOT_SAFE, period_start=MONTH):
        return SurveyEstimate(
            campaign=campaign, zone=zone, period_kind=SurveyEstimate.PeriodKind.MONTH, period_start=period_start,
            slot=slot, reading=reading, method=method, method_version="s1", value=value,
            lower=None if value is None else value - 0.05, upper=None if value is None else value + 0.05, n=40,
            effective_n=31.5, suppressed=suppressed,
        )  # fmt: skip

    SurveyEstimate.objects.bulk_create(
        [
            row(None, "weighted", 0.61),
            row(west, "weighted", 0.55),
            row(west, "direct", 0.50),
            row(east, "weighted", 0.70, suppressed=True),
            row(east, "small_area", 0.66),
            row(west, "weighted", 0.40, slot="night"),
            row(west, "weighted", 0.58, reading=NeverOutReading.EXCLUDED),
            row(west, "weighted", 0.52, period_start=dt.date(2025, 9, 1)),
        ]
    )
    return campaign


def results(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_campaign_list_says_mode_and_whether_it_is_self_selected(client, two_zones):
    factories.campaign(Campaign.Mode.OPEN, code="aperto")
    factories.campaign(Campaign.Mode.PROBABILITY, code="campione")
    rows = {row["code"]: row for row in results(client, "/api/v1/surveys/")}
    assert rows["aperto"]["self_selected"] is True and rows["campione"]["self_selected"] is False
    assert rows["campione"]["estimates_url"].endswith("/api/v1/surveys/campione/estimates/")
    assert client.get("/api/v1/surveys/campione/").json()["mode"] == "probability"


def test_estimates_carry_value_interval_n_effective_n_method_and_suppression(client, estimates):
    rows = results(client, "/api/v1/surveys/indagine/estimates/?zone=W&period_start=2025-10-01&slot=&reading=not_safe")
    by_method = {(r["method"], r["slot"]): r for r in rows}
    weighted = by_method[("weighted", "")]
    assert {k: weighted[k] for k in ("value", "lower", "upper", "n", "effective_n", "suppressed")} == {
        "value": 0.55, "lower": pytest.approx(0.50), "upper": pytest.approx(0.60), "n": 40, "effective_n": 31.5,
        "suppressed": False,
    }  # fmt: skip
    assert by_method[("direct", "")]["value"] == 0.50


def test_a_suppressed_estimate_has_no_value_nor_interval(client, estimates):
    (row,) = results(client, "/api/v1/surveys/indagine/estimates/?zone=E&method=weighted")
    assert row["suppressed"] is True and (row["value"], row["lower"], row["upper"]) == (None, None, None)
    assert row["n"] == 40


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("slot=night", {("W", "weighted", "night", "not_safe", "2025-10-01")}),
        ("level=city", {(None, "weighted", "", "not_safe", "2025-10-01")}),
        ("method=small_area", {("E", "small_area", "", "not_safe", "2025-10-01")}),
        ("reading=excluded", {("W", "weighted", "", "excluded", "2025-10-01")}),
        ("zone=W&period_start=2025-09-01", {("W", "weighted", "", "not_safe", "2025-09-01")}),
        ("period_kind=year", set()),
    ],
)
def test_the_filters_narrow_the_estimates(client, estimates, query, expected):
    rows = results(client, f"/api/v1/surveys/indagine/estimates/?{query}")
    assert {(r["zone"], r["method"], r["slot"], r["reading"], r["period_start"]) for r in rows} == expected


@pytest.mark.parametrize("query", ["period_start=9999-01-01", "period_start=yesterday", "method=guess", "slot=brunch"])
def test_a_bad_filter_is_a_400_naming_it(client, estimates, query):
    response = client.get(f"/api/v1/surveys/indagine/estimates/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_an_unknown_campaign_is_a_404(client, estimates):
    assert client.get("/api/v1/surveys/nope/estimates/").status_code == 404
    assert client.get("/api/v1/surveys/nope/estimates.csv").status_code == 404


def test_csv_and_geojson_take_the_same_filters_and_hide_suppressed_values(client, estimates):
    response = client.get("/api/v1/surveys/indagine/estimates.csv?zone=E")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    by_method = {r["method"]: r for r in rows}
    assert set(by_method) == {"weighted", "small_area"}
    assert by_method["weighted"]["suppressed"] == "true" and by_method["weighted"]["value"] == ""
    assert float(by_method["small_area"]["value"]) == 0.66

    response = client.get("/api/v1/surveys/indagine/estimates.geojson?zone=E")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    features = {f["properties"]["method"]: f for f in collection["features"]}
    assert features["small_area"]["geometry"]["type"] == "MultiPolygon"
    assert features["weighted"]["properties"]["value"] is None
    city = json.loads(client.get("/api/v1/surveys/indagine/estimates.geojson?level=city").content)["features"]
    assert len(city) == 1 and city[0]["geometry"] is None and city[0]["properties"]["value"] == 0.61


def test_the_survey_routes_are_in_the_openapi_schema(client, db):  # the report serializer lists departments
    schema = client.get("/api/schema/?format=json").json()
    estimates = "/api/v1/surveys/{campaign}/estimates"
    for route in ("/api/v1/surveys/", f"{estimates}/", f"{estimates}.csv", f"{estimates}.geojson"):
        assert route in schema["paths"], sorted(p for p in schema["paths"] if "surveys" in p)
    parameters = {p["name"] for p in schema["paths"]["/api/v1/surveys/{campaign}/estimates/"]["get"]["parameters"]}
    assert {"zone", "slot", "period_kind", "period_start", "method"} <= parameters
