"""REST API of the indicator engine: indicators (with CSV and GeoJSON export), hot spots, alerts, sensitivity.

Indicators and hot spots are public derived data (aggregates per zone, no personal data); alerts
are for the staff roles, who can acknowledge them. Filtering by django-filter, paginated lists.
"""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from city import csvexport, dateguard, nightslots
from city.roles import DASHBOARD_ROLES, has_role
from surveys import labels

from . import alerts, engine, registry
from .models import Alert, HotSpot, Indicator
from .stages.base import metric_codes

EXPORT_MAX_ROWS = 200_000
GEOJSON_MAX_FEATURES = 20_000
EXPORT_FIELDS = (
    "zone", "period_kind", "period_start", "slot", "metric", "method_version", "value", "lower", "upper", "n",
    "numerator", "raw_value", "denominator", "unit", "coverage", "grade", "computed_at",
)  # fmt: skip


class GuardedDatesForm(forms.Form):
    """The filters' form: every date a filter parsed goes through the one date-range guard.

    A date in year 1 or 9999 is then a 400 naming the parameter, as on every other channel.
    """

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, slice):  # a range filter: <name>_after and <name>_before
                bounds = ((value.start, f"{name}_after"), (value.stop, f"{name}_before"))
            else:
                bounds = ((value, name),)
            for bound, label in bounds:
                if isinstance(bound, dt.date):
                    day = bound.date() if isinstance(bound, dt.datetime) else bound
                    try:
                        dateguard.check_date(day, field=name, label=label)
                    except DjangoValidationError as error:
                        self.add_error(name, error.message_dict[name])
        return cleaned


def metric_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in metric_codes()]


class IndicatorFilter(filters.FilterSet):
    zone = filters.CharFilter(field_name="zone__code", help_text="Zone code")
    slot = filters.ChoiceFilter(choices=nightslots.slot_choices)
    period_kind = filters.ChoiceFilter(choices=Indicator.PeriodKind.choices)
    period_start = filters.DateFromToRangeFilter(help_text="period_start_after / period_start_before (inclusive)")
    metric = filters.ChoiceFilter(choices=metric_choices)
    method_version = filters.CharFilter()

    class Meta:
        model = Indicator
        fields = ["zone", "slot", "period_kind", "period_start", "metric", "method_version"]
        form = GuardedDatesForm


class IndicatorSerializer(serializers.ModelSerializer):
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source = serializers.SerializerMethodField(
        help_text="For a share feeling safe, its instrument: reporters (self-selected) or the residents' weighted "
        "survey; empty for other metrics"
    )

    class Meta:
        model = Indicator
        fields = [*EXPORT_FIELDS, "source"]

    def get_source(self, indicator) -> str:
        return labels.metric_source(indicator.metric)


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """Indicators per zone x slot x period x metric x method version (see docs/methodology.md)."""

    queryset = Indicator.objects.select_related("zone").order_by(
        "period_kind", "period_start", "slot", "metric", "zone__code"
    )
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilter
    permission_classes = [permissions.AllowAny]

    def _export_rows(self):
        queryset = self.filter_queryset(self.get_queryset())
        if queryset.count() > EXPORT_MAX_ROWS:
            raise ValidationError(
                _("More than %(limit)s rows: narrow the filters (metric, period, slot).") % {"limit": EXPORT_MAX_ROWS}
            )
        return queryset.values_list("zone__code", *EXPORT_FIELDS[1:])

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR}, filters=True)
    def export_csv(self, request):
        """The filtered indicators as CSV (same filters as the list), through the one CSV writer."""
        rows = self._export_rows()
        metric = EXPORT_FIELDS.index("metric")
        sourced = ((*row, labels.metric_source(row[metric])) for row in rows.iterator(chunk_size=5000))
        return csvexport.csv_response("indicators.csv", [*EXPORT_FIELDS, "source"], sourced)

    @extend_schema(responses={(200, "application/geo+json"): OpenApiTypes.OBJECT}, filters=True)
    def export_geojson(self, request):
        """The filtered indicators as a GeoJSON FeatureCollection, one feature per row with its zone's boundary."""
        queryset = self.filter_queryset(self.get_queryset())
        if queryset.count() > GEOJSON_MAX_FEATURES:
            raise ValidationError(
                _("More than %(limit)s features: narrow the filters (metric, period, slot).")
                % {"limit": GEOJSON_MAX_FEATURES}
            )
        ids = list(queryset.values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT z.id, ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(z.geom, 0.0002)), 6)
                FROM observatory_zone z
                WHERE z.id IN (SELECT zone_id FROM observatory_indicator WHERE id = ANY(%s))
                """,
                [ids],
            )
            geometries = {zone_id: json.loads(geometry) for zone_id, geometry in cursor.fetchall()}
        features = []
        for row in queryset.values("zone_id", "zone__code", "zone__name", *EXPORT_FIELDS[1:]):
            zone_id = row.pop("zone_id")
            properties = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
            properties["zone"] = properties.pop("zone__code")
            properties["zone_name"] = properties.pop("zone__name")
            properties["source"] = labels.metric_source(properties["metric"])
            features.append({"type": "Feature", "geometry": geometries.get(zone_id), "properties": properties})
        body = json.dumps({"type": "FeatureCollection", "features": features})
        response = HttpResponse(body, content_type="application/geo+json")
        response["Content-Disposition"] = 'attachment; filename="indicators.geojson"'
        return response


class HotSpotFilter(filters.FilterSet):
    zone = filters.CharFilter(field_name="zone__code")
    slot = filters.ChoiceFilter(choices=nightslots.slot_choices)
    period_kind = filters.ChoiceFilter(choices=Indicator.PeriodKind.choices)
    period_start = filters.DateFilter()
    cluster = filters.ChoiceFilter(choices=HotSpot.Cluster.choices)
    method_version = filters.CharFilter()

    class Meta:
        model = HotSpot
        fields = ["zone", "slot", "period_kind", "period_start", "cluster", "method_version"]
        form = GuardedDatesForm


class HotSpotSerializer(serializers.ModelSerializer):
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = HotSpot
        exclude = ["id"]


class HotSpotViewSet(viewsets.ReadOnlyModelViewSet):
    """Getis-Ord Gi* and local Moran's I of the index, with permutation p-values and BH q-values."""

    queryset = HotSpot.objects.select_related("zone").order_by("period_kind", "-period_start", "slot", "zone__code")
    serializer_class = HotSpotSerializer
    filterset_class = HotSpotFilter
    permission_classes = [permissions.AllowAny]


class IsStaffRole(permissions.BasePermission):
    def has_permission(self, request, view):
        return has_role(request.user, *DASHBOARD_ROLES)


class AlertFilter(filters.FilterSet):
    zone = filters.CharFilter(field_name="zone__code")
    slot = filters.ChoiceFilter(choices=nightslots.slot_choices)
    metric = filters.ChoiceFilter(choices=metric_choices)
    acknowledged = filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Alert
        fields = ["zone", "slot", "metric", "acknowledged"]


class AlertSerializer(serializers.ModelSerializer):
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id", "zone", "slot", "metric", "window_start", "window_end", "method_version", "baseline", "current",
            "baseline_n", "current_n", "statistic", "p_value", "q_value", "created_at", "acknowledged_by",
            "acknowledged_at",
        ]  # fmt: skip
        read_only_fields = fields


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, help_text="What follows from the alert (required).")


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Significant deteriorations of a zone against its own baseline (officers, moderators, grants staff)."""

    queryset = Alert.objects.select_related("zone", "acknowledged_by")
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    permission_classes = [IsStaffRole]

    @extend_schema(request=AcknowledgeSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            note = body.validated_data["note"]
            alert = alerts.alert_acknowledge(alert=self.get_object(), user=request.user, note=note)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return Response(AlertSerializer(alert).data)


class SensitivityView(APIView):
    """Sensitivity of the index ranking to its weights for one slot and period (OECD/JRC step 7)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("slot", str, description="slot code (default night)"),
            OpenApiParameter("period_kind", str, enum=[c for c, _l in Indicator.PeriodKind.choices]),
            OpenApiParameter("period_start", OpenApiTypes.DATE, description="default: latest rolling window"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        slot = request.query_params.get("slot", "night")
        kind = request.query_params.get("period_kind", Indicator.PeriodKind.ROLLING_28)
        if slot not in nightslots.slot_codes():
            raise ValidationError(
                {"slot": _("Unknown slot; choose from %(codes)s.") % {"codes": ", ".join(nightslots.slot_codes())}}
            )
        if kind not in Indicator.PeriodKind.values:
            raise ValidationError(
                {"period_kind": _("Unknown period kind; choose from %(codes)s.")
                 % {"codes": ", ".join(Indicator.PeriodKind.values)}}
            )  # fmt: skip
        raw_start = request.query_params.get("period_start")
        try:
            start = (
                dateguard.parse_date(raw_start, field="period_start")
                if raw_start
                else engine.anchor_night() - dt.timedelta(days=registry.ROLLING_NIGHTS - 1)
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response(engine.sensitivity_run(period_kind=kind, period_start=start, slot=slot))
