"""API routes of the indicator engine, included under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import AlertViewSet, HotSpotViewSet, IndicatorViewSet, SensitivityView

router = SimpleRouter()
router.register("indicators", IndicatorViewSet, basename="api-indicators")
router.register("hotspots", HotSpotViewSet, basename="api-hotspots")
router.register("alerts", AlertViewSet, basename="api-alerts")
urlpatterns = [
    # Exports take the list's filters; at the same level as the list, named by their format.
    path("indicators.csv", IndicatorViewSet.as_view({"get": "export_csv"}), name="api-indicators-csv"),
    path("indicators.geojson", IndicatorViewSet.as_view({"get": "export_geojson"}), name="api-indicators-geojson"),
    path("indicators/sensitivity/", SensitivityView.as_view(), name="api-indicators-sensitivity"),
    *router.urls,
]
