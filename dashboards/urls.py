"""URL map of the officers' dashboards, included under /dashboard/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("zones.geojson", views.dashboard_zones_geojson, name="dashboard-zones-geojson"),
    path("layers/<slug:layer>.geojson", views.dashboard_layer, name="dashboard-layer"),
    path("zones/<str:code>/", views.dashboard_zone, name="dashboard-zone"),
    path("alerts/", views.dashboard_alerts, name="dashboard-alerts"),
    path("alerts/<int:alert_id>/acknowledge/", views.dashboard_alert_acknowledge, name="dashboard-alert-ack"),
    path("hotspots/", views.dashboard_hotspots, name="dashboard-hotspots"),
    path("compare/", views.dashboard_compare, name="dashboard-compare"),
]
