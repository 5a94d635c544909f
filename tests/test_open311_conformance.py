"""Open311 GeoReport v2 conformance, written from the specification (wiki.open311.org/GeoReport_v2).

Every endpoint is exercised in both formats; the XML shapes are those the specification shows
(<services><service>, <service_definition><attributes><attribute>, <service_requests><request>,
<errors><error>), datetimes are W3C/ISO 8601 with a time zone, errors are lists of {code, description}.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.utils import timezone

from open311.models import ApiKey
from reports.models import Report
from reports.ratelimit import rate_limit_reset
from reports.services import report_publish, report_reject_spam, report_set_status

pytestmark = pytest.mark.django_db
BASE = "/open311/v2/"
FORMATS = ["json", "xml"]
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    rate_limit_reset("127.0.0.1")


@pytest.fixture
def api_key(db) -> str:
    key = ApiKey(name="test-client")
    secret = key.set_new_key()
    key.save()
    return secret


def parse(response, fmt):
    """The body as Python data: JSON as is; XML as a list of dicts of child texts (lists for nested)."""
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        return json.loads(response.content)
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own response


def xml_rows(root, item):
    return [{child.tag: (child.text or "") for child in element} for element in root.findall(item)]


def errors_of(response, fmt):
    body = parse(response, fmt)
    if fmt == "json":
        assert isinstance(body, list) and body
        assert all(set(e) == {"code", "description"} for e in body)
        return [(e["code"], e["description"]) for e in body]
    assert body.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in body.findall("error")]


def post(client, fmt, **data):
    return client.post(f"{BASE}requests.{fmt}", data)


def valid(api_key, **overrides):
    data = {"api_key": api_key, "service_code": "broken-street-light", "lat": "45.065", "long": "7.675",
            "attribute[perceived_safety]": "2", "description": "Lampione spento", "email": "c@example.org",
            "first_name": "Ada", "last_name": "Rossi", "phone": "+39 011 0000000"}  # fmt: skip
    data.update(overrides)
    return data


def assert_iso_with_tz(value):
    parsed = dt.datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value


# --- discovery --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_the_v2_endpoint_and_both_formats(client, fmt):
    response = client.get(f"{BASE}discovery.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        assert {"changeset", "contact", "key_service", "endpoints"} <= set(body)
        endpoint = body["endpoints"][0]
        assert set(endpoint["formats"]) == {"text/xml", "application/json"}
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].endswith("/open311/v2/")
    else:
        assert body.tag == "discovery"
        endpoint = body.find("endpoints/endpoint")
        assert {f.text for f in endpoint.findall("formats/format")} == {"text/xml", "application/json"}
        assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"


# --- services ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_lists_every_active_category_with_the_spec_fields(client, category, fmt):
    response = client.get(f"{BASE}services.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    rows = body if fmt == "json" else xml_rows(body, "service")
    assert fmt == "json" or body.tag == "services"
    fields = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert rows and all(fields <= set(row) for row in rows)
    light = next(row for row in rows if row["service_code"] == "broken-street-light")
    assert light["metadata"] in (True, "true")
    assert light["type"] in ("realtime", "batch", "blackbox")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_lists_its_attributes(client, category, fmt):
    response = client.get(f"{BASE}services/broken-street-light.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        assert body["service_code"] == "broken-street-light"
        attributes = body["attributes"]
        safety = next(a for a in attributes if a["code"] == "perceived_safety")
        keys = [v["key"] for v in safety["values"]]
        assert {"variable", "code", "datatype", "required", "datatype_description", "order", "description"} <= set(
            safety
        )
    else:
        assert body.tag == "service_definition"
        assert body.findtext("service_code") == "broken-street-light"
        safety = next(a for a in body.findall("attributes/attribute") if a.findtext("code") == "perceived_safety")
        assert safety.findtext("datatype") == "singlevaluelist"
        assert safety.findtext("required") == "true"
        keys = [v.findtext("key") for v in safety.findall("values/value")]
    assert sorted(keys) == ["1", "2", "3", "4"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_code_is_404_with_an_error_list(client, db, fmt):
    response = client.get(f"{BASE}services/no-such-thing.{fmt}")
    assert response.status_code == 404
    assert errors_of(response, fmt)[0][0] == 404


# --- POST requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_a_request_returns_its_id_and_saves_the_report(client, two_zones, category, api_key, fmt):
    response = post(client, fmt, **valid(api_key))
    assert response.status_code == 200
    body = parse(response, fmt)
    row = body[0] if fmt == "json" else xml_rows(body, "request")[0]
    assert fmt == "json" or body.tag == "service_requests"
    assert {"service_request_id", "service_notice", "account_id"} <= set(row)
    report = Report.objects.get(tracking_code=row["service_request_id"])
    assert report.source == Report.Source.OPEN311
    assert (report.reporter_name, report.contact_email, report.perceived_safety) == ("Ada Rossi", "c@example.org", 2)


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_without_or_with_a_bad_api_key_is_403(client, two_zones, category, api_key, fmt):
    for key in ("", "wrong"):
        response = post(client, fmt, **valid(key))
        assert response.status_code == 403
        assert errors_of(response, fmt)[0][0] == 403
    assert not Report.objects.exists()


def test_a_revoked_key_is_refused(client, two_zones, category, api_key):
    ApiKey.objects.get().revoke()
    assert post(client, "json", **valid(api_key)).status_code == 403


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"service_code": ""}, 400),
        ({"service_code": "no-such-thing"}, 404),
        ({"lat": "", "long": ""}, 400),
        ({"lat": "north", "long": "7.6"}, 400),
        ({"lat": "46.5", "long": "8.5"}, 400),  # outside the city
        ({"description": "<b>hi</b>"}, 400),
        ({"attribute[perceived_safety]": "9"}, 400),
        ({"attribute[lights_out]": "many"}, 400),
        ({"email": "not-an-address"}, 400),
        ({"media_url": "javascript:alert(1)"}, 400),
    ],
)
def test_bad_requests_are_refused_with_an_error_list(client, two_zones, category, api_key, fmt, overrides, status):
    category.attributes = [
        {"code": "lights_out", "datatype": "singlevaluelist", "values": [{"key": "one", "name": "One"}]}
    ]
    category.save()
    response = post(client, fmt, **valid(api_key, **overrides))
    assert response.status_code == status
    assert errors_of(response, fmt)[0][0] == status
    assert not Report.objects.exists()


def test_an_address_string_alone_is_accepted_when_it_can_be_located(client, two_zones, category, api_key):
    response = post(client, "json", **valid(api_key, lat="", long="", address_string="Via Roma 3, Ovest"))
    assert response.status_code == 200
    assert Report.objects.get().zone == two_zones[0]


# --- GET requests -----------------------------------------------------------------------------------


def rows_of(response, fmt):
    body = parse(response, fmt)
    if fmt == "json":
        return body
    assert body.tag == "service_requests"
    return xml_rows(body, "request")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_submitted_request_is_visible_at_once_but_text_and_place_are_withheld(
    client, two_zones, category, api_key, fmt
):
    code = rows_of(post(client, fmt, **valid(api_key, media_url="https://example.org/p.jpg")), fmt)[0][
        "service_request_id"
    ]
    report = Report.objects.get(tracking_code=code)
    response = client.get(f"{BASE}requests/{code}.{fmt}")
    assert response.status_code == 200
    (row,) = rows_of(response, fmt)
    assert set(row) >= REQUEST_FIELDS
    assert row["service_request_id"] == code
    assert row["status"] == "open"
    assert row["description"] in ("", None) and row["media_url"] in ("", None)
    assert (float(row["lat"]), float(row["long"])) != (report.location.y, report.location.x)
    assert abs(float(row["lat"]) - report.location.y) < 0.002
    assert_iso_with_tz(row["requested_datetime"])
    assert_iso_with_tz(row["updated_datetime"])
    # The public list names published requests only: neither its id nor its time shows there before that.
    assert code not in [r["service_request_id"] for r in rows_of(client.get(f"{BASE}requests.{fmt}"), fmt)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_list_shows_a_request_once_a_moderator_publishes_it(client, two_zones, category, api_key, moderator, fmt):
    code = rows_of(post(client, fmt, **valid(api_key)), fmt)[0]["service_request_id"]
    report_publish(report=Report.objects.get(tracking_code=code), user=moderator)
    assert code in [r["service_request_id"] for r in rows_of(client.get(f"{BASE}requests.{fmt}"), fmt)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_once_published_the_moderated_text_and_notes_are_shown(client, two_zones, category, api_key, moderator, fmt):
    code = rows_of(post(client, fmt, **valid(api_key)), fmt)[0]["service_request_id"]
    report = Report.objects.get(tracking_code=code)
    report_publish(report=report, user=moderator, public_description="Lampione spento (moderato)")
    report_set_status(report=report, status="resolved", public_note="Riparato", user=moderator)
    (row,) = rows_of(client.get(f"{BASE}requests/{code}.{fmt}"), fmt)
    assert (row["description"], row["status"], row["status_notes"]) == (
        "Lampione spento (moderato)",
        "closed",
        "Riparato",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_request_id_is_404(client, db, fmt):
    response = client.get(f"{BASE}requests/NOPE1234.{fmt}")
    assert response.status_code == 404
    assert errors_of(response, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_filter_by_id_code_status_and_dates(client, two_zones, category, api_key, moderator, fmt):
    from reports.models import Category

    other, _ = Category.objects.get_or_create(code="unsafe-stop", defaults={"name_it": "Fermata", "name_en": "Stop"})
    first = rows_of(post(client, fmt, **valid(api_key)), fmt)[0]["service_request_id"]
    second = rows_of(post(client, fmt, **valid(api_key, service_code="unsafe-stop")), fmt)[0]["service_request_id"]
    for code in (first, second):
        report_publish(report=Report.objects.get(tracking_code=code), user=moderator)
    report_set_status(report=Report.objects.get(tracking_code=second), status="resolved", user=moderator)

    def ids(**params):
        response = client.get(f"{BASE}requests.{fmt}", params)
        assert response.status_code == 200
        return {r["service_request_id"] for r in rows_of(response, fmt)}

    assert ids() == {first, second}
    assert ids(service_request_id=f"{first},{second}") == {first, second}
    assert ids(service_code=other.code) == {second}
    assert ids(status="open") == {first}
    assert ids(status="closed") == {second}
    now = timezone.now()
    assert ids(
        start_date=(now - dt.timedelta(days=1)).isoformat(), end_date=(now + dt.timedelta(hours=1)).isoformat()
    ) == {first, second}
    assert (
        ids(start_date=(now - dt.timedelta(days=10)).isoformat(), end_date=(now - dt.timedelta(days=5)).isoformat())
        == set()
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_date_window_over_90_days_or_bad_dates_are_400(client, db, fmt):
    now = timezone.now()
    too_wide = {"start_date": (now - dt.timedelta(days=120)).isoformat(), "end_date": now.isoformat()}
    for params in (too_wide, {"start_date": "yesterday"}, {"status": "pending"}):
        response = client.get(f"{BASE}requests.{fmt}", params)
        assert response.status_code == 400
        assert errors_of(response, fmt)[0][0] == 400


def test_requests_default_to_the_last_90_days_and_at_most_1000(client, two_zones, category, api_key, moderator):
    code = rows_of(post(client, "json", **valid(api_key)), "json")[0]["service_request_id"]
    report_publish(report=Report.objects.get(tracking_code=code), user=moderator)
    assert len(rows_of(client.get(f"{BASE}requests.json"), "json")) == 1
    Report.objects.filter(tracking_code=code).update(created_at=timezone.now() - dt.timedelta(days=91))
    from django.core.cache import cache

    cache.clear()  # 91 days passing, as far as the cached public list can tell (no write moves its token)
    assert rows_of(client.get(f"{BASE}requests.json"), "json") == []
    from open311.views import DEFAULT_LIMIT

    assert DEFAULT_LIMIT == 1000


def test_spam_is_never_listed(client, two_zones, category, api_key, moderator):
    code = rows_of(post(client, "json", **valid(api_key)), "json")[0]["service_request_id"]
    report_reject_spam(report=Report.objects.get(tracking_code=code), user=moderator)
    assert client.get(f"{BASE}requests/{code}.json").status_code == 404


# --- tokens -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_leads_to_the_service_request_id(client, two_zones, category, api_key, fmt):
    row = rows_of(post(client, fmt, **valid(api_key)), fmt)[0]
    response = client.get(f"{BASE}tokens/{row['token']}.{fmt}")
    assert response.status_code == 200
    (answer,) = rows_of(response, fmt)
    assert answer == {"service_request_id": row["service_request_id"], "token": row["token"]}
    missing = client.get(f"{BASE}tokens/nope.{fmt}")
    assert missing.status_code == 404
    assert errors_of(missing, fmt)[0][0] == 404


# --- keys from the command line ---------------------------------------------------------------------


def test_open311_key_create_list_and_revoke(capsys, db):
    call_command("open311_key", "create", "city-app")
    key = capsys.readouterr().out.strip()
    assert ApiKey.objects.for_key(key).name == "city-app"
    call_command("open311_key", "list")
    assert "city-app" in capsys.readouterr().out
    call_command("open311_key", "revoke", "city-app")
    assert ApiKey.objects.for_key(key) is None


# --- jurisdiction_id --------------------------------------------------------------------------------

JURISDICTION = "comune.example.it"


@pytest.fixture
def one_request(client, two_zones, category, api_key, settings) -> dict:
    settings.OPEN311_JURISDICTION_ID = JURISDICTION
    return rows_of(post(client, "json", **valid(api_key)), "json")[0]


def every_get_endpoint(row) -> list[str]:
    return [
        "discovery",
        "services",
        "services/broken-street-light",
        "requests",
        f"requests/{row['service_request_id']}",
        f"tokens/{row['token']}",
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_jurisdiction_this_endpoint_serves(client, db, settings, fmt):
    settings.OPEN311_JURISDICTION_ID = JURISDICTION
    body = parse(client.get(f"{BASE}discovery.{fmt}"), fmt)
    served = body["jurisdiction_id"] if fmt == "json" else body.findtext("jurisdiction_id")
    assert served == JURISDICTION


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_endpoint_accepts_this_citys_jurisdiction_id_or_none(client, one_request, fmt):
    for endpoint in every_get_endpoint(one_request):
        for params in ({}, {"jurisdiction_id": JURISDICTION}, {"jurisdiction_id": JURISDICTION.upper()}):
            response = client.get(f"{BASE}{endpoint}.{fmt}", params)
            assert response.status_code == 200, (endpoint, params, response.content[:300])


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_endpoint_answers_another_jurisdiction_with_404_and_an_error_list(client, one_request, fmt):
    for endpoint in every_get_endpoint(one_request):
        response = client.get(f"{BASE}{endpoint}.{fmt}", {"jurisdiction_id": "sfgov.org"})
        assert response.status_code == 404, endpoint
        ((code, description),) = errors_of(response, fmt)
        assert code == 404 and "sfgov.org" in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_to_another_jurisdiction_is_404_and_saves_nothing(client, one_request, api_key, fmt):
    before = Report.objects.count()
    response = post(client, fmt, **valid(api_key, jurisdiction_id="sfgov.org"))
    assert response.status_code == 404
    assert errors_of(response, fmt)[0][0] == 404
    assert Report.objects.count() == before
    response = post(client, fmt, **valid(api_key, jurisdiction_id=JURISDICTION))
    assert response.status_code == 200
    assert Report.objects.count() == before + 1


# --- what a careless or hostile client sends ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("vertical\x0btab", "verticaltab"),
        ("escape \x1b[31mred\x1b[0m", "escape [31mred[0m"),
        ("form\x0cfeed", "formfeed"),
        ("bell\x07 and delete\x7f", "bell and delete\x7f"),  # DEL is legal (if unwelcome) in XML 1.0
    ],
)
def test_the_requests_list_stays_well_formed_xml_whatever_a_moderator_published(
    client, two_zones, category, api_key, moderator, text, shown
):
    code = rows_of(post(client, "json", **valid(api_key)), "json")[0]["service_request_id"]
    report = Report.objects.get(tracking_code=code)
    # Rows written before the input rule existed (or by a path that skips it) carry such text: the serializer
    # must not depend on every row being clean.
    Report.objects.filter(pk=report.pk).update(description=text)
    report_publish(report=report, user=moderator, public_description="Lampione")
    Report.objects.filter(pk=report.pk).update(public_description=text)
    report_set_status(report=report, status="resolved", public_note="Riparato", user=moderator)
    from reports.models import StatusChange

    StatusChange.objects.filter(report=report, public_note="Riparato").update(public_note=f"note {text}")
    for path in ("requests.xml", f"requests/{code}.xml"):
        response = client.get(f"{BASE}{path}")
        assert response.status_code == 200
        root = ET.fromstring(response.content)  # noqa: S314 - our own response; raises if not well-formed
        (row,) = xml_rows(root, "request")
        assert (row["description"], row["status_notes"]) == (shown, f"note {shown}")
    (row,) = rows_of(client.get(f"{BASE}requests/{code}.json"), "json")
    assert row["description"] == text  # JSON can carry every character escaped


@pytest.mark.parametrize("text", ["a\x0bb", "a\x1bb", "a\x00b"])
def test_control_characters_are_refused_at_input(client, two_zones, category, api_key, text):
    response = post(client, "xml", **valid(api_key, description=text))
    assert response.status_code == 400
    ((status, description),) = errors_of(response, "xml")
    assert status == 400 and ("U+00" in description or "NUL" in description)
    assert not Report.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "9999-12-20T00:00:00Z"},
        {"end_date": "0001-01-05T00:00:00Z"},
        {"start_date": "0001-01-01T00:00:00+14:00"},
        {"end_date": "9999-12-31"},
        {"start_date": "1900-01-01T00:00:00Z", "end_date": "1900-02-01T00:00:00Z"},
    ],
)
def test_dates_outside_the_plausible_window_are_400_naming_the_parameter_and_the_window(client, db, fmt, params):
    response = client.get(f"{BASE}requests.{fmt}", params)
    assert response.status_code == 400
    ((status, description),) = errors_of(response, fmt)
    assert status == 400
    assert next(iter(params)) in description and "2000-01-01" in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_month_13_is_a_400_not_a_crash(client, db, fmt):
    response = client.get(f"{BASE}requests.{fmt}", {"start_date": "2026-13-45T00:00:00Z"})
    assert response.status_code == 400
    assert "start_date" in errors_of(response, fmt)[0][1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_sent_as_json_is_415_saying_how_to_send_it(client, two_zones, category, api_key, fmt):
    response = client.post(f"{BASE}requests.{fmt}", json.dumps(valid(api_key)), content_type="application/json")
    assert response.status_code == 415
    ((status, description),) = errors_of(response, fmt)
    assert status == 415 and "application/x-www-form-urlencoded" in description
    assert not Report.objects.exists()


def test_a_multiple_choice_may_be_sent_with_the_brackets_of_the_specification(client, two_zones, category, api_key):
    category.attributes = [
        {
            "code": "which",
            "datatype": "multivaluelist",
            "values": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}],
        }
    ]
    category.save()
    response = post(client, "json", **valid(api_key), **{"attribute[which][]": ["a", "b"]})
    assert response.status_code == 200, response.content
    assert Report.objects.get().attributes == {"which": ["a", "b"]}
