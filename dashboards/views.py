"""The officers' dashboards (overview, zone, alerts, hot spots, compare): thin views over the selectors."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.selectors import cases_of_alerts, follow_up_date
from city import nightslots
from city.models import Zone
from city.roles import DASHBOARD_ROLES, OFFICER, has_role, role_required
from indicators import registry
from indicators import selectors as indicator_selectors
from indicators.alerts import alert_acknowledge
from indicators.models import Alert
from interventions import selectors as intervention_selectors
from surveys import labels, representative
from surveys.models import SurveyEstimate

from . import caching, charts, exports, filters, selectors

# --- the officers' dashboards: thin views over dashboards.selectors ------------------------------------
# Every page reads its filters from the URL (a view can be bookmarked) and every table or map layer
# is exported with the same filters and the same selector: ?format=csv or ?format=geojson.


def _common(f: filters.Filters) -> dict:
    return {
        "filters": f,
        "slots": nightslots.slot_choices(),
        "slot_labels": dict(nightslots.slot_choices()),
        "periods": list(filters.PERIODS.items()),
        "metrics": list(filters.METRICS.items()),
        "metric_label": filters.METRICS[f.metric],
        "query": f.query(),
    }


def _map_context() -> dict:
    return {
        "tiles_url": settings.OBSERVATORY_MAP_TILES_URL,
        "tiles_attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
        "centre": settings.OBSERVATORY_CITY_CENTRE,
    }


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    f = filters.parse_filters(request.GET)
    rows, classes = selectors.zone_table(f)
    features = selectors.zone_features(f) if request.GET.get("format") == "geojson" else None
    exported = exports.export_response(request, rows=rows, name="zones", errors=f.errors, features=features)
    if exported:
        return exported
    trend_figure, trend_rows = _city_trend(f.last_night)
    ctx = {
        **_common(f),
        **_map_context(),
        "kpis": selectors.kpis(f),
        "zones": sorted(rows, key=lambda r: (r["value"] is None, r["value"] or 0)),
        "legend": selectors.legend(f.metric, classes),
        "layers": [(name, name in f.layers) for name in filters.LAYERS],
        "trend_figure": trend_figure,
        "trend_rows": trend_rows,
    }
    # Rendered once per data version, filters and live counts, then served from the cache: the long
    # tables on their own key (data and filters), the whole page on one that also holds the counts.
    page = (*selectors.filter_key(f), f.query(), tuple(f.errors))
    ctx["fragment_key"] = caching.fragment_key("overview", page)
    ctx["page_key"] = caching.fragment_key("overview-page", (*page, sorted(ctx["kpis"].items())))
    return render(request, "dashboards/dashboard.html", ctx)


def _city_trend(last_night: dt.date) -> tuple[dict, list[tuple]]:
    """The city-wide weekly trend (figure and table rows), the same for every filter: cached under the data version."""

    def build() -> tuple[dict, list[tuple]]:
        first_night = last_night - dt.timedelta(weeks=selectors.TREND_WEEKS)
        trend = indicator_selectors.city_weekly_trend(first_night=first_night, last_night=last_night)
        rows = [(w, s, n, round(100 * k / n, 1) if n else None) for w, s, n, k in trend]
        markers = intervention_selectors.timeline_markers(zone_ids=None, first=first_night, last=last_night)
        return charts.city_trend(trend, markers), rows

    return caching.cached_by_data("city-trend", (last_night.isoformat(),), build)


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_zones_geojson(request: HttpRequest) -> HttpResponse:
    """Zones as a GeoJSON FeatureCollection: value, colour class and uncertainty of the chosen metric."""
    f = filters.parse_filters(request.GET)
    if request.GET.get("format") == "csv":
        return exports.export_response(request, rows=selectors.zone_table(f)[0], name="zones", errors=f.errors)
    if f.errors:
        return JsonResponse({"detail": f.errors}, status=400)
    try:
        zoom = _zoom(request)
    except ValueError:
        return HttpResponseBadRequest(_("The zoom must be a whole number."))
    return JsonResponse(selectors.zone_features(f, zoom=zoom))


def _zoom(request: HttpRequest, default: int | None = None) -> int | None:
    """The map's zoom from ?zoom= (``default`` without one); ValueError unless a short whole number."""
    value = request.GET.get("zoom")
    if value is None:
        return default
    if len(value) > 3:
        raise ValueError(value)
    return int(value)


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_layer(request: HttpRequest, layer: str) -> HttpResponse:
    """One switchable map layer as GeoJSON (or CSV): hot spots, project sites, sensors, report clusters."""
    f = filters.parse_filters(request.GET)
    if layer not in filters.LAYERS:
        raise Http404
    if f.errors:
        if request.GET.get("format"):
            return exports.export_response(request, rows=[], name=layer, errors=f.errors)
        return JsonResponse({"detail": f.errors}, status=400)
    if layer == "hotspots":
        features = selectors.hotspot_features(f)
    elif layer == "projects":
        features = selectors.project_features()
    elif layer == "sensors":
        features = selectors.sensor_features()
    elif layer == "reports":
        try:
            zoom = _zoom(request, default=12)
        except ValueError:
            return HttpResponseBadRequest(_("The zoom must be a whole number."))
        features = selectors.report_cluster_features(f, zoom=zoom)
    if request.GET.get("format"):
        rows = [feat["properties"] for feat in features["features"]]
        return exports.export_response(request, rows=rows, name=layer, features=features)
    return JsonResponse(features)


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_zone(request: HttpRequest, code: str) -> HttpResponse:
    zone = get_object_or_404(Zone.objects.defer("geom").with_codes([code]))
    f = filters.parse_filters(request.GET)
    table = request.GET.get("table", "series")
    if request.GET.get("format") and f.errors:
        return exports.export_response(request, rows=[], name="zone", errors=f.errors)
    if request.GET.get("format"):
        tables = {
            "series": selectors.zone_series(zone, last_night=f.last_night),
            "slots": selectors.zone_slot_comparison(zone, f),
            "categories": selectors.category_breakdown(zone, f),
            "reports": selectors.recent_reports(zone),
            "sensors": selectors.sensor_rows(zone_id=zone.pk),
            "alerts": selectors.alert_rows(status="all", zone_id=zone.pk),
        }
        if table not in tables:
            raise Http404
        return exports.export_response(request, rows=tables[table], name=f"zone-{zone.code}-{table}")
    parts = (zone.pk, *selectors.filter_key(f), f.query(), tuple(f.errors))
    derived = caching.cached_by_data("zone-page", parts, lambda: _zone_derived(zone, f))
    live = caching.cached_by_data(
        "zone-live",
        parts,
        lambda: {
            "sensors": selectors.sensor_rows(zone_id=zone.pk),
            "projects": selectors.project_rows(zone_id=zone.pk),
            "alerts": selectors.alert_rows(status="all", zone_id=zone.pk),
            "hotspot": next(iter(selectors.hotspot_rows(f, zone_id=zone.pk)), None),
        },
        timeout=caching.LIVE_CACHE_SECONDS,
    )
    can_open_case = has_role(request.user, OFFICER)
    ctx = {
        **_common(f),
        **derived,
        **live,
        "zone": zone,
        "can_open_case": can_open_case,
        "fragment_key": caching.fragment_key("zone", parts),
        # Whether the user may open a case is part of the key: the cached page holds the link or not.
        "page_key": caching.fragment_key(
            "zone-page", (*parts, repr(live), zone.code, zone.name, zone.population, can_open_case)
        ),
    }
    return render(request, "dashboards/dashboard_zone.html", ctx)


def _zone_derived(zone: Zone, f: filters.Filters) -> dict:
    """The zone page's derived parts (series, figures, slot comparison, categories, recent reports)."""
    series = selectors.zone_series(zone, last_night=f.last_night, metric=f.metric)
    comparison = selectors.zone_slot_comparison(zone, f)
    markers = intervention_selectors.timeline_markers(
        zone_ids=[zone.pk], first=f.last_night - dt.timedelta(weeks=selectors.TREND_WEEKS), last=f.last_night
    )
    survey = representative.zone_share(zone.pk)
    return {
        "survey_share": survey,
        "survey_method": SurveyEstimate.Method(survey.method).label if survey else "",
        "reporters_source": str(labels.REPORTERS),
        "filter_slot_label": dict(nightslots.slot_choices()).get(f.slot, f.slot),
        "reporters_share": selectors.zone_values(f, metric=registry.SHARE_FEELING_SAFE).get(zone.pk),
        "profile": representative.zone_profile(zone.pk),
        "series_rows": series,
        "interventions": markers,
        "trend_figure": charts.zone_trend(series, metric=f.metric, markers=markers),
        "slots_figure": charts.zone_slots(comparison, metric=f.metric),
        "comparison": comparison,
        "categories": selectors.category_breakdown(zone, f),
        "recent": selectors.recent_reports(zone),
    }


def _alert_status(request: HttpRequest) -> str:
    status = request.GET.get("status", "open")
    return status if status in ("open", "acknowledged", "all") else "open"


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_alerts(request: HttpRequest) -> HttpResponse:
    status = _alert_status(request)
    rows = selectors.alert_rows(status=status)
    if request.GET.get("format"):
        geometries = selectors.zone_geometries() if request.GET.get("format") == "geojson" else {}
        by_code = {z["code"]: z["geometry"] for z in geometries.values()}
        features = {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": by_code.get(r["zone_code"]), "properties": r} for r in rows],
        }
        return exports.export_response(request, rows=rows, name="alerts", features=features)
    return _alerts_page(request, status, rows=rows)


def _alerts_page(request: HttpRequest, status: str, *, rows=None, http_status: int = 200) -> HttpResponse:
    rows = selectors.alert_rows(status=status) if rows is None else rows
    # What each alert led to (cases): the case, its owner and the follow-up date; officers may open one.
    cases = cases_of_alerts([row["id"] for row in rows])
    for row in rows:
        case = cases.get(row["id"])
        row["case"] = case
        row["case_owner"] = case.owner.get_username() if case is not None and case.owner else ""
        row["follow_up"] = follow_up_date(case) if case is not None else None
    ctx = {
        "alerts": rows,
        "can_open_case": has_role(request.user, OFFICER),
        "status": status,
        "statuses": [("open", _("Open")), ("acknowledged", _("Acknowledged")), ("all", _("All"))],
        "slot_labels": dict(nightslots.slot_choices()),
        "metric_labels": filters.METRICS,
    }
    return render(request, "dashboards/dashboard_alerts.html", ctx, status=http_status)


@role_required(*DASHBOARD_ROLES)
@require_POST
def dashboard_alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    status = _alert_status(request)
    try:
        alert_acknowledge(alert=alert, user=request.user, note=request.POST.get("note", ""))
    except ValidationError as error:
        for field_messages in error.message_dict.values():
            for message in field_messages:
                messages.error(request, message)
        return _alerts_page(request, status, http_status=400)  # refused: the list again, saying why
    messages.success(request, _("Alert acknowledged."))
    return redirect(reverse("dashboard-alerts") + f"?status={status}")


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_hotspots(request: HttpRequest) -> HttpResponse:
    f = filters.parse_filters(request.GET)
    rows = selectors.hotspot_rows(f)
    if request.GET.get("format"):
        features = selectors.hotspot_features(f) if request.GET.get("format") == "geojson" else None
        return exports.export_response(request, rows=rows, name="hotspots", features=features, errors=f.errors)
    ctx = {**_common(f), "hotspots": rows, "can_open_case": has_role(request.user, OFFICER)}
    return render(request, "dashboards/dashboard_hotspots.html", ctx)


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_compare(request: HttpRequest) -> HttpResponse:
    f = filters.parse_filters(request.GET)
    codes = filters.parse_zone_codes(request.GET, f.errors)
    found = {z.code: z for z in Zone.objects.defer("geom").with_codes(codes)}
    zones = [found[c] for c in codes if c in found]
    missing = [c for c in codes if c not in found]
    rows = selectors.compare_rows(zones, f) if zones else []
    if request.GET.get("format"):
        return exports.export_response(request, rows=rows, name="compare", errors=f.errors)
    table = {}
    for r in rows:
        table.setdefault(r["metric"], {"label": filters.METRICS[r["metric"]], "cells": []})["cells"].append(r)
    ctx = {
        **_common(f),
        "zones": zones,
        "zone_codes": ",".join(z.code for z in zones),
        "compare_hidden": [("zones", ",".join(z.code for z in zones))],
        "missing": missing,
        "all_zones": Zone.objects.order_by("code").values_list("code", "name")[:500],
        "figure": charts.compare(rows, metric=f.metric) if zones else None,
        "table": list(table.values()),
    }
    return render(request, "dashboards/dashboard_compare.html", ctx)
