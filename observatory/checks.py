"""The observatory's own `check --deploy` warnings: what a production deployment must not keep from development."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Tile servers whose usage policy forbids an application's production traffic.
COMMUNITY_TILE_HOSTS = ("tile.openstreetmap.org",)


@register(Tags.security, deploy=True)
def tiles_fit_for_production(app_configs, **kwargs):
    host = urlsplit(settings.OBSERVATORY_MAP_TILES_URL.replace("{s}", "a")).hostname or ""
    if any(host == name or host.endswith("." + name) for name in COMMUNITY_TILE_HOSTS):
        return [
            Warning(
                f"OBSERVATORY_MAP_TILES_URL points at {host}, whose tile usage policy does not allow "
                "production traffic.",
                hint="Use the city's own tile server or a contracted provider (docs/deployment.md, "
                "'The base map's tiles').",
                id="observatory.W001",
            )
        ]
    return []
