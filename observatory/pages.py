"""The shell's own pages: the home page and the health check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "observatory/home.html", {})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, components = health.run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "down", "components": components}, status=200 if healthy else 503
    )
