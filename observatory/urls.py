"""URL map of the observatory."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views
from .auth import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/zones.geojson", views.dashboard_zones_geojson, name="dashboard-zones-geojson"),
    path("dashboard/layers/<slug:layer>.geojson", views.dashboard_layer, name="dashboard-layer"),
    path("dashboard/zones/<str:code>/", views.dashboard_zone, name="dashboard-zone"),
    path("dashboard/alerts/", views.dashboard_alerts, name="dashboard-alerts"),
    path("dashboard/alerts/<int:alert_id>/acknowledge/", views.dashboard_alert_acknowledge, name="dashboard-alert-ack"),
    path("dashboard/hotspots/", views.dashboard_hotspots, name="dashboard-hotspots"),
    path("dashboard/compare/", views.dashboard_compare, name="dashboard-compare"),
    path("reports/", include("reports.urls")),
    path("projects/", include("grants.urls")),
    path("map/", include("reports.map_urls")),
    path("open311/v2/", include("open311.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Machine interfaces: each app adds its API routes under /api/v1/ with its own include line.
    path("api/v1/", include("sensors.api_urls")),
    path("api/v1/", include("observatory.api_urls")),
    path("api/v1/reports/", include("reports.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

# Requests Django refuses before a view reads them (body too large, too many fields) are answered in the
# channel's own format, with the limit named.
handler400 = "observatory.errors.bad_request"
