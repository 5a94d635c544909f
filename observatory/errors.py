"""The answer to a request Django refuses before (or while) a view reads it: a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS or files than
DATA_UPLOAD_MAX_NUMBER_FILES, a multipart body that cannot be read.

Django sends these to ``handler400`` wherever they are raised (a middleware reading ``request.POST``, a view,
DRF's parsers, which let them through), and its own page is a bare English "Bad Request (400)". Here each
channel gets its own format, with the limit named: ``/api/`` a DRF-style ``{"detail": ...}``, ``/open311/``
the GeoReport v2 error list in the path's format (JSON or XML), anything else the site's page in the
person's language.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from open311 import formats as open311_formats

OPEN311_FORMAT_IN_PATH = re.compile(r"\.(json|xml)$")
# Read from the raw query string: request.GET itself may be what holds too many fields.
OPEN311_FORMAT_IN_QUERY = re.compile(r"(?:^|&)format=(json|xml)(?:&|$)")


def refusal_message(exception: Exception | None) -> str:
    """Why the request was refused, in the active language, naming the limit it went over."""
    if isinstance(exception, RequestDataTooBig):
        return _("The request body is too large: at most %(limit)s bytes are accepted (uploaded files apart).") % {
            "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        }
    if isinstance(exception, TooManyFieldsSent):
        return _("The request has too many fields: at most %(limit)s are accepted.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(exception, TooManyFilesSent):
        return _("The request has too many files: at most %(limit)s are accepted.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    if isinstance(exception, MultiPartParserError):
        return _("The multipart body could not be read: %(reason)s.") % {"reason": str(exception).rstrip(".")}
    return _("The request could not be read.")


def open311_format(request: HttpRequest) -> str:
    match = OPEN311_FORMAT_IN_PATH.search(request.path_info) or OPEN311_FORMAT_IN_QUERY.search(
        request.META.get("QUERY_STRING", "")
    )
    return match.group(1) if match else "json"


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: the refusal in the format of the channel the URL belongs to."""
    message = refusal_message(exception)
    path = request.path_info
    if path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    if path.startswith("/open311/"):
        return open311_formats.errors(open311_format(request), 400, message)
    try:
        return render(request, "400.html", {"message": message}, status=400)
    except Exception:  # the page needs the request it could not read: never turn a 400 into a 500
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: the site's page in the person's language, with the tracking-code lookup; JSON under
    ``/api/``."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", {}, status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler403``: the site's page in the person's language; JSON under ``/api/``."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": _("You do not have permission to perform this action.")}, status=403)
    return render(request, "403.html", {}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the site's page when it can be drawn; a line of plain text when even that fails (the
    database or the templates may be what broke)."""
    try:
        return render(request, "500.html", {}, status=500)
    except Exception:
        return HttpResponse(
            _("Something went wrong. Please try again in a few minutes."),
            status=500,
            content_type="text/plain; charset=utf-8",
        )
