"""One validation for every citizen channel: lengths from the model's own columns, characters PostgreSQL and XML
can carry, coordinates named in words, times inside the plausible window; refused in each channel's own format,
never a 500 and never half written."""

import datetime as dt
import json

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from conftest import make_user
from open311.models import ApiKey
from reports.models import AbuseFlag, PerceivedSafety, Report, SafetyAudit, StatusChange
from reports.services import (
    audit_submit,
    report_flag_abuse,
    report_merge,
    report_publish,
    report_set_status,
    report_submit,
    report_validate_content,
)
from reports.validation import column_limit

from .factories import api_payload, submit

pytestmark = pytest.mark.django_db
API = "/api/v1/reports/"
FORM = "/reports/new/"
OPEN311 = "/open311/v2/requests.json"
# 64 + 1 + 3 x 61 + 59 + 4: valid syntax (no label over 63 characters), longer than the 254 of the column.
LONG_EMAIL = "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "c" * 59 + ".org"
SCORES = dict.fromkeys(SafetyAudit.PARAMETERS, 2)


@pytest.fixture
def api_key(db) -> str:
    key = ApiKey(name="validation-client")
    secret = key.set_new_key()
    key.save()
    return secret


def form_payload(category, **overrides):
    data = {
        "category": category.pk,
        "perceived_safety": 2,
        "latitude": "45.065",
        "longitude": "7.675",
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "description": "Lampione spento",
    }
    data.update(overrides)
    return data


def open311_payload(api_key, **overrides):
    data = {
        "api_key": api_key,
        "service_code": "broken-street-light",
        "lat": "45.065",
        "long": "7.675",
        "attribute[perceived_safety]": "2",
        "description": "Lampione spento",
    }
    data.update(overrides)
    return data


def post_json(client, path, body):
    return client.post(path, body if isinstance(body, str) else json.dumps(body), content_type="application/json")


def open311_errors(response) -> str:
    body = response.json()
    assert all(set(error) == {"code", "description"} for error in body)
    return " ".join(error["description"] for error in body)


# --- lengths: the model's columns decide, for every channel ---------------------------------------------------


def test_an_email_longer_than_its_column_is_refused_on_the_api_with_the_field_and_limit(client, two_zones, category):
    assert len(LONG_EMAIL) == 311
    response = post_json(client, API, api_payload(contact_email=LONG_EMAIL, contact_consent=True))
    assert response.status_code == 400
    message = response.json()["contact_email"][0]
    assert "254" in message and "311" in message
    assert not Report.objects.exists()


def test_an_email_longer_than_its_column_is_refused_on_open311_naming_the_parameter(
    client, two_zones, category, api_key
):
    response = client.post(OPEN311, open311_payload(api_key, email=LONG_EMAIL))
    assert response.status_code == 400
    assert "email:" in open311_errors(response) and "254" in open311_errors(response)
    assert not Report.objects.exists()


def test_an_email_longer_than_its_column_is_refused_on_the_form(client, two_zones, category):
    response = client.post(FORM, form_payload(category, contact_email=LONG_EMAIL, contact_consent="on"))
    assert response.status_code == 400
    assert "254" in response.content.decode()
    assert not Report.objects.exists()


def test_a_media_url_of_620_characters_is_refused_on_open311(client, two_zones, category, api_key):
    url = "https://example.org/" + "a" * 600
    response = client.post(OPEN311, open311_payload(api_key, media_url=url))
    assert response.status_code == 400
    assert "media_url:" in open311_errors(response) and "500" in open311_errors(response)
    assert not Report.objects.exists()


@pytest.mark.parametrize("field", ["address", "description", "reporter_name", "contact_phone", "media_url"])
def test_every_text_of_a_report_is_held_to_its_own_column(two_zones, category, field):
    limit = column_limit(Report, field)
    value = "https://example.org/" + "a" * limit if field == "media_url" else "a" * (limit + 1)
    with pytest.raises(ValidationError) as refused:
        submit(category, **{field: value})
    message = refused.value.message_dict[field][0]
    assert str(limit) in message and str(len(value)) in message
    assert not Report.objects.exists()


def test_moderators_and_walkers_texts_are_held_to_their_columns_too(two_zones, category, moderator):
    report = submit(category)
    other = submit(category)
    too_long = {model: "a" * (column_limit(*model) + 1) for model in [
        (Report, "public_description"), (StatusChange, "public_note"), (AbuseFlag, "reason"), (SafetyAudit, "comment"),
    ]}  # fmt: skip
    with pytest.raises(ValidationError, match="2000"):
        report_publish(report=report, user=moderator, public_description=too_long[Report, "public_description"])
    with pytest.raises(ValidationError, match="2000"):
        report_set_status(
            report=report, status="resolved", public_note=too_long[StatusChange, "public_note"], user=moderator
        )
    with pytest.raises(ValidationError, match="2000"):
        report_merge(report=other, into=report, user=moderator, public_note=too_long[StatusChange, "public_note"])
    with pytest.raises(ValidationError, match="1000"):
        report_flag_abuse(report=report, reason=too_long[AbuseFlag, "reason"])
    with pytest.raises(ValidationError, match="2000"):
        audit_submit(location=Point(7.675, 45.065, srid=4326), occurred_at=timezone.now(), scores=SCORES,
                     comment=too_long[SafetyAudit, "comment"])  # fmt: skip
    report.refresh_from_db()
    assert (report.status, report.is_published, other.duplicate_of) == ("submitted", False, None)
    assert not AbuseFlag.objects.exists() and not SafetyAudit.objects.exists()


# --- characters PostgreSQL cannot store, and damaged text ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a\x00b", "U+0000"),
        ("a\ud800b", "U+D800"),
        ("a\x0bb", "U+000B"),
        ("a\x1b[31mb", "U+001B"),
        ("a\ufffdb", "U+FFFD"),
    ],
)
def test_characters_no_channel_can_carry_are_refused_in_every_text(two_zones, category, text, says):
    for field in ("description", "address", "reporter_name", "contact_phone"):
        with pytest.raises(ValidationError) as refused:
            submit(category, **{field: text})
        assert says in refused.value.message_dict[field][0]
    _content, problems = report_validate_content(
        category=category, perceived_safety=2, occurred_at=timezone.now(), contact_email=f"a{text}@example.org"
    )
    assert says in problems["contact_email"][0]
    assert not Report.objects.exists()


def test_tabs_and_new_lines_are_still_welcome(two_zones, category):
    report = submit(category, description="Primo rigo\r\n\tsecondo rigo")
    assert report.description == "Primo rigo\r\n\tsecondo rigo"


def test_a_percent_encoded_surrogate_in_a_form_body_is_refused_not_stored_damaged(client, two_zones, category):
    body = "&".join(f"{key}={value}" for key, value in form_payload(category, description="").items())
    response = client.post(
        FORM, body + "&description=lampione%ED%A0%80", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "U+FFFD" in response.content.decode()
    assert not Report.objects.exists()


def test_a_lone_surrogate_in_json_is_a_json_400(client, two_zones, category):
    body = json.dumps(api_payload(description="PLACEHOLDER")).replace("PLACEHOLDER", "\\ud800")
    response = post_json(client, API, body)
    assert response.status_code == 400
    assert "ud800" in response.json()["detail"]
    assert not Report.objects.exists()


def test_html_in_a_description_is_refused_but_angle_brackets_in_words_are_kept_and_escaped(
    client, two_zones, category, moderator
):
    assert post_json(client, API, api_payload(description="<script>alert(1)</script>")).status_code == 400
    report = report_publish(report=submit(category, description="meno di 3 < 5 lampioni"), user=moderator)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "meno di 3 &lt; 5 lampioni" in page


# --- extra questions (Open311 attributes) ----------------------------------------------------------------------

QUESTIONS = [
    {"code": "pole", "datatype": "string", "description": "Pole number"},
    {"code": "seen", "datatype": "datetime", "description": "Seen at"},
    {"code": "which", "datatype": "multivaluelist", "description": "Which lights",
     "values": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}]},
]  # fmt: skip


@pytest.fixture
def asking(category):
    category.attributes = QUESTIONS
    category.save()
    return category


def test_perceived_safety_given_twice_on_open311_is_a_400_naming_it(client, two_zones, category, api_key):
    data = open311_payload(api_key)
    data["attribute[perceived_safety]"] = ["2", "3"]
    response = client.post(OPEN311, data)
    assert response.status_code == 400
    assert "attribute[perceived_safety]" in open311_errors(response) and "2" in open311_errors(response)
    assert not Report.objects.exists()


def test_any_single_answer_given_twice_on_open311_is_named_and_a_multiple_choice_may_repeat(
    client, two_zones, asking, api_key
):
    response = client.post(OPEN311, {**open311_payload(api_key), "attribute[pole]": ["12", "13"]})
    assert response.status_code == 400
    assert "attribute[pole]" in open311_errors(response)
    response = client.post(OPEN311, {**open311_payload(api_key), "attribute[which][]": ["a", "b"]})
    assert response.status_code == 200, response.content
    assert Report.objects.get().attributes == {"which": ["a", "b"]}


@pytest.mark.parametrize(
    ("answers", "key"),
    [
        ({"pole": "\ud800"}, "attribute[pole]"),
        ({"pole": "12\x1b"}, "attribute[pole]"),
        ({"pole": {"nested": 1}}, "attribute[pole]"),
        ({"pole": [[1]]}, "attribute[pole]"),
        ({"pole": True}, "attribute[pole]"),
        ({"seen": "0001-01-01T00:00:00+14:00"}, "attribute[seen]"),
        ({"\ud800": "x"}, "attributes"),
    ],
)
def test_answers_no_column_can_hold_are_refused(two_zones, asking, answers, key):
    with pytest.raises(ValidationError) as refused:
        submit(asking, attributes=answers)
    assert key in refused.value.message_dict
    # The message quoting an unknown code must itself be storable and sendable.
    "".join(refused.value.messages).encode("utf-8")
    assert not Report.objects.exists()


def test_json_nested_50000_deep_in_attributes_is_a_json_400_naming_the_depth_limit(client, two_zones, category):
    body = json.dumps(api_payload(attributes="PLACEHOLDER")).replace('"PLACEHOLDER"', "[" * 50_000 + "]" * 50_000)
    response = post_json(client, API, body)
    assert response.status_code == 400
    assert "20" in response.json()["detail"]
    assert not Report.objects.exists()


def test_json_nested_50000_deep_in_a_moderation_note_is_a_json_400(client, two_zones, category):
    report = submit(category)
    client.force_login(make_user("deep-moderator", "moderator"))
    body = '{"status": "resolved", "public_note": ' + "[" * 50_000 + "]" * 50_000 + "}"
    for action in ("status", "merge", "publish"):
        response = post_json(client, f"{API}{report.tracking_code}/{action}/", body)
        assert response.status_code == 400
        assert "20" in response.json()["detail"]
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    assert report.history.count() == 1


# --- when it happened: the one date-range guard ---------------------------------------------------------------


def test_a_time_with_no_instant_in_utc_is_refused_on_the_api_naming_the_window(client, two_zones, category):
    response = post_json(client, API, api_payload(occurred_at="0001-01-01T00:00:00+14:00"))
    assert response.status_code == 400
    message = response.json()["occurred_at"][0]
    assert "occurred_at" in message and "2000-01-01" in message
    assert not Report.objects.exists()


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59", "1900-01-01T12:00"])
def test_a_time_outside_the_window_is_refused_on_the_form_and_the_audit_form(client, two_zones, category, when):
    response = client.post(FORM, form_payload(category, occurred_at=when))
    assert response.status_code == 400
    assert "2000-01-01" in response.content.decode()
    audit = {"latitude": "45.065", "longitude": "7.675", "occurred_at": when, **SCORES}
    response = client.post("/reports/audit/new/", audit)
    assert response.status_code == 400
    assert "2000-01-01" in response.content.decode()
    assert not Report.objects.exists() and not SafetyAudit.objects.exists()


def test_the_services_refuse_a_time_outside_the_window_from_any_caller(two_zones, category):
    far = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))
    with pytest.raises(ValidationError) as refused:
        report_submit(category=category, perceived_safety=2, occurred_at=far, location=Point(7.675, 45.065, srid=4326))
    assert "2000-01-01" in refused.value.message_dict["occurred_at"][0]
    with pytest.raises(ValidationError) as refused:
        audit_submit(location=Point(7.675, 45.065, srid=4326), occurred_at=far, scores=SCORES)
    assert "occurred_at" in refused.value.message_dict


# --- coordinates, named in words ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-inf", "1e400", "91", "north", True])
def test_a_latitude_that_is_not_a_number_between_minus_90_and_90_is_named_on_the_api(
    client, two_zones, category, value
):
    client.cookies["django_language"] = "en"
    response = post_json(client, API, api_payload(latitude=value))
    assert response.status_code == 400
    assert response.json()["latitude"] == ["Latitude must be a number between -90 and 90 (decimal degrees, WGS84)."]
    assert not Report.objects.exists()


def test_the_api_speaks_the_coordinate_message_in_the_citys_language_too(client, two_zones, category):
    response = post_json(client, API, api_payload(longitude="NaN"))
    assert response.json()["longitude"] == [
        "La longitudine deve essere un numero tra -180 e 180 (gradi decimali, WGS84)."
    ]


@pytest.mark.parametrize(("field", "value"), [("latitude", "NaN"), ("longitude", "inf"), ("longitude", "-181")])
def test_bad_coordinates_are_named_on_the_form_and_the_audit_form(client, two_zones, category, field, value):
    client.cookies["django_language"] = "en"
    says = f"{field.capitalize()} must be a number between"
    assert says in client.post(FORM, form_payload(category, **{field: value})).content.decode()
    audit = {"latitude": "45.065", "longitude": "7.675", "occurred_at": "2026-01-01T22:00", **SCORES, field: value}
    assert says in client.post("/reports/audit/new/", audit).content.decode()
    assert not Report.objects.exists() and not SafetyAudit.objects.exists()


@pytest.mark.parametrize(("lat", "lon", "says"), [("NaN", "7.6", "lat: "), ("45.06", "Infinity", "long: ")])
def test_bad_coordinates_are_named_on_open311(client, two_zones, category, api_key, lat, lon, says):
    response = client.post(OPEN311, open311_payload(api_key, lat=lat, long=lon))
    assert response.status_code == 400
    assert says in open311_errors(response) and "WGS84" in open311_errors(response)


def test_a_point_outside_the_city_still_gets_the_outside_the_city_message(client, two_zones, category):
    response = post_json(client, API, api_payload(latitude=46.5, longitude=8.5))
    assert response.status_code == 400
    assert "location" in response.json()


# --- moderation: transitions with their own action ------------------------------------------------------------


@pytest.mark.parametrize(("status", "says"), [("duplicate", "merge"), ("spam", "spam")])
def test_duplicate_and_spam_are_not_set_as_a_plain_status(two_zones, category, moderator, status, says):
    report = submit(category)
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        report_set_status(report=report, status=status, user=moderator)
    assert says in refused.value.message_dict["status"][0]
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED


def test_a_refused_moderation_form_comes_back_with_what_was_typed(client, two_zones, category, moderator):
    report = submit(category)
    client.force_login(moderator)
    note = "Nota con un carattere \x1b di escape"
    response = client.post(
        f"/reports/moderation/{report.tracking_code}/status/", {"status": "resolved", "public_note": note}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "U+001B" in page
    assert "Nota con un carattere" in page  # the note is still in its box
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED


def test_a_report_keeps_its_scale_value_from_any_channel(two_zones, category):
    assert submit(category, perceived_safety=PerceivedSafety.VERY_SAFE).perceived_safety == 4
    with pytest.raises(ValidationError):
        submit(category, perceived_safety=True)  # True == 1, but it is not an answer on the scale
