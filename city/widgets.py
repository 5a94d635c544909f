"""The admin's map widget for a point, drawn with the Leaflet copy in static/ (GeoDjango's loads OpenLayers
from a CDN). The value travels as GeoJSON in a text field that can also be typed into."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.forms.widgets import BaseGeometryWidget


class LeafletPointWidget(BaseGeometryWidget):
    """A click on the map places the point; the base tiles are the configured ones (the map works without)."""

    template_name = "city/widgets/leaflet_point.html"
    geom_type = "POINT"
    map_srid = 4326

    class Media:
        css = {"all": ("vendor/leaflet/leaflet.css",)}
        js = ("vendor/leaflet/leaflet.js", "js/point_admin.js")

    def serialize(self, value):
        return value.json if value else ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["map"] = {
            "lat": settings.OBSERVATORY_CITY_CENTRE[0],
            "lon": settings.OBSERVATORY_CITY_CENTRE[1],
            "tiles": settings.OBSERVATORY_MAP_TILES_URL,
            "attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
        }
        return context
