"""The sensors' REST API: token-authenticated batch ingest, and public reads (GeoJSON, readings, summaries).

``POST /api/v1/sensors/<id>/readings`` takes ``Authorization: Token <token>`` (or ``Bearer``).
Status codes: 401 missing, unknown or revoked token; 403 another sensor's token; 404 unknown
sensor; 410 sensor removed or deactivated; 400 bad batch (each bad reading listed with its index
and reason, nothing written); 409 when a reading gives a time already stored for the sensor another
value or quality flag (each such reading listed with its index and the stored value; nothing
written: a stored reading is never overwritten); 201 when readings were stored, 200 when all were
already there (an identical retry is harmless).

A batch is refused whole (400) when: the body is not JSON within the parser's limits (size
OBSERVATORY_JSON_MAX_BYTES, depth OBSERVATORY_JSON_MAX_DEPTH, no duplicate keys, no NaN); it holds no
readings or more than SENSORS_MAX_BATCH; a reading's time has no time zone, holds a NUL, or lies
before the sensor's installation day (or OBSERVATORY_EARLIEST_DATE) or after now plus
SENSORS_CLOCK_SKEW_SECONDS; a value is not a finite number in the kind's valid range; a quality flag
is unknown; or two readings of the batch give one time different values (both indices named).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import pagination, permissions, serializers, status, viewsets
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from city import dateguard, opscounters
from city.models import Zone

from . import selectors, services
from .models import Quality, Reading, Sensor, SensorKind

# --- authentication ----------------------------------------------------------------------------------


class SensorTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <token>`` or ``Bearer <token>``; request.auth is then the sensor."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("The Authorization header must be 'Token <token>'."))
        sensor = services.sensor_for_token(parts[1].decode(errors="replace"))
        if sensor is None:
            raise AuthenticationFailed(_("Unknown or revoked sensor token."))
        return (AnonymousUser(), sensor)

    def authenticate_header(self, request) -> str:
        return 'Token realm="sensors"'


class SensorTokenScheme(OpenApiAuthenticationExtension):
    target_class = SensorTokenAuthentication
    name = "sensorToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The sensor's own token: `Authorization: Token <token>` or `Bearer <token>`.",
        }


class HasSensorToken(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Sensor)


# --- serializers -----------------------------------------------------------------------------------------


class ReadingInSerializer(serializers.Serializer):
    observed_at = serializers.CharField(help_text="ISO 8601 with a time zone (SensorThings phenomenonTime).")
    value = serializers.FloatField(help_text="The result, in the kind's unit and valid range.")
    quality = serializers.ChoiceField(choices=Quality.choices, required=False, default=Quality.OK)


class BatchInSerializer(serializers.Serializer):
    """For the schema only: the view parses the body itself (see services.readings_parse)."""

    readings = ReadingInSerializer(many=True, required=False, help_text="Up to 10,000 readings.")
    components = serializers.ListField(
        child=serializers.CharField(), required=False, help_text='SensorThings: ["phenomenonTime", "result"].'
    )
    dataArray = serializers.ListField(  # the SensorThings name
        child=serializers.ListField(), required=False, help_text="SensorThings rows, in the order of components."
    )


ingest_result = inline_serializer(
    "IngestResult",
    {
        "received": serializers.IntegerField(),
        "inserted": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
    },
)
batch_errors = inline_serializer(
    "BatchErrors",
    {
        "detail": serializers.CharField(),
        "errors": inline_serializer(
            "BatchError",
            {"index": serializers.IntegerField(allow_null=True), "reason": serializers.CharField()},
            many=True,
        ),
    },
)


class ReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reading
        fields = ["observed_at", "value", "quality", "zone", "night", "slot"]


class SensorSerializer(GeoFeatureModelSerializer):
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit = serializers.CharField(source="kind.unit", read_only=True)
    observed_property = serializers.CharField(source="kind.observed_property", read_only=True)
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Sensor
        geo_field = "location"
        fields = [
            "id",
            "external_id",
            "name",
            "kind",
            "observed_property",
            "unit",
            "zone",
            "active",
            "installed_on",
            "removed_on",
            "last_seen_at",
            "silent",
            "silent_since",
        ]


# --- sensors as GeoJSON ------------------------------------------------------------------------------------


class SensorFilter(filters.FilterSet):
    kind = filters.CharFilter(field_name="kind__code")
    zone = filters.CharFilter(field_name="zone__code")

    class Meta:
        model = Sensor
        fields = ["kind", "zone", "silent", "active"]


class SensorGeoJsonPagination(GeoJsonPagination):
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000


class SensorViewSet(viewsets.ReadOnlyModelViewSet):
    """Sensors as a GeoJSON FeatureCollection, with their health (last reading, silent flag)."""

    queryset = Sensor.objects.select_related("kind", "zone").order_by("id")
    serializer_class = SensorSerializer
    pagination_class = SensorGeoJsonPagination
    filterset_class = SensorFilter
    permission_classes = [permissions.AllowAny]


# --- readings: ingest (POST) and reads (GET) ------------------------------------------------------------


class ReadingCursorPagination(pagination.CursorPagination):
    """DRF's cursor over observed_at; a cursor that is not one of ours is a 400 naming the parameter.

    DRF answers a cursor it cannot decode with a 404, and one that decodes to a position that is not
    a time (``cursor=cD1hYmM%3D`` is ``p=abc``) reaches the query and fails there (a 500).
    """

    ordering = "observed_at"
    page_size = 1000
    page_size_query_param = "page_size"
    max_page_size = 10_000

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            invalid = True
        else:
            invalid = cursor is not None and cursor.position is not None and not _is_instant(cursor.position)
        if invalid:
            raise ValidationError(
                {self.cursor_query_param: [_("Invalid cursor: follow the next or previous link of a page.")]}
            )
        return cursor


def _is_instant(position: str) -> bool:
    try:
        dateguard.check_datetime(dt.datetime.fromisoformat(position), field="cursor")
    except (ValueError, DjangoValidationError):
        return False
    return True


class ReadingRangeSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False, help_text="From this instant (inclusive).")
    end = serializers.DateTimeField(required=False, help_text="Until this instant (exclusive).")

    def validate(self, attrs):
        for name in ("start", "end"):
            if attrs.get(name):
                dateguard.check_datetime(attrs[name], field=name)
        if attrs.get("start") and attrs.get("end") and attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"end": [_("The end must come after the start.")]})
        return attrs


class SensorReadingsView(APIView):
    """GET: a sensor's readings in a time range (public, cursor-paginated). POST: ingest a batch (sensor token)."""

    pagination_class = ReadingCursorPagination

    def _posting(self) -> bool:
        # drf-spectacular sets a mock request per method, so the schema shows the same per-method auth.
        request = getattr(self, "request", None)
        return request is not None and request.method == "POST"

    def get_authenticators(self):
        return [SensorTokenAuthentication()] if self._posting() else super().get_authenticators()

    def get_permissions(self):
        return [HasSensorToken()] if self._posting() else [permissions.AllowAny()]

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:  # no Authorization header at all
            raise NotAuthenticated(_("Send the sensor's token: Authorization: Token <token>."))
        super().permission_denied(request, message=message, code=code)

    @extend_schema(
        parameters=[ReadingRangeSerializer, OpenApiParameter("cursor", OpenApiTypes.STR)],
        responses={200: ReadingSerializer(many=True), 404: OpenApiResponse(description="Unknown sensor")},
    )
    def get(self, request, sensor_id: int):
        sensor = get_object_or_404(Sensor, pk=sensor_id)
        params = ReadingRangeSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        readings = Reading.objects.filter(sensor=sensor)
        if params.validated_data.get("start"):
            readings = readings.filter(observed_at__gte=params.validated_data["start"])
        if params.validated_data.get("end"):
            readings = readings.filter(observed_at__lt=params.validated_data["end"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(readings, request, view=self)
        return paginator.get_paginated_response(ReadingSerializer(page, many=True).data)

    @extend_schema(
        request=BatchInSerializer,
        responses={
            201: ingest_result,
            200: ingest_result,
            400: batch_errors,
            409: batch_errors,
            401: OpenApiResponse(description="Missing, unknown or revoked token"),
            403: OpenApiResponse(description="The token belongs to another sensor"),
            404: OpenApiResponse(description="Unknown sensor"),
            410: OpenApiResponse(description="The sensor is removed or deactivated"),
        },
    )
    def post(self, request, sensor_id: int):
        sensor: Sensor = request.auth
        if sensor.id != sensor_id:
            if not Sensor.objects.filter(pk=sensor_id).exists():
                return Response({"detail": _("No such sensor.")}, status=status.HTTP_404_NOT_FOUND)
            return Response({"detail": _("This token belongs to another sensor.")}, status=status.HTTP_403_FORBIDDEN)
        if not sensor.accepts_readings:
            return Response(
                {"detail": _("This sensor is removed or deactivated; it accepts no readings.")},
                status=status.HTTP_410_GONE,
            )
        try:
            rows, _shape = services.readings_parse(request.data)
            result = services.readings_ingest(sensor=sensor, rows=rows)
            opscounters.count("readings_ingested", "http", result.inserted)
        except services.ReadingsConflict as conflict:
            return Response(
                {
                    "detail": _("Readings differ from readings already stored for the same times; nothing was stored."),
                    "errors": conflict.errors,
                },
                status=status.HTTP_409_CONFLICT,
            )
        except services.BatchRejected as rejected:
            return Response(
                {"detail": _("The batch was refused; nothing was stored."), "errors": rejected.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(result.as_dict(), status=status.HTTP_201_CREATED if result.inserted else status.HTTP_200_OK)


# --- per-zone, per-slot summaries ----------------------------------------------------------------------------


class SummaryQuerySerializer(serializers.Serializer):
    kind = serializers.SlugRelatedField(slug_field="code", queryset=SensorKind.objects.all(), help_text="Kind code.")
    first_night = serializers.DateField(help_text="First night of the range (a night belongs to its evening).")
    last_night = serializers.DateField(help_text="Last night of the range, inclusive.")
    zone = serializers.CharField(required=False, help_text="Zone code, to summarise one zone only.")

    def validate(self, attrs):
        for name in ("first_night", "last_night"):
            dateguard.check_date(attrs[name], field=name)
        if attrs["first_night"] > attrs["last_night"]:
            raise serializers.ValidationError({"last_night": [_("The last night must not come before the first.")]})
        if (attrs["last_night"] - attrs["first_night"]).days > 366:
            raise serializers.ValidationError({"last_night": [_("Ask for at most a year at a time.")]})
        return attrs


class ZoneSlotSummarySerializer(serializers.Serializer):
    zone = serializers.CharField(source="zone_code")
    zone_name = serializers.CharField()
    slot = serializers.CharField()
    count = serializers.IntegerField()
    median = serializers.FloatField()
    p10 = serializers.FloatField()
    p90 = serializers.FloatField()
    sensors = serializers.IntegerField()
    coverage = serializers.FloatField(allow_null=True)


class ZoneSlotSummaryView(APIView):
    """Median, p10, p90, count and coverage of one kind's readings per zone and slot over a range of nights."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[SummaryQuerySerializer], responses=ZoneSlotSummarySerializer(many=True))
    def get(self, request):
        params = SummaryQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        zone_id = None
        if data.get("zone"):
            zone = Zone.objects.filter(code=data["zone"]).first()
            if zone is None:
                return Response({"zone": [_("No such zone.")]}, status=status.HTTP_400_BAD_REQUEST)
            zone_id = zone.id
        rows = selectors.zone_slot_summaries(
            kind=data["kind"], first_night=data["first_night"], last_night=data["last_night"], zone_id=zone_id
        )
        return Response(ZoneSlotSummarySerializer(rows, many=True).data)
