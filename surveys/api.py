"""REST API of the surveys: the campaigns, and their stored estimates as JSON, CSV and GeoJSON.

Estimates are public aggregates per zone (no answer of anyone is ever served). A suppressed estimate (too few
answers, or too small an effective n) keeps its row, with ``suppressed`` true and no value or interval.
"""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiTypes, extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError

from city import csvexport, dateguard, nightslots

from . import labels
from .models import Campaign, NeverOutReading, SurveyEstimate

EXPORT_MAX_ROWS = 200_000
GEOJSON_MAX_FEATURES = 20_000
ESTIMATE_FIELDS = (
    "campaign", "zone", "zone_name", "period_kind", "period_start", "slot", "reading", "method", "method_version",
    "value", "lower", "upper", "standard_error", "n", "effective_n", "suppressed", "self_selected", "computed_at",
    "source",
)  # fmt: skip
HIDDEN_WHEN_SUPPRESSED = ("value", "lower", "upper", "standard_error")


class CampaignSerializer(serializers.ModelSerializer):
    instrument = serializers.CharField(source="instrument_version.instrument.code", read_only=True)
    instrument_version = serializers.IntegerField(source="instrument_version.number", read_only=True)
    self_selected = serializers.BooleanField(read_only=True)
    responses = serializers.IntegerField(source="response_count", read_only=True)
    estimates_url = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField(help_text="How its estimates are labelled: the instrument in words")

    class Meta:
        model = Campaign
        fields = [
            "code", "title_it", "title_en", "mode", "self_selected", "instrument", "instrument_version", "opens_at",
            "closes_at", "responses", "estimates_url", "source",
        ]  # fmt: skip

    def get_source(self, campaign: Campaign) -> str:
        return labels.campaign_source(campaign)

    @extend_schema_field(OpenApiTypes.URI)
    def get_estimates_url(self, campaign: Campaign) -> str:
        from django.urls import reverse

        path = reverse("api-survey-estimates", args=[campaign.code])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """Survey campaigns: open link (self-selected), probability sample, or imported answers."""

    queryset = (
        Campaign.objects.select_related("instrument_version__instrument")
        .annotate(response_count=Count("responses"))
        .order_by("-opens_at", "code")
    )
    serializer_class = CampaignSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "code"
    filter_backends: list = []


class GuardedDatesForm(forms.Form):
    """Every date a filter reads goes through the one date-range guard (a year 9999 is a 400, not an empty list)."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, dt.date):
                try:
                    dateguard.check_date(value, field=name)
                except DjangoValidationError as error:
                    self.add_error(name, error.message_dict[name])
        return cleaned


class EstimateFilter(filters.FilterSet):
    zone = filters.CharFilter(field_name="zone__code", help_text="Zone code")
    level = filters.ChoiceFilter(
        choices=[("city", "city"), ("zone", "zone")], method="filter_level", help_text="city: the whole city's rows"
    )
    slot = filters.ChoiceFilter(choices=nightslots.slot_choices, help_text="Time slot; empty rows are the whole night")
    period_kind = filters.ChoiceFilter(choices=SurveyEstimate.PeriodKind.choices)
    period_start = filters.DateFilter()
    method = filters.ChoiceFilter(choices=SurveyEstimate.Method.choices)
    reading = filters.ChoiceFilter(choices=NeverOutReading.choices)
    method_version = filters.CharFilter(help_text="Default: the campaign's latest")

    class Meta:
        model = SurveyEstimate
        fields = ["zone", "level", "slot", "period_kind", "period_start", "method", "reading", "method_version"]
        form = GuardedDatesForm

    def filter_level(self, queryset, name, value):
        return queryset.filter(zone__isnull=value == "city")


class EstimateSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="code", read_only=True)
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    zone_name = serializers.CharField(source="zone.name", read_only=True, allow_null=True, default=None)
    # Text, not an enum, in the schema: the indicators' period_kind enum has other values under the same name.
    period_kind = serializers.CharField(read_only=True, help_text="campaign, month, quarter or year")
    source = serializers.SerializerMethodField(
        help_text="The instrument in words: a weighted residents' survey with its campaign and dates, or an open "
        "link (self-selected)"
    )

    class Meta:
        model = SurveyEstimate
        fields = list(ESTIMATE_FIELDS)

    def get_source(self, instance) -> str:
        return labels.campaign_source(instance.campaign)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.suppressed:
            data.update(dict.fromkeys(HIDDEN_WHEN_SUPPRESSED))
        return data


class EstimateList(generics.ListAPIView):
    """Stored estimates of a campaign's share feeling safe after dark (very or fairly safe), per zone (``zone``
    empty: the whole city), period and slot: ``value`` with its 95% interval (``lower``, ``upper``), ``n`` and
    ``effective_n``, by ``method`` (``direct`` unweighted, ``weighted`` design-based, ``small_area``
    Fay-Herriot EBLUP), for both ``reading``s of "never goes out alone after dark" (docs/methodology.md)."""

    serializer_class = EstimateSerializer
    filterset_class = EstimateFilter
    permission_classes = [permissions.AllowAny]

    def campaign(self) -> Campaign:
        if not hasattr(self, "_campaign"):
            self._campaign = get_object_or_404(Campaign, code=self.kwargs["campaign"])
        return self._campaign

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the filters for the schema
            return SurveyEstimate.objects.none()
        queryset = SurveyEstimate.objects.filter(campaign=self.campaign()).select_related("campaign", "zone")
        if not self.request.query_params.get("method_version"):
            latest = queryset.order_by("-computed_at").values_list("method_version", flat=True).first()
            queryset = queryset.filter(method_version=latest) if latest else queryset
        return queryset.order_by("period_kind", "period_start", "slot", "reading", "method", "zone__code")

    def filtered(self, limit: int, what: str):
        queryset = self.filter_queryset(self.get_queryset())
        if queryset.count() > limit:
            raise ValidationError(
                _("More than %(limit)s %(what)s: narrow the filters (zone, period, method).")
                % {"limit": limit, "what": what}
            )
        return queryset


class EstimateCsv(EstimateList):
    """The same estimates, with the same filters, as CSV (through the observatory's one CSV writer)."""

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR}, filters=True)
    def get(self, request, *args, **kwargs):
        queryset = self.filtered(EXPORT_MAX_ROWS, _("rows"))
        rows = (_row(estimate) for estimate in queryset.iterator(chunk_size=5000))
        return csvexport.csv_response(f"{self.campaign().code}-estimates.csv", ESTIMATE_FIELDS, rows)


class EstimateGeoJson(EstimateList):
    """The same estimates as a GeoJSON FeatureCollection, one feature per row with its zone's boundary (none
    for the city's rows)."""

    @extend_schema(responses={(200, "application/geo+json"): OpenApiTypes.OBJECT}, filters=True)
    def get(self, request, *args, **kwargs):
        estimates = list(self.filtered(GEOJSON_MAX_FEATURES, _("features")))
        zone_ids = sorted({e.zone_id for e in estimates if e.zone_id})
        geometries = {}
        if zone_ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(geom, 0.0002)), 6) "
                    "FROM observatory_zone WHERE id = ANY(%s)",
                    [zone_ids],
                )
                geometries = {zone_id: json.loads(geometry) for zone_id, geometry in cursor.fetchall()}
        features = [
            {
                "type": "Feature",
                "geometry": geometries.get(estimate.zone_id),
                "properties": dict(zip(ESTIMATE_FIELDS, (_json(v) for v in _row(estimate)), strict=True)),
            }
            for estimate in estimates
        ]
        response = HttpResponse(
            json.dumps({"type": "FeatureCollection", "features": features}), content_type="application/geo+json"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.campaign().code}-estimates.geojson"'
        return response


def _row(estimate: SurveyEstimate) -> list:
    row = {
        "campaign": estimate.campaign.code,
        "zone": estimate.zone.code if estimate.zone else None,
        "zone_name": estimate.zone.name if estimate.zone else None,
        **{name: getattr(estimate, name) for name in ESTIMATE_FIELDS[3:-1]},
        "source": labels.campaign_source(estimate.campaign),
    }
    if estimate.suppressed:
        row.update(dict.fromkeys(HIDDEN_WHEN_SUPPRESSED))
    return [row[name] for name in ESTIMATE_FIELDS]


def _json(value):
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
