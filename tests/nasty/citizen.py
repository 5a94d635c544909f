"""Hostile inputs for the citizen side (see tests/nasty/__init__.py): the citizen form, the audit form, the abuse
form, the reports API (JSON and multipart), Open311 POST and GET in JSON and XML, and the moderators' API and
form actions. Each is refused with the field and the limit named, in the channel's format, and writes nothing.

Bodies that need the world (a category's id, a report's code) are callables; raw JSON texts are bytes, so that
their braces are not taken for placeholders.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.nasty import Nasty

API = "/api/v1/reports/"
FORM = "/reports/new/"
AUDIT = "/reports/audit/new/"
OPEN311_JSON = "/open311/v2/requests.json"
OPEN311_XML = "/open311/v2/requests.xml"
URLENCODED = "application/x-www-form-urlencoded"
# Valid syntax (no label over 63 characters) and 311 characters, longer than the 254 of the e-mail column.
LONG_EMAIL = "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "c" * 59 + ".org"
HUGE = 10**400
SCORES = dict.fromkeys(
    ("lighting", "openness", "visibility", "people", "security", "walk_path", "public_transport", "gender_diversity",
     "feeling"), "2",
)  # fmt: skip


def _recently() -> str:
    return (timezone.now() - dt.timedelta(hours=1)).isoformat()


def api(**overrides):
    """A valid JSON report with ``overrides``; a value of None drops the field."""

    def body(world):
        data = {
            "category": "broken-street-light",
            "perceived_safety": 2,
            "occurred_at": _recently(),
            "latitude": 45.065,
            "longitude": 7.675,
            "description": "Lampione spento",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return body


def api_raw(replace: str, by: str):
    """The valid JSON report as text, with the JSON ``replace`` (e.g. ``"PLACEHOLDER"``) swapped for raw ``by``."""

    def body(world):
        return json.dumps(api(description="PLACEHOLDER")(world)).replace(replace, by).encode()

    return body


def form(**overrides):
    """The citizen form as the page posts it, with ``overrides`` (None drops a field)."""

    def body(world):
        data = {
            "category": str(world.category.pk),
            "perceived_safety": "2",
            "latitude": "45.065",
            "longitude": "7.675",
            "occurred_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "description": "Lampione spento",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return body


def form_answer(position: int, value: str):
    """The citizen form answering the category's extra question at ``position`` with ``value``."""

    def body(world):
        return {**form()(world), f"attr_{world.category.pk}_{position}": value}

    return body


def urlencoded(extra: str, base=None):
    """A form body as raw text (so that it can carry bytes that are not UTF-8 once decoded)."""

    def body(world):
        fields = (base or form(description=None))(world)
        return "&".join(f"{key}={value}" for key, value in fields.items()) + extra

    return body


def audit(**overrides):
    def body(world):
        data = {"latitude": "45.065", "longitude": "7.675", "occurred_at": "2026-01-01T22:00", **SCORES}
        data["occurred_at"] = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return body


def open311(**overrides):
    data = {
        "api_key": "{open311_key}",
        "service_code": "broken-street-light",
        "lat": "45.065",
        "long": "7.675",
        "attribute[perceived_safety]": "2",
        "description": "Lampione spento",
        "email": "citizen@example.org",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def cursor(text: str) -> str:
    """A list cursor as the API encodes one (see PublicReportPagination), around ``text``."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def many_fields(n: int = 1001) -> str:
    return "&".join(f"field{i}=1" for i in range(n))


def deep(levels: int = 50_000) -> str:
    return "[" * levels + "]" * levels


MODERATION = "/reports/moderation/{unpublished_code}/"
MODERATION_API = API + "{unpublished_code}/"

CASES: list[Nasty] = [
    # --- the REST API: lengths from the model's columns -------------------------------------------------
    Nasty("api-email-311-characters", "POST", API, api(contact_email=LONG_EMAIL, contact_consent=True),
          content_type="json", says=("contact_email", "254", "311"), format="json"),
    Nasty("api-description-2001-characters", "POST", API, api(description="a" * 2001),
          content_type="json", says=("description", "2000"), format="json"),
    Nasty("api-address-256-characters", "POST", API, api(address="Via " + "a" * 252),
          content_type="json", says=("address", "255"), format="json"),
    Nasty("api-multipart-description-2001-characters", "POST", API,
          lambda w: {**api(description="a" * 2001)(w), "latitude": "45.065", "longitude": "7.675"},
          says=("description", "2000"), format="json"),
    # --- the REST API: characters PostgreSQL or XML cannot carry ------------------------------------------
    Nasty("api-nul-in-description", "POST", API, api(description="a\x00b"), content_type="json",
          says=("description", "null"), format="json"),
    Nasty("api-lone-surrogate-in-description", "POST", API, api_raw('"PLACEHOLDER"', '"a\\ud800b"'),
          content_type="json", says=("ud800",), format="json"),
    Nasty("api-lone-surrogate-in-an-answer", "POST", API,
          api_raw('"description": "PLACEHOLDER"', '"attributes": {"pole_number": "\\udfff"}'),
          content_type="json", says=("ud800",), format="json"),
    Nasty("api-vertical-tab-in-description", "POST", API, api(description="a\x0bb"), content_type="json",
          says=("description", "U+000B"), format="json"),
    Nasty("api-terminal-escape-in-address", "POST", API, api(address="\x1b[2JVia Roma"), content_type="json",
          says=("address", "U+001B"), format="json"),
    Nasty("api-replacement-character-in-description", "POST", API, api(description="lampione \ufffd"),
          content_type="json", says=("description", "U+FFFD"), format="json"),
    # --- the REST API: JSON the parser refuses --------------------------------------------------------------
    Nasty("api-attributes-nested-50000-deep", "POST", API,
          api_raw('"description": "PLACEHOLDER"', '"attributes": {"pole_number": ' + deep() + "}"),
          content_type="json", says=("20",), format="json"),
    Nasty("api-latitude-1e400", "POST", API, api_raw('"PLACEHOLDER"', '"x", "latitude": 1e400'),
          content_type="json", says=("1e400",), format="json"),
    Nasty("api-integer-of-5000-digits", "POST", API,
          api_raw('"PLACEHOLDER"', '"x", "perceived_safety": 1' + "0" * 5000),
          content_type="json", says=("5001", "4300"), format="json"),
    Nasty("api-category-given-twice", "POST", API, api_raw('"PLACEHOLDER"', '"x", "category": "dark-area"'),
          content_type="json", says=("category",), format="json"),
    Nasty("api-nan-literal", "POST", API, api_raw('"PLACEHOLDER"', '"x", "longitude": NaN'),
          content_type="json", says=("NaN",), format="json"),
    Nasty("api-not-json", "POST", API, b"{category: broken-street-light", content_type="json",
          says=("JSON",), format="json"),
    Nasty("api-body-is-an-array", "POST", API, lambda w: [api()(w)], content_type="json",
          says=("non_field_errors", "list"), format="json"),
    Nasty("api-body-is-a-string", "POST", API, b'"a report"', content_type="json",
          says=("non_field_errors", "str"), format="json"),
    Nasty("api-empty-object", "POST", API, b"{}", content_type="json",
          says=("category", "perceived_safety", "occurred_at"), format="json"),
    Nasty("api-empty-body", "POST", API, b"", content_type="json",
          says=("category", "perceived_safety", "occurred_at"), format="json"),
    Nasty("api-text-plain", "POST", API, "a report", content_type="text/plain", status=415,
          says=("text/plain",), format="json"),
    Nasty("api-xml-body", "POST", API, "<report/>", content_type="application/xml", status=415,
          says=("application/xml",), format="json"),
    Nasty("api-20-mib-body", "POST", API, lambda w: b'{"description": "' + b"a" * (20 * 1024 * 1024) + b'"}',
          content_type="json", says=("4194304",), format="json"),
    Nasty("api-1001-form-fields", "POST", API, many_fields(), content_type=URLENCODED,
          says=("1000",), format="json"),
    # --- the REST API: when it happened ----------------------------------------------------------------------
    Nasty("api-occurred-at-year-1-plus-14", "POST", API, api(occurred_at="0001-01-01T00:00:00+14:00"),
          content_type="json", says=("occurred_at", "2000-01-01"), format="json"),
    Nasty("api-occurred-at-year-9999", "POST", API, api(occurred_at="9999-12-31T23:59:59-14:00"),
          content_type="json", says=("occurred_at", "2000-01-01"), format="json"),
    Nasty("api-occurred-at-1900", "POST", API, api(occurred_at="1900-01-01T22:00:00+01:00"),
          content_type="json", says=("occurred_at", "2000-01-01"), format="json"),
    Nasty("api-occurred-at-words", "POST", API, api(occurred_at="last night"),
          content_type="json", says=("occurred_at",), format="json"),
    # --- the REST API: coordinates and the scale --------------------------------------------------------------
    Nasty("api-latitude-nan-as-text", "POST", API, api(latitude="NaN"), content_type="json", language="en",
          says=("latitude", "Latitude must be a number between -90 and 90"), format="json"),
    Nasty("api-longitude-infinity-as-text", "POST", API, api(longitude="-Infinity"), content_type="json",
          language="en", says=("longitude", "Longitude must be a number between -180 and 180"), format="json"),
    Nasty("api-latitude-10-to-the-400", "POST", API, api(latitude=HUGE), content_type="json",
          says=("latitude", "-90", "90"), format="json"),
    Nasty("api-latitude-true", "POST", API, api(latitude=True), content_type="json",
          says=("latitude", "-90", "90"), format="json"),
    Nasty("api-latitude-without-longitude", "POST", API, api(longitude=None), content_type="json",
          says=("latitude", "longitude"), format="json"),
    Nasty("api-outside-the-city", "POST", API, api(latitude=46.5, longitude=8.5), content_type="json",
          language="en", says=("location", "outside the area"), format="json"),
    Nasty("api-perceived-safety-zero", "POST", API, api(perceived_safety=0), content_type="json",
          says=("perceived_safety", '\\"0\\"'), format="json"),
    Nasty("api-perceived-safety-negative", "POST", API, api(perceived_safety=-1), content_type="json",
          says=("perceived_safety", "-1"), format="json"),
    Nasty("api-perceived-safety-10-to-the-400", "POST", API, api(perceived_safety=HUGE), content_type="json",
          says=("perceived_safety",), format="json"),
    Nasty("api-perceived-safety-true", "POST", API, api(perceived_safety=True), content_type="json",
          says=("perceived_safety", "True"), format="json"),
    Nasty("api-perceived-safety-two-and-a-half", "POST", API, api(perceived_safety="2.5"), content_type="json",
          says=("perceived_safety", "2.5"), format="json"),
    # --- the REST API: what the fields refer to ----------------------------------------------------------------
    Nasty("api-unknown-category", "POST", API, api(category="no-such-thing"), content_type="json",
          says=("category", "no-such-thing"), format="json"),
    Nasty("api-category-as-an-object", "POST", API, api(category={"code": "dark-area"}), content_type="json",
          says=("category",), format="json"),
    Nasty("api-unknown-zone-without-coordinates", "POST", API, api(latitude=None, longitude=None, zone="ZZZ"),
          content_type="json", says=("zone",), format="json"),
    Nasty("api-duplicate-of-an-unknown-report", "POST", API, api(duplicate_of="NOPE2345"), content_type="json",
          says=("duplicate_of",), format="json"),
    Nasty("api-email-without-consent", "POST", API, api(contact_email="citizen@example.org"), content_type="json",
          says=("contact_consent",), format="json"),
    Nasty("api-attributes-as-a-list", "POST", API, api(attributes=["one"]), content_type="json",
          says=("attributes", "list"), format="json"),
    Nasty("api-unknown-extra-question", "POST", API, api(attributes={"bribe": "yes"}), content_type="json",
          says=("attributes", "bribe"), format="json"),
    Nasty("api-answer-not-among-the-choices", "POST", API, api(attributes={"lights_out": "all of them"}),
          content_type="json", says=("attribute[lights_out]", "one", "several"), format="json"),
    Nasty("api-answer-is-an-object", "POST", API, api(attributes={"pole_number": {"$gt": ""}}), content_type="json",
          says=("attribute[pole_number]",), format="json"),
    Nasty("api-single-answer-given-as-two", "POST", API, api(attributes={"lights_out": ["one", "several"]}),
          content_type="json", says=("attribute[lights_out]", "2"), format="json"),
    Nasty("api-answer-with-html", "POST", API, api(attributes={"pole_number": "<img src=x onerror=alert(1)>"}),
          content_type="json", says=("attribute[pole_number]",), format="json"),
    Nasty("api-occurred-at-year-1-without-zone", "POST", API, api(occurred_at="0001-01-01T00:00:00"),
          content_type="json", says=("occurred_at", "2000-01-01"), format="json"),
    Nasty("api-duplicate-of-17-characters", "POST", API, api(duplicate_of="A" * 17), content_type="json",
          says=("duplicate_of", "16"), format="json"),
    Nasty("api-consent-as-a-word", "POST", API, api(contact_email="c@example.org", contact_consent="maybe"),
          content_type="json", says=("contact_consent",), format="json"),
    Nasty("api-email-with-a-right-to-left-override", "POST", API,
          api(contact_email="moc.elpmaxe@\u202eevil", contact_consent=True), content_type="json",
          says=("contact_email",), format="json"),
    Nasty("api-photo-that-is-not-an-image", "POST", API,
          lambda w: {**api()(w), "photo": SimpleUploadedFile("photo.jpg", b"<?php system($_GET[0]); ?>")},
          says=("photo",), format="json"),
    Nasty("api-photo-as-a-text", "POST", API, api(photo="data:image/png;base64,AAAA"), content_type="json",
          says=("photo",), format="json"),
    # --- the REST API: the public list --------------------------------------------------------------------
    Nasty("api-list-cursor-that-is-not-base64", "GET", API, {"cursor": "!!!not-a-cursor"}, says=("cursor",),
          format="json"),
    Nasty("api-list-cursor-with-month-13", "GET", API, {"cursor": cursor("n|2026-13-45T00:00:00+00:00|1")},
          says=("cursor",), format="json"),
    Nasty("api-list-cursor-without-a-zone", "GET", API, {"cursor": cursor("n|2026-01-01T00:00:00|1")},
          says=("cursor",), format="json"),
    Nasty("api-list-page-size-in-words", "GET", API, {"page_size": "all"}, says=("page_size",), format="json"),
    Nasty("api-list-nul-in-a-filter", "GET", API, {"category": "a\x00"}, says=("NUL",), format="json"),
    Nasty("api-unknown-report", "GET", API + "NOPE2345/", status=404, language="en", says=("No Report matches",),
          format="json"),
    # --- the moderators' API -----------------------------------------------------------------------------------
    Nasty("moderation-api-note-2001-characters", "POST", MODERATION_API + "status/",
          {"status": "resolved", "public_note": "a" * 2001}, content_type="json", as_role="moderator",
          says=("public_note", "2000"), format="json"),
    Nasty("moderation-api-note-nested-50000-deep", "POST", MODERATION_API + "status/",
          lambda w: ('{"status": "resolved", "public_note": ' + deep() + "}").encode(), content_type="json",
          as_role="moderator", says=("20",), format="json"),
    Nasty("moderation-api-note-with-escape-codes", "POST", MODERATION_API + "status/",
          {"status": "resolved", "public_note": "fatto\x1b[0m"}, content_type="json", as_role="moderator",
          says=("public_note", "U+001B"), format="json"),
    Nasty("moderation-api-status-duplicate-without-original", "POST", MODERATION_API + "status/",
          {"status": "duplicate"}, content_type="json", as_role="moderator", language="en",
          says=("status", "merge"), format="json"),
    Nasty("moderation-api-status-spam-as-a-status", "POST", MODERATION_API + "status/",
          {"status": "spam"}, content_type="json", as_role="moderator", language="en",
          says=("status", "Reject as spam"), format="json"),
    Nasty("moderation-api-unknown-status", "POST", MODERATION_API + "status/", {"status": "exploded"},
          content_type="json", as_role="moderator", says=("status", "exploded"), format="json"),
    Nasty("moderation-api-unknown-department", "POST", MODERATION_API + "assign/", {"department": "mafia"},
          content_type="json", as_role="moderator", says=("department", "mafia"), format="json"),
    Nasty("moderation-api-merge-into-itself", "POST", MODERATION_API + "merge/", {"into": "{unpublished_code}"},
          content_type="json", as_role="moderator", language="en", says=("into", "itself"), format="json"),
    Nasty("moderation-api-merge-into-an-unknown-code", "POST", MODERATION_API + "merge/", {"into": "NOPE2345"},
          content_type="json", as_role="moderator", language="en", says=("into", "No report has this tracking code"),
          format="json"),
    Nasty("moderation-api-merge-into-a-17-character-code", "POST", MODERATION_API + "merge/", {"into": "A" * 17},
          content_type="json", as_role="moderator", says=("into", "16"), format="json"),
    Nasty("moderation-api-merge-into-a-code-with-a-zero-width-space", "POST", MODERATION_API + "merge/",
          lambda w: {"into": w.report_code[:4] + "\u200b" + w.report_code[4:]}, content_type="json",
          as_role="moderator", language="en", says=("into", "No report has this tracking code"), format="json"),
    Nasty("moderation-api-status-missing", "POST", MODERATION_API + "status/", {"public_note": "fatto"},
          content_type="json", as_role="moderator", says=("status",), format="json"),
    Nasty("moderation-api-on-an-unknown-report", "POST", API + "NOPE2345/spam/", {}, content_type="json",
          as_role="moderator", status=404, language="en", says=("No Report matches",), format="json"),
    Nasty("moderation-api-publish-text-2001-characters", "POST", MODERATION_API + "publish/",
          {"public_description": "a" * 2001}, content_type="json", as_role="moderator",
          says=("public_description", "2000"), format="json"),
    # --- the moderators' form actions ----------------------------------------------------------------------------
    Nasty("moderation-form-merge-into-itself", "POST", MODERATION + "merge/", {"into": "{unpublished_code}"},
          as_role="moderator", language="en", says=("cannot be a duplicate of itself",), format="html"),
    Nasty("moderation-form-merge-into-an-unknown-code", "POST", MODERATION + "merge/", {"into": "NOPE2345"},
          as_role="moderator", language="en", says=("No report has this tracking code", 'value="NOPE2345"'),
          format="html"),
    Nasty("moderation-form-unknown-department", "POST", MODERATION + "assign/", {"department": "mafia"},
          as_role="moderator", language="en", says=("Department", "mafia"), format="html"),
    Nasty("moderation-form-status-duplicate-without-original", "POST", MODERATION + "status/",
          {"status": "duplicate"}, as_role="moderator", language="en", says=("merge the report",), format="html"),
    Nasty("moderation-form-note-2001-characters", "POST", MODERATION + "status/",
          {"status": "resolved", "public_note": "a" * 2001}, as_role="moderator", language="en",
          says=("2000",), format="html"),
    Nasty("moderation-form-note-with-a-bell", "POST", MODERATION + "status/",
          {"status": "resolved", "public_note": "fatto\x07"}, as_role="moderator", says=("U+0007",),
          format="html"),
    Nasty("moderation-form-publish-with-nul", "POST", MODERATION + "publish/", {"public_description": "a\x00b"},
          as_role="moderator", language="en", says=("Null characters",), format="html"),
    # --- the citizen form -------------------------------------------------------------------------------------
    Nasty("form-email-311-characters", "POST", FORM, form(contact_email=LONG_EMAIL, contact_consent="on"),
          says=("254",), format="html"),
    Nasty("form-description-2001-characters", "POST", FORM, form(description="a" * 2001), says=("2000",),
          format="html"),
    Nasty("form-percent-encoded-surrogate", "POST", FORM, urlencoded("&description=lampione%ED%A0%80"),
          content_type=URLENCODED, says=("U+FFFD",), format="html"),
    Nasty("form-vertical-tab-in-description", "POST", FORM, form(description="a\x0bb"), says=("U+000B",),
          format="html"),
    Nasty("form-latitude-nan", "POST", FORM, form(latitude="NaN"),
          says=("La latitudine deve essere un numero tra -90 e 90",), format="html"),
    Nasty("form-longitude-infinity", "POST", FORM, form(longitude="inf"), language="en",
          says=("Longitude must be a number between -180 and 180",), format="html"),
    Nasty("form-occurred-at-year-1", "POST", FORM, form(occurred_at="0001-01-01T00:00"), says=("2000-01-01",),
          format="html"),
    Nasty("form-occurred-at-year-9999", "POST", FORM, form(occurred_at="9999-12-31T23:59"), says=("2000-01-01",),
          format="html"),
    Nasty("form-unknown-category", "POST", FORM, form(category="999999"), says=("Scegli una categoria",),
          format="html"),
    Nasty("form-perceived-safety-five", "POST", FORM, form(perceived_safety="5"), language="en",
          says=("Select a valid choice", "5"), format="html"),
    Nasty("form-answer-not-among-the-choices", "POST", FORM, form_answer(1, "all of them"),
          says=("one", "several"), format="html"),
    Nasty("form-join-an-unknown-report", "POST", FORM, form(join="NOPE2345"), language="en",
          says=("can no longer take your experience",), format="html"),
    Nasty("form-unknown-zone-and-no-pin", "POST", FORM, form(latitude=None, longitude=None, zone="999999"),
          language="en", says=("Please choose an area from the list",), format="html"),
    Nasty("form-email-with-a-right-to-left-override", "POST", FORM,
          form(contact_email="moc.elpmaxe@\u202eevil", contact_consent="on"), language="en",
          says=("valid e-mail address",), format="html"),
    Nasty("form-honeypot-filled", "POST", FORM, form(website="http://spam.example"),
          says=("Non è stato possibile accettare la segnalazione",), format="html"),
    Nasty("form-1001-fields", "POST", FORM, many_fields(), content_type=URLENCODED, says=("1000",),
          format="html"),
    Nasty("form-3-mb-body", "POST", FORM, urlencoded("&description=" + "a" * 3_000_000), content_type=URLENCODED,
          language="en", says=("at most 2621440 bytes",), format="html"),
    Nasty("form-multipart-without-boundary", "POST", FORM, "garbage", content_type="multipart/form-data",
          says=("multipart",), format="html"),
    # --- the audit form ----------------------------------------------------------------------------------------
    Nasty("audit-occurred-at-year-9999", "POST", AUDIT, audit(occurred_at="9999-12-31T23:59"),
          says=("2000-01-01",), format="html"),
    Nasty("audit-latitude-nan", "POST", AUDIT, audit(latitude="nan"), language="en",
          says=("Latitude must be a number between -90 and 90",), format="html"),
    Nasty("audit-score-four", "POST", AUDIT, audit(lighting="4"), language="en", says=("Select a valid choice",),
          format="html"),
    Nasty("audit-comment-with-escape-codes", "POST", AUDIT, audit(comment="buio\x1b[5m"), says=("U+001B",),
          format="html"),
    Nasty("audit-comment-2001-characters", "POST", AUDIT, audit(comment="a" * 2001), says=("2000",),
          format="html"),
    Nasty("audit-without-scores", "POST", AUDIT,
          lambda w: {k: v for k, v in audit()(w).items() if k in {"latitude", "longitude", "occurred_at"}},
          says=("Dai un punteggio da 0 a 3",), format="html"),
    Nasty("audit-outside-the-city", "POST", AUDIT, audit(latitude="46.5", longitude="8.5"), language="en",
          says=("outside the area",), format="html"),
    # --- the abuse form --------------------------------------------------------------------------------------
    Nasty("abuse-reason-1001-characters", "POST", "/reports/{report_code}/abuse/", {"reason": "a" * 1001},
          says=("1000",), format="html"),
    Nasty("abuse-reason-with-nul", "POST", "/reports/{report_code}/abuse/", {"reason": "a\x00b"}, language="en",
          says=("Null characters",), format="html"),
    Nasty("abuse-reason-with-a-bell", "POST", "/reports/{report_code}/abuse/", {"reason": "spam\x07"},
          says=("U+0007",), format="html"),
    Nasty("abuse-reason-blank", "POST", "/reports/{report_code}/abuse/", {"reason": "   "}, language="en",
          says=("required",), format="html"),
    # --- Open311 POST ------------------------------------------------------------------------------------------
    Nasty("open311-email-311-characters", "POST", OPEN311_JSON, open311(email=LONG_EMAIL),
          says=("email:", "254"), format="json"),
    Nasty("open311-email-311-characters-xml", "POST", OPEN311_XML, open311(email=LONG_EMAIL),
          says=("email:", "254"), format="xml"),
    Nasty("open311-media-url-620-characters", "POST", OPEN311_JSON,
          open311(media_url="https://example.org/" + "a" * 600), says=("media_url:", "500"), format="json"),
    Nasty("open311-perceived-safety-twice", "POST", OPEN311_JSON,
          open311(**{"attribute[perceived_safety]": ["2", "3"]}), says=("attribute[perceived_safety]", "2"),
          format="json"),
    Nasty("open311-perceived-safety-twice-with-brackets", "POST", OPEN311_XML,
          open311(**{"attribute[perceived_safety][]": ["2"]}), says=("attribute[perceived_safety]",), format="xml"),
    Nasty("open311-perceived-safety-zero", "POST", OPEN311_JSON, open311(**{"attribute[perceived_safety]": "0"}),
          says=("attribute[perceived_safety]", "1, 2, 3, 4"), format="json"),
    Nasty("open311-perceived-safety-10-to-the-400", "POST", OPEN311_XML,
          open311(**{"attribute[perceived_safety]": str(HUGE)}), says=("attribute[perceived_safety]",), format="xml"),
    Nasty("open311-an-answer-given-twice", "POST", OPEN311_JSON, open311(**{"attribute[lights_out]": ["one", "one"]}),
          says=("attribute[lights_out]",), format="json"),
    Nasty("open311-unknown-attribute", "POST", OPEN311_JSON, open311(**{"attribute[bribe]": "yes"}),
          says=("bribe",), format="json"),
    Nasty("open311-lat-nan", "POST", OPEN311_JSON, open311(lat="NaN"), language="en",
          says=("lat:", "Latitude must be a number between -90 and 90"), format="json"),
    Nasty("open311-long-infinity-xml", "POST", OPEN311_XML, open311(long="Infinity"),
          says=("long:", "-180"), format="xml"),
    Nasty("open311-lat-without-long", "POST", OPEN311_JSON, open311(long=""), says=("long:",), format="json"),
    Nasty("open311-no-place", "POST", OPEN311_JSON, open311(lat=None, long=None),
          says=("lat", "address_string"), format="json"),
    Nasty("open311-unknown-service-code", "POST", OPEN311_JSON, open311(service_code="no-such-service"), status=404,
          says=("no-such-service",), format="json"),
    Nasty("open311-no-service-code", "POST", OPEN311_XML, open311(service_code=None), says=("service_code",),
          format="xml"),
    Nasty("open311-another-citys-jurisdiction", "POST", OPEN311_JSON, open311(jurisdiction_id="sfgov.org"),
          status=404, says=("jurisdiction_id", "sfgov.org"), format="json"),
    Nasty("open311-wrong-api-key", "POST", OPEN311_XML, open311(api_key="guessed"), status=403,
          says=("api_key",), format="xml"),
    Nasty("open311-json-body", "POST", OPEN311_JSON, open311(), content_type="json", status=415,
          says=("application/x-www-form-urlencoded",), format="json"),
    Nasty("open311-answer-with-html", "POST", OPEN311_XML, open311(**{"attribute[pole_number]": "<script>x</script>"}),
          says=("attribute[pole_number]",), format="xml"),
    Nasty("open311-media-url-javascript", "POST", OPEN311_JSON, open311(media_url="javascript:alert(1)"),
          says=("media_url:",), format="json"),
    Nasty("open311-email-bad-syntax", "POST", OPEN311_JSON, open311(email="citizen@@example"),
          says=("email:",), format="json"),
    Nasty("open311-description-with-escape-codes-xml", "POST", OPEN311_XML, open311(description="\x1b[31mrosso"),
          says=("description:", "U+001B"), format="xml"),
    Nasty("open311-description-2001-characters", "POST", OPEN311_JSON, open311(description="a" * 2001),
          says=("description:", "2000"), format="json"),
    Nasty("open311-name-201-characters", "POST", OPEN311_JSON, open311(first_name="A" * 150, last_name="B" * 50),
          says=("first_name", "200"), format="json"),
    Nasty("open311-phone-41-characters", "POST", OPEN311_XML, open311(phone="+39 " + "1" * 37),
          says=("phone:", "40"), format="xml"),
    Nasty("open311-percent-encoded-surrogate", "POST", OPEN311_JSON,
          urlencoded("&description=lampione%ED%A0%80", base=lambda w: open311(description=None, api_key=w.open311_key)),
          content_type=URLENCODED,
          says=("description:", "U+FFFD"), format="json"),
    Nasty("open311-nul-in-a-parameter", "POST", OPEN311_JSON, open311(address_string="Via\x00Roma"),
          says=("NUL",), format="json"),
    Nasty("open311-3-mb-form", "POST", OPEN311_XML, lambda w: "api_key=x&description=" + "a" * 3_000_000,
          content_type=URLENCODED, says=("2621440",), format="xml"),
    Nasty("open311-1001-fields", "POST", OPEN311_JSON, many_fields(), content_type=URLENCODED,
          says=("1000",), format="json"),
    Nasty("open311-put-on-requests", "PUT", OPEN311_XML, "", content_type=URLENCODED, status=405,
          says=("POST",), format="xml"),
    # --- Open311 GET ------------------------------------------------------------------------------------------
    Nasty("open311-start-date-9999", "GET", OPEN311_JSON, {"start_date": "9999-12-20T00:00:00Z"},
          says=("start_date", "2000-01-01"), format="json"),
    Nasty("open311-end-date-year-1-xml", "GET", OPEN311_XML, {"end_date": "0001-01-05T00:00:00Z"},
          says=("end_date", "2000-01-01"), format="xml"),
    Nasty("open311-start-date-with-no-instant-in-utc", "GET", OPEN311_XML, {"start_date": "0001-01-01T00:00:00+14:00"},
          says=("start_date", "2000-01-01"), format="xml"),
    Nasty("open311-start-date-month-13", "GET", OPEN311_JSON, {"start_date": "2026-13-45T00:00:00Z"},
          says=("start_date",), format="json"),
    Nasty("open311-start-date-words", "GET", OPEN311_XML, {"start_date": "yesterday"}, says=("start_date",),
          format="xml"),
    Nasty("open311-window-of-a-year", "GET", OPEN311_JSON,
          {"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, says=("90",), format="json"),
    Nasty("open311-start-after-end", "GET", OPEN311_XML,
          {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
          says=("start_date", "end_date"), format="xml"),
    Nasty("open311-unknown-status", "GET", OPEN311_JSON, {"status": "pending"}, says=("status",), format="json"),
    Nasty("open311-another-citys-jurisdiction-get", "GET", OPEN311_XML, {"jurisdiction_id": "sfgov.org"},
          status=404, says=("sfgov.org",), format="xml"),
    Nasty("open311-single-request-unknown-id", "GET", "/open311/v2/requests/NOPE2345.xml", status=404,
          says=("NOPE2345",), format="xml"),
    Nasty("open311-single-request-nul-id", "GET", "/open311/v2/requests/AB%00CD.json", says=("NUL",),
          format="json"),
    Nasty("open311-nul-in-service-request-id", "GET", OPEN311_JSON, {"service_request_id": "AB\x00CD"},
          says=("NUL",), format="json"),
    Nasty("open311-unknown-token", "GET", "/open311/v2/tokens/not-a-token.xml", status=404,
          says=("token", "not-a-token"), format="xml"),
    Nasty("open311-discovery-another-jurisdiction", "GET", "/open311/v2/discovery.json",
          {"jurisdiction_id": "comune.milano.it"}, status=404, says=("comune.milano.it",), format="json"),
    Nasty("open311-delete-on-requests", "DELETE", OPEN311_JSON, "", content_type=URLENCODED, status=405,
          says=("GET", "POST"), format="json"),
    Nasty("open311-service-definition-unknown", "GET", "/open311/v2/services/no-such-service.xml", status=404,
          says=("service_code", "no-such-service"), format="xml"),
    Nasty("open311-service-definition-another-jurisdiction", "GET", "/open311/v2/services/broken-street-light.json",
          {"jurisdiction_id": "sfgov.org"}, status=404, says=("jurisdiction_id",), format="json"),
]  # fmt: skip
