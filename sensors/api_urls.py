"""Routes of the sensors' API, included under /api/v1/."""

from django.urls import path

from . import api

app_name = "sensors-api"

urlpatterns = [
    path("sensors/", api.SensorViewSet.as_view({"get": "list"}), name="sensor-list"),
    path("sensors/summaries", api.ZoneSlotSummaryView.as_view(), name="zone-slot-summaries"),
    path("sensors/<int:pk>/", api.SensorViewSet.as_view({"get": "retrieve"}), name="sensor-detail"),
    path("sensors/<int:sensor_id>/readings", api.SensorReadingsView.as_view(), name="sensor-readings"),
]
