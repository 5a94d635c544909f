"""The one rule for web-map zoom levels, read by the officers' maps and the public map.

Zooms outside the bounds are treated as the nearest bound: below MIN_ZOOM the whole metropolitan area is
one screen anyway, above MAX_ZOOM nothing gets finer than a street (and never finer than the privacy grid).
"""

MIN_ZOOM, MAX_ZOOM = 8, 18
# Web-Mercator metres per screen pixel at zoom 0 (256-pixel tiles at the equator).
METRES_PER_PIXEL_AT_ZOOM_0 = 156543.03392


def clamp_zoom(zoom: int) -> int:
    """``zoom`` within the bounds every map shares."""
    return max(MIN_ZOOM, min(MAX_ZOOM, zoom))


def metres_per_pixel(zoom: int) -> float:
    """Web-Mercator metres one screen pixel covers at ``zoom`` (clamped)."""
    return METRES_PER_PIXEL_AT_ZOOM_0 / 2 ** clamp_zoom(zoom)
