"""Sending a file of MEDIA_ROOT that a view has decided the caller may see.

Nothing under MEDIA_ROOT is served as a directory: each file goes out through a view that checks who
asks. In development (and wherever no setting says otherwise) the view streams the file itself; in
production, with ``OBSERVATORY_MEDIA_ACCEL_REDIRECT`` set to an internal nginx location that maps to
MEDIA_ROOT, it answers with an ``X-Accel-Redirect`` header and nginx sends the bytes (docs/deployment.md).
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse


def protected_file_response(name: str, *, content_type: str, cache_control: str) -> HttpResponse:
    """The stored file ``name`` (relative to MEDIA_ROOT) with the given type and caching, never sniffed.

    Raises Http404 for a name that leaves MEDIA_ROOT or a file that is not there, like any unknown file.
    """
    normalised = posixpath.normpath(name or "")
    if not name or normalised != name or normalised.startswith(("/", "../")) or normalised == "..":
        raise Http404
    prefix = settings.OBSERVATORY_MEDIA_ACCEL_REDIRECT
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(normalised)
    else:
        try:
            response = FileResponse(default_storage.open(normalised, "rb"), content_type=content_type)
        except (FileNotFoundError, IsADirectoryError, SuspiciousFileOperation):
            raise Http404 from None
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache_control
    return response
