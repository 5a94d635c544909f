"""Core pages: home, health, and the officers' dashboards (overview, zone, alerts, hot spots, compare)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import csvexport, dashboards, health, indicators, nightslots
from .alerts import alert_acknowledge
from .models import Alert, Zone
from .roles import DASHBOARD_ROLES, OFFICER, has_role, role_required


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "observatory/home.html", {})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Up or down per component for monitoring, 503 when one is down; staff (officers) also get the details:
    each component's timing or error, which names internal hosts and ports."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse(
            {"detail": _("%(method)s is not allowed here: use GET.") % {"method": request.method[:16]}}, status=405
        )
        response["Allow"] = "GET, HEAD"
        return response
    healthy, components = health.run_checks()
    body = health.public_summary(healthy, components)
    if _is_officer(request):
        body["details"] = components
    return JsonResponse(body, status=200 if healthy else 503)


def _is_officer(request: HttpRequest) -> bool:
    # Reading the user needs the database, which may be the component that is down: then nobody is staff here.
    try:
        return has_role(request.user, OFFICER)
    except Exception:
        return False


# --- the officers' dashboards: thin views over observatory.dashboards --------------------------------
# Every page reads its filters from the URL (a view can be bookmarked) and every table or map layer
# is exported with the same filters and the same selector: ?format=csv or ?format=geojson.


def _export(
    request: HttpRequest, *, rows: list[dict], name: str, features: dict | None = None, errors: Sequence[str] = ()
):
    """CSV or GeoJSON of a table when ?format= asks for it; None otherwise (render the page).

    An export never falls back silently: filters a page would correct with a notice (``errors``) make
    the export a 400 that lists them. Every CSV goes through observatory.csvexport (BOM, formula guard).
    """
    fmt = request.GET.get("format", "")
    if fmt and errors:
        return HttpResponseBadRequest("\n".join(errors), content_type="text/plain; charset=utf-8")
    if fmt == "csv":
        columns = dashboards.csv_columns(rows)
        return csvexport.csv_response(f"{name}.csv", columns, csvexport.dict_rows(rows, columns))
    if fmt == "geojson" and features is not None:
        response = JsonResponse(features)
        response["Content-Type"] = "application/geo+json"
        response["Content-Disposition"] = f'attachment; filename="{name}.geojson"'
        return response
    if fmt:
        return HttpResponseBadRequest(_("Unknown export format: use csv or geojson."))
    return None


def _figure_json(figure: go.Figure) -> dict:
    """The figure as plain data for json_script (to_plotly_json: no second validation pass, unlike to_json)."""
    return figure.to_plotly_json()


def _common(f: dashboards.Filters) -> dict:
    return {
        "filters": f,
        "slots": nightslots.slot_choices(),
        "slot_labels": dict(nightslots.slot_choices()),
        "periods": list(dashboards.PERIODS.items()),
        "metrics": list(dashboards.METRICS.items()),
        "metric_label": dashboards.METRICS[f.metric],
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
    f = dashboards.parse_filters(request.GET)
    rows, classes = dashboards.zone_table(f)
    exported = _export(request, rows=rows, name="zones", errors=f.errors, features=dashboards.zone_features(f)
                       if request.GET.get("format") == "geojson" else None)  # fmt: skip
    if exported:
        return exported
    trend_figure, trend_rows = _city_trend(f.last_night)
    ctx = {
        **_common(f),
        **_map_context(),
        "kpis": dashboards.kpis(f),
        "zones": sorted(rows, key=lambda r: (r["value"] is None, r["value"] or 0)),
        "legend": dashboards.legend(f.metric, classes),
        "layers": [(name, name in f.layers) for name in dashboards.LAYERS],
        "trend_figure": trend_figure,
        "trend_rows": trend_rows,
    }
    # Rendered once per data version, filters and live counts, then served from the cache: the long
    # tables on their own key (data and filters), the whole page on one that also holds the counts.
    page = (*dashboards.filter_key(f), f.query(), tuple(f.errors))
    ctx["fragment_key"] = dashboards.fragment_key("overview", page)
    ctx["page_key"] = dashboards.fragment_key("overview-page", (*page, sorted(ctx["kpis"].items())))
    return render(request, "observatory/dashboard.html", ctx)


CITY_TREND_CACHE_SECONDS = 60  # derived data; the nightly and stale recomputes refresh it at most this late


def _city_trend(last_night: dt.date) -> tuple[dict, list[tuple]]:
    """The city-wide weekly trend (figure and table rows), the same for every filter: cached briefly."""
    key = f"dashboard-city-trend:{last_night.isoformat()}:{get_language()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    trend = indicators.city_weekly_trend(first_night=last_night - dt.timedelta(days=26 * 7), last_night=last_night)
    figure = go.Figure()
    for code, label in nightslots.slot_choices():
        weeks = [(week, n, k) for week, s, n, k in trend if s == code]
        if weeks:
            figure.add_trace(
                go.Scatter(
                    x=[w.isoformat() for w, _n, _k in weeks],
                    y=[round(100 * k / n, 1) for _w, n, k in weeks],
                    customdata=[n for _w, n, _k in weeks],
                    name=str(label),
                    mode="lines+markers",
                    hovertemplate="%{x}: %{y}% (n=%{customdata})<extra>" + str(label) + "</extra>",
                )
            )
    figure.add_hline(y=100 * dashboards.ISTAT_FEELING_SAFE, line_dash="dot", annotation_text="ISTAT 2022-23")
    figure.update_layout(
        yaxis={"title": _("Percent feeling safe (very or fairly)"), "range": [0, 100]},
        xaxis={"title": _("Week"), "type": "date", "tickformat": "%d %b %Y"},
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        height=340,
        legend={"orientation": "h"},
    )
    result = (_figure_json(figure), [(w, s, n, round(100 * k / n, 1) if n else None) for w, s, n, k in trend])
    cache.set(key, result, timeout=CITY_TREND_CACHE_SECONDS)
    return result


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_zones_geojson(request: HttpRequest) -> HttpResponse:
    """Zones as a GeoJSON FeatureCollection: value, colour class and uncertainty of the chosen metric."""
    f = dashboards.parse_filters(request.GET)
    if request.GET.get("format") == "csv":
        return _export(request, rows=dashboards.zone_table(f)[0], name="zones", errors=f.errors)
    if f.errors:
        return JsonResponse({"detail": f.errors}, status=400)
    try:
        zoom = _zoom(request)
    except ValueError:
        return HttpResponseBadRequest(_("The zoom must be a whole number."))
    return JsonResponse(dashboards.zone_features(f, zoom=zoom))


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
    f = dashboards.parse_filters(request.GET)
    if layer not in dashboards.LAYERS:
        raise Http404
    if f.errors:
        if request.GET.get("format"):
            return _export(request, rows=[], name=layer, errors=f.errors)
        return JsonResponse({"detail": f.errors}, status=400)
    if layer == "hotspots":
        features = dashboards.hotspot_features(f)
    elif layer == "projects":
        features = dashboards.project_features()
    elif layer == "sensors":
        features = dashboards.sensor_features()
    elif layer == "reports":
        try:
            zoom = _zoom(request, default=12)
        except ValueError:
            return HttpResponseBadRequest(_("The zoom must be a whole number."))
        features = dashboards.report_cluster_features(f, zoom=zoom)
    if request.GET.get("format"):
        rows = [feat["properties"] for feat in features["features"]]
        return _export(request, rows=rows, name=layer, features=features)
    return JsonResponse(features)


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_zone(request: HttpRequest, code: str) -> HttpResponse:
    zone = get_object_or_404(Zone.objects.defer("geom").with_codes([code]))
    f = dashboards.parse_filters(request.GET)
    table = request.GET.get("table", "series")
    if request.GET.get("format") and f.errors:
        return _export(request, rows=[], name="zone", errors=f.errors)
    if request.GET.get("format"):
        tables = {
            "series": dashboards.zone_series(zone, last_night=f.last_night),
            "slots": dashboards.zone_slot_comparison(zone, f),
            "categories": dashboards.category_breakdown(zone, f),
            "reports": dashboards.recent_reports(zone),
            "sensors": dashboards.sensor_rows(zone_id=zone.pk),
            "alerts": dashboards.alert_rows(status="all", zone_id=zone.pk),
        }
        if table not in tables:
            raise Http404
        return _export(request, rows=tables[table], name=f"zone-{zone.code}-{table}")
    parts = (zone.pk, *dashboards.filter_key(f), f.query(), tuple(f.errors))
    derived = dashboards.cached_by_data("zone-page", parts, lambda: _zone_derived(zone, f))
    live = dashboards.cached_by_data(
        "zone-live",
        parts,
        lambda: {
            "sensors": dashboards.sensor_rows(zone_id=zone.pk),
            "projects": dashboards.project_rows(zone_id=zone.pk),
            "alerts": dashboards.alert_rows(status="all", zone_id=zone.pk),
            "hotspot": next(iter(dashboards.hotspot_rows(f, zone_id=zone.pk)), None),
        },
        timeout=dashboards.LIVE_CACHE_SECONDS,
    )
    ctx = {
        **_common(f),
        **derived,
        **live,
        "zone": zone,
        "fragment_key": dashboards.fragment_key("zone", parts),
        "page_key": dashboards.fragment_key("zone-page", (*parts, repr(live), zone.code, zone.name, zone.population)),
    }
    return render(request, "observatory/dashboard_zone.html", ctx)


def _zone_derived(zone: Zone, f: dashboards.Filters) -> dict:
    """The zone page's derived parts (series, figures, slot comparison, categories, recent reports)."""
    series = dashboards.zone_series(zone, last_night=f.last_night, metric=f.metric)
    slot_labels = dict(nightslots.slot_choices())
    figure = go.Figure()
    for slot, label in nightslots.slot_choices():
        points = [r for r in series if r["slot"] == slot and r["metric"] == f.metric and r["value"] is not None]
        if points:
            figure.add_trace(
                go.Scatter(
                    x=[p["week"] for p in points],
                    y=[p["value"] for p in points],
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": [(p["upper"] - p["value"]) if p["upper"] is not None else 0 for p in points],
                        "arrayminus": [(p["value"] - p["lower"]) if p["lower"] is not None else 0 for p in points],
                    },
                    customdata=[p["n"] for p in points],
                    name=str(label),
                    mode="lines+markers",
                    hovertemplate="%{x}: %{y} (n=%{customdata})<extra>" + str(label) + "</extra>",
                )
            )
    figure.update_layout(
        yaxis={"title": str(dashboards.METRICS[f.metric])},
        xaxis={"title": _("Week"), "type": "date", "tickformat": "%d %b %Y"},
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        height=320,
        legend={"orientation": "h"},
    )
    comparison = dashboards.zone_slot_comparison(zone, f)
    bars = [r for r in comparison if r["metric"] == f.metric]
    slots_figure = go.Figure(
        go.Bar(
            x=[str(slot_labels.get(r["slot"], r["slot"])) for r in bars],
            y=[r["value"] for r in bars],
            customdata=[r["n"] for r in bars],
            hovertemplate="%{x}: %{y} (n=%{customdata})<extra></extra>",
            marker_color=["#fdae61" if r["slot"] == "day" else "#2c7bb6" for r in bars],
        )
    )
    slots_figure.update_layout(
        yaxis={"title": str(dashboards.METRICS[f.metric])}, margin={"l": 50, "r": 10, "t": 10, "b": 40}, height=260
    )
    return {
        "series_rows": series,
        "trend_figure": _figure_json(figure),
        "slots_figure": _figure_json(slots_figure),
        "comparison": comparison,
        "categories": dashboards.category_breakdown(zone, f),
        "recent": dashboards.recent_reports(zone),
    }


def _alert_status(request: HttpRequest) -> str:
    status = request.GET.get("status", "open")
    return status if status in ("open", "acknowledged", "all") else "open"


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_alerts(request: HttpRequest) -> HttpResponse:
    status = _alert_status(request)
    rows = dashboards.alert_rows(status=status)
    if request.GET.get("format"):
        geometries = dashboards.zone_geometries() if request.GET.get("format") == "geojson" else {}
        by_code = {z["code"]: z["geometry"] for z in geometries.values()}
        features = {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": by_code.get(r["zone_code"]), "properties": r} for r in rows],
        }
        return _export(request, rows=rows, name="alerts", features=features)
    ctx = {
        "alerts": rows,
        "status": status,
        "statuses": [("open", _("Open")), ("acknowledged", _("Acknowledged")), ("all", _("All"))],
        "slot_labels": dict(nightslots.slot_choices()),
        "metric_labels": dashboards.METRICS,
    }
    return render(request, "observatory/dashboard_alerts.html", ctx)


@role_required(*DASHBOARD_ROLES)
@require_POST
def dashboard_alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    alert_acknowledge(alert=alert, user=request.user)
    messages.success(request, _("Alert acknowledged."))
    status = _alert_status(request)
    return redirect(reverse("dashboard-alerts") + f"?status={status}")


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_hotspots(request: HttpRequest) -> HttpResponse:
    f = dashboards.parse_filters(request.GET)
    rows = dashboards.hotspot_rows(f)
    if request.GET.get("format"):
        features = dashboards.hotspot_features(f) if request.GET.get("format") == "geojson" else None
        return _export(request, rows=rows, name="hotspots", features=features, errors=f.errors)
    return render(request, "observatory/dashboard_hotspots.html", {**_common(f), "hotspots": rows})


@role_required(*DASHBOARD_ROLES)
@require_GET
def dashboard_compare(request: HttpRequest) -> HttpResponse:
    f = dashboards.parse_filters(request.GET)
    codes = dashboards.parse_zone_codes(request.GET, f.errors)
    found = {z.code: z for z in Zone.objects.defer("geom").with_codes(codes)}
    zones = [found[c] for c in codes if c in found]
    missing = [c for c in codes if c not in found]
    rows = dashboards.compare_rows(zones, f) if zones else []
    if request.GET.get("format"):
        return _export(request, rows=rows, name="compare", errors=f.errors)
    chosen = [r for r in rows if r["metric"] == f.metric]
    figure = go.Figure(
        go.Bar(
            x=[r["code"] for r in chosen],
            y=[r["value"] for r in chosen],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [(r["upper"] - r["value"]) if r["upper"] is not None and r["value"] is not None else 0
                          for r in chosen],
                "arrayminus": [(r["value"] - r["lower"]) if r["lower"] is not None and r["value"] is not None else 0
                               for r in chosen],
            },
            customdata=[r["n"] for r in chosen],
            hovertemplate="%{x}: %{y} (n=%{customdata})<extra></extra>",
            marker_color="#2c7bb6",
        )
    )  # fmt: skip
    figure.update_layout(
        yaxis={"title": str(dashboards.METRICS[f.metric])}, margin={"l": 50, "r": 10, "t": 10, "b": 40}, height=300
    )
    table = {}
    for r in rows:
        table.setdefault(r["metric"], {"label": dashboards.METRICS[r["metric"]], "cells": []})["cells"].append(r)
    ctx = {
        **_common(f),
        "zones": zones,
        "zone_codes": ",".join(z.code for z in zones),
        "compare_hidden": [("zones", ",".join(z.code for z in zones))],
        "missing": missing,
        "all_zones": Zone.objects.order_by("code").values_list("code", "name")[:500],
        "figure": _figure_json(figure) if zones else None,
        "table": list(table.values()),
    }
    return render(request, "observatory/dashboard_compare.html", ctx)
