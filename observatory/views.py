"""Core pages: home, health, and the officers' dashboard (map of zones and the trend chart)."""

from __future__ import annotations

import datetime as dt
import json

import plotly.graph_objects as go
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, indicators, nightslots
from .roles import DASHBOARD_ROLES, role_required

ROLLING_NIGHTS = 28
MAP_GEOMETRY_TOLERANCE = 0.0002  # degrees, about 20 m: plenty for a city-wide choropleth


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "observatory/home.html", {})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, components = health.run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "down", "components": components}, status=200 if healthy else 503
    )


def _dashboard_filters(request: HttpRequest) -> tuple[str, dt.date, dt.date]:
    """Slot and night range from the URL (so a view can be bookmarked); safe defaults otherwise."""
    slot = request.GET.get("slot", "night")
    if slot not in nightslots.slot_codes():
        slot = "night"
    last_night = nightslots.night_of(timezone.now())
    return slot, last_night - dt.timedelta(days=ROLLING_NIGHTS - 1), last_night


@role_required(*DASHBOARD_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    slot, first_night, last_night = _dashboard_filters(request)
    trend_first = last_night - dt.timedelta(days=26 * 7)
    rows = indicators.city_weekly_trend(first_night=trend_first, last_night=last_night)
    figure = go.Figure()
    for code, label in nightslots.slot_choices():
        weeks = [(week, n, k) for week, s, n, k in rows if s == code]
        if not weeks:
            continue
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
    figure.update_layout(
        yaxis={"title": _("Percent feeling safe (very or fairly)"), "range": [0, 100]},
        xaxis={"title": _("Week"), "type": "date", "tickformat": "%d %b %Y"},
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        height=340,
        legend={"orientation": "h"},
    )
    ctx = {
        "slot": slot,
        "slots": nightslots.slot_choices(),
        "first_night": first_night,
        "last_night": last_night,
        "trend_figure": json.loads(figure.to_json()),
        "trend_rows": [(w, s, n, round(100 * k / n, 1) if n else None) for w, s, n, k in rows],
        "tiles_url": settings.OBSERVATORY_MAP_TILES_URL,
        "tiles_attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
        "centre": settings.OBSERVATORY_CITY_CENTRE,
    }
    return render(request, "observatory/dashboard.html", ctx)


def _zone_geometries() -> dict[int, dict]:
    """Simplified zone geometries as GeoJSON dicts, cached until zones change."""
    key = "zone-geometries:" + _zones_version()
    cached = cache.get(key)
    if cached is not None:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, code, name, population,
                   ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(geom, %s)), 6)
            FROM observatory_zone ORDER BY id
            """,
            [MAP_GEOMETRY_TOLERANCE],
        )
        geometries = {
            zone_id: {"code": code, "name": name, "population": population, "geometry": json.loads(geojson)}
            for zone_id, code, name, population, geojson in cursor.fetchall()
        }
    cache.set(key, geometries, timeout=24 * 3600)
    return geometries


def _zones_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(id), 0), coalesce(extract(epoch FROM max(updated_at)), 0)"
            " FROM observatory_zone"
        )
        count, id_sum, updated = cursor.fetchone()
    return f"{count}-{id_sum}-{updated}"


@role_required(*DASHBOARD_ROLES)
def dashboard_zones_geojson(request: HttpRequest) -> JsonResponse:
    """Zones as a GeoJSON FeatureCollection with the share feeling safe for the chosen slot."""
    slot, first_night, last_night = _dashboard_filters(request)
    shares = indicators.zone_shares(slot=slot, first_night=first_night, last_night=last_night)
    features = []
    for zone_id, zone in _zone_geometries().items():
        share = shares.get(zone_id)
        low, high = share.interval if share else (None, None)
        features.append(
            {
                "type": "Feature",
                "id": zone["code"],
                "geometry": zone["geometry"],
                "properties": {
                    "code": zone["code"],
                    "name": zone["name"],
                    "population": zone["population"],
                    "n": share.n if share else 0,
                    "share_feeling_safe": round(share.share, 4) if share else None,
                    "lower": round(low, 4) if low is not None else None,
                    "upper": round(high, 4) if high is not None else None,
                },
            }
        )
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "properties": {"slot": slot, "first_night": first_night, "last_night": last_night},
        }
    )
