"""REST API for reports: public GeoJSON (privacy rules applied), anonymous create through report_submit,
and moderation endpoints for the moderator group."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.contrib.rest_framework_gis import build_point_geo_schema
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from city import dateguard
from city.models import Department, Zone
from city.roles import MODERATOR, has_role

from . import services
from .models import Category, PerceivedSafety, Report
from .ratelimit import client_ip, rate_limit_refund, rate_limit_take
from .validation import column_limit, parse_coordinate

TRACKING_CODE_LENGTH = column_limit(Report, "tracking_code")


@extend_schema_field(build_point_geo_schema())
class SnappedPointField(GeometryField):
    """A report's place snapped to the privacy grid: an annotation (Report.objects.with_public_location()), not a
    model field, so the schema is said here rather than guessed from the model (drf_spectacular.W001)."""


class PublicReportSerializer(GeoFeatureModelSerializer):
    """What anyone may read: no contact data, no exact place, only the moderated text."""

    # The snapped point, never the exact one.
    location = SnappedPointField(source="public_location", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    description = serializers.CharField(source="public_description", read_only=True)
    photo_url = serializers.SerializerMethodField()
    duplicate_of = serializers.SerializerMethodField(
        help_text="Tracking code of the published report this one counts through, if any."
    )

    class Meta:
        model = Report
        geo_field = "location"
        id_field = "tracking_code"
        fields = [
            "tracking_code",
            "location",
            "category",
            "category_name",
            "status",
            "perceived_safety",
            "occurred_at",
            "night",
            "slot",
            "zone",
            "department",
            "description",
            "photo_url",
            "duplicate_of",
            "updated_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_duplicate_of(self, report: Report) -> str | None:
        # The code of a report that is not public is never shown, even as the target of a merge.
        target = report.duplicate_of
        return target.tracking_code if target is not None and target.is_public else None

    def get_photo_url(self, report: Report) -> str:
        url = report.public_photo_url
        request = self.context.get("request")
        return request.build_absolute_uri(url) if url and request else url


class CoordinateField(serializers.FloatField):
    """A latitude or longitude, read by validation.parse_coordinate like the form's and Open311's (NaN,
    infinities, booleans and out-of-range values are refused with the coordinate named)."""

    def __init__(self, *, coordinate: str, **kwargs):
        self.coordinate = coordinate
        bound = 90 if coordinate == "latitude" else 180
        super().__init__(min_value=-bound, max_value=bound, **kwargs)

    def to_internal_value(self, data) -> float:
        try:
            return parse_coordinate(data, field=self.coordinate)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict[self.coordinate]) from None


class WindowedDateTimeField(serializers.DateTimeField):
    """DRF's reading of an ISO 8601 instant (without a zone: the city's local time), held to the observatory's
    plausible window (city/dateguard.py) before any time-zone arithmetic, which would overflow for
    0001-01-01T00:00:00+14:00. For input only."""

    def enforce_timezone(self, value):
        aware = value if timezone.is_aware(value) else timezone.make_aware(value)
        try:
            dateguard.check_datetime(aware, field=self.field_name)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict[self.field_name]) from None
        return super().enforce_timezone(value)


class ReportCreateSerializer(serializers.Serializer):
    """Parses the request; the checks are report_submit's, shared with the form and Open311 (lengths come from
    the model's columns there)."""

    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(active=True),
        error_messages={"does_not_exist": "Unknown category code {value}.", "invalid": "Give a category code."},
    )
    perceived_safety = serializers.ChoiceField(choices=PerceivedSafety.choices)
    occurred_at = WindowedDateTimeField()
    latitude = CoordinateField(coordinate="latitude", required=False)
    longitude = CoordinateField(coordinate="longitude", required=False)
    zone = serializers.SlugRelatedField(slug_field="code", queryset=Zone.objects.all(), required=False)
    address = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    photo = serializers.FileField(required=False)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_consent = serializers.BooleanField(required=False, default=False)
    attributes = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Answers to the category's extra questions (its Open311 attributes), by question code.",
    )
    duplicate_of = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TRACKING_CODE_LENGTH,
        help_text="Tracking code of an open report nearby (see /reports/nearby.json) to add this experience to; "
        "the new report is then closed as its duplicate and counts once, through it.",
    )

    def validate(self, data):
        if ("latitude" in data) != ("longitude" in data):
            raise serializers.ValidationError({"latitude": "Give both latitude and longitude."})
        return data


class ReportCreatedSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    url = serializers.CharField()


class MergeSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=TRACKING_CODE_LENGTH)
    public_note = serializers.CharField(required=False, allow_blank=True)


class AssignSerializer(serializers.Serializer):
    # Departments are data: the active ones are read when a request is validated, never when the serializer is
    # built (the OpenAPI schema is generated without a database, as in `manage.py check --deploy` at build time).
    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.active(),
        error_messages={"does_not_exist": gettext_lazy("No active department has the code {value}.")},
    )


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Report.Status.choices)
    public_note = serializers.CharField(required=False, allow_blank=True)


class PublishSerializer(serializers.Serializer):
    public_description = serializers.CharField(required=False, allow_blank=True)


class ModeratorReportSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    duplicate_of = serializers.SlugRelatedField(slug_field="tracking_code", read_only=True)

    class Meta:
        model = Report
        fields = [
            "tracking_code", "category", "status", "is_published", "department", "duplicate_of",
            "description", "public_description", "perceived_safety", "occurred_at", "address", "source", "attributes",
            "updated_at",
        ]  # fmt: skip


class IsModerator(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return has_role(request.user, MODERATOR)


class PublicReportPagination(BasePagination):
    """Keyset (cursor) pagination of the public list, newest first: a page is "the next N reports before this
    (occurred_at, id)", read straight off the partial index report_public_list_idx. Unlike page numbers it
    needs no COUNT over millions of rows and no OFFSET scan, and it stays stable while reports arrive."""

    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering = ("-occurred_at", "-id")

    def get_page_size(self, request) -> int:
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except (TypeError, ValueError):
            raise ApiValidationError({self.page_size_query_param: "Give a whole number of reports per page."}) from None
        return max(1, min(size, self.max_page_size))

    def _decode(self, request) -> tuple[dt.datetime, int, bool] | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            text = base64.urlsafe_b64decode(encoded.encode("ascii") + b"=" * (-len(encoded) % 4)).decode("ascii")
            direction, moment, pk = text.split("|")
            position = parse_datetime(moment)
            if direction not in {"n", "p"} or position is None or position.tzinfo is None:
                raise ValueError
            return position, int(pk), direction == "p"
        except (ValueError, UnicodeError, binascii.Error):
            raise ApiValidationError(
                {self.cursor_query_param: "This cursor is not valid: use the next or previous link."}
            ) from None

    def _link(self, report: Report, *, previous: bool) -> str:
        moment = report.occurred_at.isoformat()
        token = (
            base64.urlsafe_b64encode(f"{'p' if previous else 'n'}|{moment}|{report.pk}".encode()).decode().rstrip("=")
        )
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def paginate_queryset(self, queryset, request, view=None):
        self.base_url = request.build_absolute_uri()
        size = self.get_page_size(request)
        cursor = self._decode(request)
        if cursor is None:
            rows = list(queryset.order_by(*self.ordering)[: size + 1])
            more_before, more_after = len(rows) > size, False
            page = rows[:size]
        else:
            moment, pk, backwards = cursor
            if backwards:  # the page just newer than the cursor, read oldest first then turned round
                keyset = Q(occurred_at__gt=moment) | Q(occurred_at=moment, id__gt=pk)
                rows = list(
                    queryset.filter(occurred_at__gte=moment).filter(keyset).order_by("occurred_at", "id")[: size + 1]
                )
                more_before, more_after = True, len(rows) > size
                page = list(reversed(rows[:size]))
            else:
                # occurred_at <= moment bounds the index scan; the OR settles ties on the same instant by id.
                keyset = Q(occurred_at__lt=moment) | Q(occurred_at=moment, id__lt=pk)
                rows = list(
                    queryset.filter(occurred_at__lte=moment).filter(keyset).order_by(*self.ordering)[: size + 1]
                )
                more_before, more_after = len(rows) > size, True
                page = rows[:size]
        self.next_link = self._link(page[-1], previous=False) if page and more_before else None
        self.previous_link = self._link(page[0], previous=True) if page and more_after else None
        if not page and cursor is not None and not cursor[2]:
            self.previous_link = None
        return page

    def get_paginated_response(self, data):
        return Response(
            {
                "type": "FeatureCollection",
                "next": self.next_link,
                "previous": self.previous_link,
                "features": data["features"],
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "allOf": [
                schema,
                {
                    "type": "object",
                    "properties": {
                        "next": {**link, "description": "The page of older reports, or null on the last page."},
                        "previous": {**link, "description": "The page of newer reports, or null on the first page."},
                    },
                },
            ]
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: the opaque value of a next or previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Reports per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


def _raise_api_error(error: DjangoValidationError):
    raise ApiValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


@extend_schema_view(
    list=extend_schema(
        summary="Published reports as GeoJSON (snapped locations, moderated text)",
        parameters=[
            OpenApiParameter("category", str, description="Category (Open311 service) code"),
            OpenApiParameter("status", str, enum=Report.Status.values),
            OpenApiParameter("zone", str, description="Zone code"),
        ],
    ),
    retrieve=extend_schema(summary="One published report as a GeoJSON feature"),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PublicReportSerializer
    pagination_class = PublicReportPagination
    lookup_field = "tracking_code"
    lookup_value_regex = "[^/]+"
    filter_backends: list = []

    def get_permissions(self):
        if self.action in {"publish", "spam", "merge", "assign", "set_status", "moderation"}:
            return [IsModerator()]
        return [permissions.AllowAny()]

    def get_queryset(self):
        queryset = (
            Report.objects.public()
            .with_public_location()
            .select_related("category", "zone", "duplicate_of", "department")
            .order_by("-occurred_at", "-id")
        )
        params = self.request.query_params
        if any("\x00" in value for value in params.values()):
            raise ApiValidationError({"detail": "Query parameters may not contain NUL characters."})
        if params.get("category"):
            queryset = queryset.filter(category__code=params["category"])
        if params.get("status"):
            queryset = queryset.filter(status=params["status"])
        if params.get("zone"):
            queryset = queryset.filter(zone__code=params["zone"])
        return queryset

    def _code(self) -> str:
        code = str(self.kwargs["tracking_code"]).upper()
        if "\x00" in code:
            raise Http404
        return code

    def get_object(self):
        return get_object_or_404(self.get_queryset(), tracking_code=self._code())

    def _moderated(self) -> Report:
        return get_object_or_404(Report, tracking_code=self._code())

    @extend_schema(
        summary="Submit a report (same checks as the web form)",
        request={"multipart/form-data": ReportCreateSerializer, "application/json": ReportCreateSerializer},
        responses={201: ReportCreatedSerializer, 400: None, 429: None},
    )
    def create(self, request, *args, **kwargs):
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        location = None
        if "latitude" in data:
            from django.contrib.gis.geos import Point

            location = Point(data["longitude"], data["latitude"], srid=4326)
        original = None
        if data.get("duplicate_of"):
            # Only a published report can be joined; any other code gets the same answer as an unknown one.
            original = Report.objects.public().filter(tracking_code=data["duplicate_of"].strip().upper()).first()
            if original is None:
                raise ApiValidationError({"duplicate_of": [services.join_refused_message()]})
        # Only a report really sent counts against the limit (a refused body costs nothing), as on the form.
        ip = client_ip(request)
        wait_seconds = rate_limit_take(ip)
        if wait_seconds:
            raise Throttled(wait=wait_seconds)
        try:
            report = services.report_submit(
                category=data["category"],
                perceived_safety=int(data["perceived_safety"]),
                occurred_at=data["occurred_at"],
                location=location,
                zone=data.get("zone"),
                address=data.get("address", ""),
                description=data.get("description", ""),
                photo=data.get("photo"),
                contact_email=data.get("contact_email", ""),
                contact_consent=data.get("contact_consent", False),
                attributes=data.get("attributes") or {},
                submitter_ip=ip,
                source=Report.Source.API,
                duplicate_of=original,
            )
        except DjangoValidationError as error:
            rate_limit_refund(ip)
            _raise_api_error(error)
        body = {
            "tracking_code": report.tracking_code,
            "status": report.status,
            "url": request.build_absolute_uri(report.get_absolute_url()),
        }
        return Response(body, status=status.HTTP_201_CREATED)

    def _act(self, fn, **kwargs) -> Response:
        try:
            with transaction.atomic():
                report = fn(report=self._moderated(), user=self.request.user, **kwargs)
        except DjangoValidationError as error:
            _raise_api_error(error)
        return Response(ModeratorReportSerializer(report).data)

    @extend_schema(summary="Moderators: the full report", responses=ModeratorReportSerializer)
    @action(detail=True, methods=["get"])
    def moderation(self, request, tracking_code=None):
        return Response(ModeratorReportSerializer(self._moderated()).data)

    @extend_schema(
        summary="Moderators: approve and publish", request=PublishSerializer, responses=ModeratorReportSerializer
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, tracking_code=None):
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(
            services.report_publish, public_description=serializer.validated_data.get("public_description")
        )

    @extend_schema(summary="Moderators: reject as spam", request=None, responses=ModeratorReportSerializer)
    @action(detail=True, methods=["post"])
    def spam(self, request, tracking_code=None):
        return self._act(services.report_reject_spam)

    @extend_schema(
        summary="Moderators: merge as duplicate of another report",
        request=MergeSerializer,
        responses=ModeratorReportSerializer,
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, tracking_code=None):
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        into = Report.objects.filter(tracking_code=serializer.validated_data["into"].strip().upper()).first()
        if into is None:
            raise ApiValidationError({"into": [_("No report has this tracking code.")]})
        return self._act(services.report_merge, into=into, public_note=serializer.validated_data.get("public_note", ""))

    @extend_schema(
        summary="Moderators: assign a department", request=AssignSerializer, responses=ModeratorReportSerializer
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, tracking_code=None):
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(services.report_assign, department=serializer.validated_data["department"])

    @extend_schema(
        summary="Moderators: set the status with a public note",
        request=StatusSerializer,
        responses=ModeratorReportSerializer,
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, tracking_code=None):
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(
            services.report_set_status,
            status=serializer.validated_data["status"],
            public_note=serializer.validated_data.get("public_note", ""),
        )
