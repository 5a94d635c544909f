"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) over the observatory's reports.

Service codes are category codes; service_request_id is the report's tracking code. Locations are
always the privacy-snapped ones, and text and media are withheld until a moderator publishes them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cases.selectors import due_datetime, with_expected_due
from city import dateguard
from city.clientip import client_ip
from reports import services
from reports.models import Category, PerceivedSafety, Report, StatusChange
from reports.validation import parse_coordinate

from . import formats
from .models import ApiKey

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00Z"
DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_WINDOW = dt.timedelta(days=90)
DEFAULT_LIMIT = 1000
# Every service asks the observatory's own question, the ISTAT / SDG 16.1.4 scale.
PERCEIVED_SAFETY_CODE = "perceived_safety"
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A problem report_submit finds is named by the parameter the client sent.
OPEN311_PARAMETER = {
    "address": "address_string",
    "contact_email": "email",
    "contact_phone": "phone",
    "reporter_name": "first_name, last_name",
    "location": "lat, long",
    "photo": "media_url",
    "perceived_safety": f"attribute[{PERCEIVED_SAFETY_CODE}]",
}


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("open311-discovery", kwargs={"fmt": "json"})).rsplit("/", 1)[0] + "/"


def _has_nul(request: HttpRequest, *values: str) -> bool:
    """PostgreSQL refuses NUL in text: such input is a 400, not a crash."""
    given = [*values, *request.GET.values(), *(request.POST.values() if request.method == "POST" else [])]
    return any("\x00" in value for value in given)


def _jurisdiction_given(request: HttpRequest) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return (source.get("jurisdiction_id") or "").strip()


def _checked(view):
    """Every endpoint's common checks: no NUL in parameters, and the optional ``jurisdiction_id``.

    GeoReport v2 lets one endpoint serve several jurisdictions; this one serves the city's only. A client
    that names another jurisdiction gets 404 with the error list, as for any unknown resource.
    """
    from functools import wraps

    @wraps(view)
    def wrapped(request, *args, fmt, **kwargs):
        if _has_nul(request, *kwargs.values()):
            return formats.errors(fmt, 400, "Parameters may not contain NUL characters")
        given = _jurisdiction_given(request)
        if given and given.lower() != settings.OPEN311_JURISDICTION_ID.lower():
            return formats.errors(
                fmt,
                404,
                f"jurisdiction_id {given} not found: this endpoint serves {settings.OPEN311_JURISDICTION_ID}",
            )
        return view(request, *args, fmt=fmt, **kwargs)

    return wrapped


@_checked
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    data = {
        "changeset": CHANGESET,
        "jurisdiction_id": settings.OPEN311_JURISDICTION_ID,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": _base_url(request),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return formats.render(data, fmt, root="discovery")


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": True,  # every service asks how safe the person felt
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.get_group_display() if category.group else "",
    }


@_checked
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    data = [_service(c) for c in Category.objects.filter(active=True)]
    return formats.render(data, fmt, root="services", item="service")


def _attributes(category: Category) -> list[dict]:
    safety = {
        "variable": True,
        "code": PERCEIVED_SAFETY_CODE,
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 0,
        "description": str(_("How safe did you feel?")),
        "values": [{"key": str(value), "name": str(label)} for value, label in PerceivedSafety.choices],
    }
    extra = [
        {
            "variable": question["variable"],
            "code": question["code"],
            "datatype": question["datatype"],
            "required": question["required"],
            "datatype_description": question["help"],
            "order": question["order"],
            "description": question["label"],
            "values": question["values"],
        }
        for question in category.questions(answerable_only=False)
    ]
    return [safety, *sorted(extra, key=lambda a: a["order"])]


@_checked
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        return formats.errors(fmt, 404, f"service_code {code} not found")
    data = {"service_code": category.code, "attributes": _attributes(category)}
    return formats.render(data, fmt, root="service_definition")


def _request_row(report: Report) -> dict:
    published = report.is_published and report.status not in Report.NOT_PUBLIC_STATUSES
    last_note = next((c.public_note for c in reversed(report.public_notes) if c.public_note), "")
    return {
        "service_request_id": report.tracking_code,
        "status": report.open311_status,
        "status_notes": last_note,
        "service_name": report.category.name,
        "service_code": report.category.code,
        # Text and media are the citizen's: shown only once a moderator has published them.
        "description": report.public_description if published else "",
        "agency_responsible": report.department.name if report.department else "",
        "service_notice": "",
        "requested_datetime": _iso(report.created_at),
        "updated_datetime": _iso(report.updated_at),
        # The latest due date of the open tasks in the report's case (cases, the working calendar).
        "expected_datetime": _iso(due_datetime(getattr(report, "expected_due", None))),
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": round(report.public_location.y, 6),
        "long": round(report.public_location.x, 6),
        "media_url": (report.media_url or report.public_photo_url) if published and not report.photo_hidden else "",
    }


def _request_rows(queryset, request: HttpRequest) -> list[dict]:
    queryset = (
        with_expected_due(queryset.with_public_location())
        .select_related("category", "department")
        .prefetch_related(
            Prefetch(
                "history",
                queryset=StatusChange.objects.filter(action__in=["status", "merge"]).order_by("created_at", "id"),
                to_attr="public_notes",
            )
        )
    )
    rows = []
    for report in queryset:
        row = _request_row(report)
        if row["media_url"].startswith("/"):
            row["media_url"] = request.build_absolute_uri(row["media_url"])
        rows.append(row)
    return rows


def _visible():
    # Spam is never shown; everything else is followable by its id from the moment it is submitted.
    return Report.objects.exclude(status=Report.Status.SPAM)


def _parse_date(value: str, name: str) -> dt.datetime:
    """A W3C date-time (or a date) parameter, held to the observatory's plausible window (city/dateguard.py)
    before any arithmetic: 9999-12-20 plus the default window, or year 1 in UTC, do not exist."""
    text = value.strip()
    try:
        parsed = parse_datetime(text.replace(" ", "+"))  # a "+" left unencoded in a query string arrives as " "
    except ValueError:  # well formed but impossible, such as month 13
        parsed = None
    if parsed is None:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        except ValueError:
            raise ValidationError(
                {name: f"{name} must be a W3C (ISO 8601) date-time, e.g. 2026-01-31T22:00:00+01:00"}
            ) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return dateguard.check_datetime(parsed, field=name)


@csrf_exempt
@_checked
def requests_collection(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method not in {"GET", "HEAD"}:
        return formats.errors(fmt, 405, "Use GET to list or POST to create service requests")
    params = request.GET
    queryset = _visible()
    if params.get("service_request_id"):
        ids = [i.strip().upper() for i in params["service_request_id"].split(",") if i.strip()]
        queryset = queryset.filter(tracking_code__in=ids).order_by("-created_at", "-id")
        return formats.render(_request_rows(queryset, request), fmt, root="service_requests", item="request")
    try:
        start = _parse_date(params["start_date"], "start_date") if params.get("start_date") else None
        end = _parse_date(params["end_date"], "end_date") if params.get("end_date") else None
    except ValidationError as error:
        return formats.errors(fmt, 400, *error.messages)
    if start and end and start > end:
        return formats.errors(fmt, 400, "start_date must be before end_date")
    if start and end and end - start > MAX_WINDOW:
        return formats.errors(fmt, 400, "start_date and end_date may be at most 90 days apart")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - DEFAULT_WINDOW
    elif end is None:
        end = start + DEFAULT_WINDOW
    # The list is public: it names published reports only. A request not yet published is followed by its id
    # (service_request_id above, or requests/<id>), which only its client knows.
    queryset = queryset.public().filter(created_at__gte=start, created_at__lte=end)
    if params.get("service_code"):
        codes = [c.strip() for c in params["service_code"].split(",") if c.strip()]
        queryset = queryset.filter(category__code__in=codes)
    if params.get("status"):
        wanted = {s.strip().lower() for s in params["status"].split(",") if s.strip()}
        if not wanted <= {"open", "closed"}:
            return formats.errors(fmt, 400, "status must be open, closed or both")
        if wanted == {"open"}:
            queryset = queryset.filter(status__in=Report.OPEN_STATUSES)
        elif wanted == {"closed"}:
            queryset = queryset.exclude(status__in=Report.OPEN_STATUSES)
    queryset = queryset.order_by("-created_at", "-id")[:DEFAULT_LIMIT]
    return formats.render(_request_rows(queryset, request), fmt, root="service_requests", item="request")


@_checked
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    queryset = _visible().filter(tracking_code=request_id.upper())
    rows = _request_rows(queryset, request)
    if not rows:
        return formats.errors(fmt, 404, f"service_request_id {request_id} not found")
    return formats.render(rows, fmt, root="service_requests", item="request")


@_checked
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    report = _visible().filter(open311_token=token).exclude(open311_token="").first()
    if report is None:
        return formats.errors(fmt, 404, f"token {token} not found")
    data = [{"service_request_id": report.tracking_code, "token": report.open311_token}]
    return formats.render(data, fmt, root="service_requests", item="request")


def _attributes_given(data, category: Category) -> tuple[dict[str, str | list[str]], dict[str, str]]:
    """The ``attribute[code]`` parameters by code, and the problems of their shape by code.

    A multiple choice comes as ``attribute[code][]`` repeated (or ``attribute[code]`` repeated); any other
    attribute given more than once is a client's mistake, named, rather than an answer stored as a list.
    """
    multiple = {q["code"] for q in category.questions() if q["datatype"] == "multivaluelist"}
    given: dict[str, list[str]] = {}
    for name in data:
        if name.startswith("attribute[") and name.endswith("]"):
            code = name[len("attribute[") : -len("][]") if name.endswith("][]") else -1]
            given.setdefault(code, []).extend(data.getlist(name))
    answers: dict[str, str | list[str]] = {}
    problems: dict[str, str] = {}
    for code, values in given.items():
        if code in multiple:
            answers[code] = values
        elif len(values) > 1:
            problems[code] = _("%(name)s appears %(count)s times; give it once.") % {
                "name": f"attribute[{code}]",
                "count": len(values),
            }
        else:
            answers[code] = values[0]
    return answers, problems


def _client_and_service(data, fmt: str) -> tuple[ApiKey | None, Category | None, HttpResponse | None]:
    """The client's key and the service asked for, or the error answer (403 without a valid key, 400/404)."""
    key = ApiKey.objects.for_key(data.get("api_key", ""))
    if key is None:
        return None, None, formats.errors(fmt, 403, "api_key is missing or not valid")
    code = data.get("service_code", "").strip()
    if not code:
        return key, None, formats.errors(fmt, 400, "service_code was not provided")
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        return key, None, formats.errors(fmt, 404, f"service_code {code} not found")
    return key, category, None


def _place_given(data) -> tuple[Point | None, str, list[str]]:
    """The point (lat and long) or the address_string of the request, and the problems of their form."""
    problems: list[str] = []
    location = None
    lat, lon = data.get("lat", "").strip(), data.get("long", "").strip()
    address = data.get("address_string", "").strip()
    if lat or lon:
        degrees = {}
        for raw, coordinate, parameter in ((lat, "latitude", "lat"), (lon, "longitude", "long")):
            try:
                degrees[coordinate] = parse_coordinate(raw, field=coordinate)
            except ValidationError as error:
                problems.extend(f"{parameter}: {message}" for message in error.messages)
        if len(degrees) == 2:
            location = Point(degrees["longitude"], degrees["latitude"], srid=4326)
    elif not address:
        problems.append("lat and long, or address_string, are required")
    return location, address, problems


def _answers_given(data, category: Category) -> tuple[dict[str, str | list[str]], str | None, list[str]]:
    """The extra answers, the perceived-safety answer (required of every service) and their problems."""
    attributes, repeated = _attributes_given(data, category)
    problems = list(repeated.values())
    safety = attributes.pop(PERCEIVED_SAFETY_CODE, None)
    if PERCEIVED_SAFETY_CODE not in repeated and safety not in {str(v) for v in PerceivedSafety.values}:
        problems.append(
            f"attribute[{PERCEIVED_SAFETY_CODE}] is required: one of 1, 2, 3, 4 (see services/{category.code})"
        )
    return attributes, safety, problems


def _report_fields(data) -> dict[str, object]:
    """The GeoReport v2 parameters that map one to one onto report_submit's fields."""
    name = " ".join(part for part in (data.get("first_name", "").strip(), data.get("last_name", "").strip()) if part)
    email = data.get("email", "").strip()
    return {
        "description": data.get("description", ""),
        "media_url": data.get("media_url", "").strip(),
        "reporter_name": name,
        "contact_email": email,
        "contact_phone": data.get("phone", ""),
        # The client collected the person's details to send them here; updates go by e-mail only when an
        # address was given.
        "contact_consent": bool(email),
    }


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST requests: the client and the service, the place and the answers, then the shared report_submit."""
    if request.content_type not in FORM_MEDIA_TYPES:
        return formats.errors(
            fmt,
            415,
            _(
                "Send the service request form-encoded (application/x-www-form-urlencoded or multipart/form-data), "
                "as GeoReport v2 specifies, not as %(type)s."
            )
            % {"type": request.content_type or _("a body without a Content-Type")},
        )
    data = request.POST
    key, category, refusal = _client_and_service(data, fmt)
    if refusal is not None:
        return refusal
    location, address, problems = _place_given(data)
    attributes, safety, answer_problems = _answers_given(data, category)
    problems.extend(answer_problems)
    if problems:
        return formats.errors(fmt, 400, *problems)
    try:
        report = services.report_submit(
            **_report_fields(data),
            category=category,
            perceived_safety=int(safety),
            occurred_at=timezone.now(),
            location=location,
            address=address,
            attributes=attributes,
            submitter_ip=client_ip(request),
            source=Report.Source.OPEN311,
            open311_key=key,
        )
    except ValidationError as error:
        descriptions = [
            f"{OPEN311_PARAMETER.get(field, field)}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        ]
        return formats.errors(fmt, 400, *descriptions)
    body = [
        {
            "service_request_id": report.tracking_code,
            "token": report.open311_token,
            "service_notice": str(_("Thank you: a moderator will review the request before it is published.")),
            "account_id": None,
        }
    ]
    return formats.render(body, fmt, root="service_requests", item="request")
