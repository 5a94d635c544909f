"""URL map of the observatory."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import metrics, oidc, pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", pages.healthz, name="healthz"),
    path("healthz/live", pages.healthz_live, name="healthz-live"),
    path("healthz/ready", pages.healthz_ready, name="healthz-ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("privacy/", pages.privacy, name="privacy"),
    path("dashboard/", include("dashboards.urls")),
    path("reports/", include("reports.urls")),
    path("cases/", include("cases.urls")),
    path("projects/", include("grants.urls")),
    path("apply/", include("grants.applicants.urls")),
    path("map/zones/", include("dashboards.public_urls")),
    path("interventions/", include("interventions.urls")),
    path("brief/", include("briefs.urls")),
    path("map/", include("reports.map_urls")),
    path("surveys/", include("surveys.urls")),
    path("open311/v2/", include("open311.urls")),
    path("opendata/", include("opendata.urls")),
    path("accounts/login/", oidc.login, name="login"),
    path("accounts/", include(oidc.urlpatterns)),  # SPID / CIE through the city's OIDC broker, when configured
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Machine interfaces: each app adds its API routes under /api/v1/ with its own include line.
    path("api/v1/", include("sensors.api_urls")),
    path("api/v1/", include("indicators.api_urls")),
    path("api/v1/reports/", include("reports.api_urls")),
    path("api/v1/surveys/", include("surveys.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # No ReDoc page: its bundle loads its logo from the vendor's CDN, which the CSP (rightly) blocks.
]

# Requests Django refuses before a view reads them (body too large, too many fields) are answered in the
# channel's own format, with the limit named.
handler400 = "observatory.errors.bad_request"
# Not found, forbidden and server errors inside the site's layout, in the person's language, with the
# tracking-code lookup (a mistyped code lands on the 404).
handler403 = "observatory.errors.permission_denied"
handler404 = "observatory.errors.page_not_found"
handler500 = "observatory.errors.server_error"
