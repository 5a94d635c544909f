"""The shell's own pages: the home page, the privacy notice, the error pages and the health check."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from city.roles import OFFICER, has_role
from reports.forms import TrackingLookupForm

from . import health


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "observatory/home.html", {"lookup_form": TrackingLookupForm()})


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice (GDPR art. 13) for what citizens give the observatory, with the city's own settings."""
    ctx = {
        "controller": settings.OBSERVATORY_PRIVACY_CONTROLLER,
        "dpo_contact": settings.OBSERVATORY_PRIVACY_DPO_CONTACT,
        "retention_days": settings.OBSERVATORY_CONTACT_RETENTION_DAYS,
        "outbox_days": settings.OBSERVATORY_OUTBOX_RETENTION_DAYS,
        "survey_contact_days": settings.SURVEYS_CONTACT_RETENTION_DAYS,
        "grid_m": int(settings.OBSERVATORY_PRIVACY_GRID_M),
        "accessibility_statement_url": settings.OBSERVATORY_ACCESSIBILITY_STATEMENT_URL,
    }
    return render(request, "observatory/privacy.html", ctx)


@never_cache
def healthz_live(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers requests. It asks nothing of the database or Redis, so an orchestrator
    restarts a stuck process, never every process at once because a backing service is away."""
    return JsonResponse({"status": "up"})


@never_cache
def healthz_ready(request: HttpRequest) -> JsonResponse:
    """Readiness: the database and Redis answer, beat's schedule runs, the MQTT subscriber is alive and the
    indicators are fresh; 503 naming the component otherwise (details for officers, as /healthz)."""
    return _health_answer(request, health.readiness_checks())


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Up or down per component for monitoring, 503 when one is down; staff (officers) also get the details:
    each component's timing or error, which names internal hosts and ports."""
    return _health_answer(request, None)


def _health_answer(request: HttpRequest, checks) -> JsonResponse:
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse(
            {"detail": _("%(method)s is not allowed here: use GET.") % {"method": request.method[:16]}}, status=405
        )
        response["Allow"] = "GET, HEAD"
        return response
    healthy, components = health.run_checks(checks)
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
