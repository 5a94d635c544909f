"""Hostile inputs for the staff side and the privacy-bearing public endpoints (see tests/nasty/__init__.py):
the possible-duplicates query, photo uploads through the citizen form, photo URLs, /healthz, the login forms and
the language switch."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests.nasty import Nasty

NEARBY = "/reports/nearby.json"
NOT_A_PHOTO = ("photo", "JPEG, PNG or WebP")


# --- files an attacker or a broken phone uploads as "the photo" ---------------------------------------


def _image(fmt: str, size=(32, 24)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 40, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` x ``height`` pixels: a decompression bomb by its header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def _gif_javascript_polyglot() -> bytes:
    """A GIF that is also a script: its width bytes open a JavaScript comment, closed after the trailer."""
    gif = bytearray(_image("GIF"))
    gif[6:8] = b"/*"
    return bytes(gif) + b"*/=alert(document.domain);//"


def _jpeg_then_html() -> bytes:
    """A JPEG start of image followed by an HTML page: sniffers see HTML, the name says photo."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00<html><script>alert(1)</script>"


UPLOADS = {
    "gif-javascript-polyglot": ("lampione.jpg", _gif_javascript_polyglot(), "image/jpeg", NOT_A_PHOTO),
    "jpeg-header-then-html": ("lampione.jpg", _jpeg_then_html(), "image/jpeg", NOT_A_PHOTO),
    "truncated-jpeg": ("lampione.jpg", _image("JPEG", (64, 48))[:300], "image/jpeg", NOT_A_PHOTO),
    "png-bomb-header-10-gigapixels": (
        "bomb.png",
        _png_claiming(100_000, 100_000),
        "image/png",
        ("photo", "too many pixels", "40"),
    ),
    "png-header-48-megapixels": ("big.png", _png_claiming(8000, 6000), "image/png", ("too many pixels", "40")),
    "svg-with-script": (
        "lampione.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>',
        "image/svg+xml",
        NOT_A_PHOTO,
    ),
    "gif": ("lampione.gif", _image("GIF"), "image/gif", NOT_A_PHOTO),
    "tiff": ("lampione.tif", _image("TIFF"), "image/tiff", NOT_A_PHOTO),
    "zero-byte-file": ("lampione.jpg", b"", "image/jpeg", ("empty",)),
    "pdf-named-jpg": (
        "lampione.jpg",
        b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n",
        "image/jpeg",
        NOT_A_PHOTO,
    ),
}


def _report_form_with(name: str, data: bytes, content_type: str):
    """The citizen form, right in every field but the photo (a fresh upload each time it is sent)."""

    def body(world) -> dict:
        return {
            "category": world.category.pk,
            "perceived_safety": 2,
            "latitude": "45.065",
            "longitude": "7.675",
            "occurred_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "photo": SimpleUploadedFile(name, data, content_type=content_type),
        }

    return body


# --- checks on answers that are redirects -----------------------------------------------------------


def _stays_on_site(response, world) -> None:
    location = response["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location


def _stays_on_site_and_keeps_the_language(response, world) -> None:
    _stays_on_site(response, world)
    assert "django_language" not in response.cookies


CASES: list[Nasty] = [
    # --- /reports/nearby.json: the possible-duplicates query --------------------------------------
    Nasty("nearby-no-parameters", "GET", NEARBY, says=("category", "lat", "lon"), format="json"),
    Nasty(
        "nearby-lat-not-a-number",
        "GET",
        NEARBY,
        {"category": "{category.pk}", "lat": "abc", "lon": "7.675"},
        says=("lat", "-90", "90"),
        format="json",
    ),
    Nasty(
        "nearby-lat-nan", "GET", NEARBY, {"category": "1", "lat": "NaN", "lon": "7.675"}, says=("lat",), format="json"
    ),
    Nasty(
        "nearby-lon-infinity",
        "GET",
        NEARBY,
        {"category": "1", "lat": "45.065", "lon": "-Infinity"},
        says=("lon", "180"),
        format="json",
    ),
    Nasty(
        "nearby-lat-overflows-a-float",
        "GET",
        NEARBY,
        {"category": "1", "lat": "1e309", "lon": "7.675"},
        says=("lat",),
        format="json",
    ),
    Nasty(
        "nearby-lat-of-10000-digits",
        "GET",
        NEARBY,
        {"category": "1", "lat": "4" * 10_000, "lon": "7.675"},
        says=("lat", "90"),
        format="json",
    ),
    Nasty(
        "nearby-lat-beyond-the-pole",
        "GET",
        NEARBY,
        {"category": "1", "lat": "90.000001", "lon": "7.675"},
        says=("lat", "90"),
        format="json",
    ),
    Nasty(
        "nearby-lon-beyond-the-antimeridian",
        "GET",
        NEARBY,
        {"category": "1", "lat": "45.065", "lon": "-180.5"},
        says=("lon", "180"),
        format="json",
    ),
    Nasty(
        "nearby-unknown-category",
        "GET",
        NEARBY,
        {"category": "999999", "lat": "45.065", "lon": "7.675"},
        says=("category",),
        format="json",
    ),
    Nasty(
        "nearby-category-by-code-not-id",
        "GET",
        NEARBY,
        {"category": "broken-street-light", "lat": "45.065", "lon": "7.675"},
        says=("category",),
        format="json",
    ),
    Nasty(
        "nearby-category-beyond-bigint",
        "GET",
        NEARBY,
        {"category": "9" * 40, "lat": "45.065", "lon": "7.675"},
        says=("category",),
        format="json",
    ),
    Nasty(
        "nearby-category-with-nul",
        "GET",
        NEARBY,
        {"category": "1\x00", "lat": "45.065\x00", "lon": "7.675"},
        says=("category", "lat"),
        format="json",
    ),
    # --- hostile photos through the citizen form: a form error, and nothing stored (no row, no file) -------
    *[
        Nasty(
            f"report-form-photo-{name}",
            "POST",
            "/reports/new/",
            _report_form_with(filename, data, content_type),
            status=400,
            says=says,
            format="html",
            language="en",
        )
        for name, (filename, data, content_type, says) in UPLOADS.items()
    ],
    # --- photo URLs: only a published, not hidden photo is served; everything else is the same 404 ------
    Nasty(
        "photo-of-an-unpublished-report",
        "GET",
        "/reports/{unpublished_photo_code}/photo.jpg",
        status=404,
        says=("pagina non trovata",),
        format="html",
    ),
    Nasty(
        "photo-of-an-unpublished-report-to-an-officer",
        "GET",
        "/reports/{unpublished_photo_code}/photo.jpg",
        as_role="officer",
        status=404,
        says=("pagina non trovata",),
        format="html",
    ),
    Nasty(
        "photo-of-a-report-without-one",
        "GET",
        "/reports/{report_code}/photo.jpg",
        status=404,
        says=("pagina non trovata",),
        format="html",
    ),
    Nasty(
        "photo-path-traversal-in-the-code",
        "GET",
        "/reports/..%2F..%2Fobservatory%2Fsettings.py/photo.jpg",
        status=404,
        says=("pagina non trovata",),
        format="html",
    ),
    Nasty(
        "photo-code-dot-dot",
        "GET",
        "/reports/%2e%2e/photo.jpg",
        status=404,
        says=("pagina non trovata",),
        format="html",
    ),
    Nasty("photo-code-nul", "GET", "/reports/%00/photo.jpg", status=404, says=("pagina non trovata",), format="html"),
    Nasty(
        "media-directory-traversal",
        "GET",
        "/media/../observatory/settings.py",
        status=404,
        says=("pagina non trovata",),
        format="html",
    ),
    Nasty("media-directory-listing", "GET", "/media/reports/", status=404, says=("pagina non trovata",), format="html"),
    # --- /healthz: GET only, answered in JSON ----------------------------------------------------------
    *[
        Nasty(f"healthz-{method.lower()}", method, "/healthz", status=405, says=("GET",), format="json")
        for method in ("POST", "PUT", "DELETE", "PATCH")
    ],
    # --- the login forms: what no account can have is a form error, before authentication ----------------
    Nasty(
        "login-username-of-10000-characters",
        "POST",
        "/accounts/login/",
        {"username": "a" * 10_000, "password": "guess"},
        status=200,
        says=("150",),
        format="html",
        language="en",
    ),
    Nasty(
        "admin-login-username-of-10000-characters",
        "POST",
        "/admin/login/",
        {"username": "a" * 10_000, "password": "guess"},
        status=200,
        says=("150",),
        format="html",
        language="en",
    ),
    Nasty(
        "login-username-with-nul",
        "POST",
        "/accounts/login/",
        {"username": "nasty-officer\x00", "password": "guess"},
        status=200,
        says=("null characters",),
        format="html",
        language="en",
    ),
    Nasty(
        "login-password-with-nul",
        "POST",
        "/accounts/login/",
        {"username": "nasty-officer", "password": "pass\x00word"},
        status=200,
        says=("null characters",),
        format="html",
        language="en",
    ),
    # --- the language switch: never a redirect off the site, never a language that does not exist --------
    Nasty(
        "setlang-bogus-language",
        "POST",
        "/i18n/setlang/",
        {"language": "xx-evil", "next": "/map/"},
        status=302,
        check=_stays_on_site_and_keeps_the_language,
    ),
    Nasty(
        "setlang-language-of-5000-characters",
        "POST",
        "/i18n/setlang/",
        {"language": "en" * 2500, "next": "/map/"},
        status=302,
        check=_stays_on_site_and_keeps_the_language,
    ),
    *[
        Nasty(
            f"setlang-next-{name}",
            "POST",
            "/i18n/setlang/",
            {"language": "en", "next": target},
            status=302,
            check=_stays_on_site,
        )
        for name, target in (
            ("external", "https://evil.example/phish"),
            ("scheme-relative", "//evil.example/phish"),
            ("backslash", "/\\evil.example/phish"),
            ("javascript", "javascript:alert(document.cookie)"),
        )
    ],
    Nasty(
        "setlang-external-referer",
        "POST",
        "/i18n/setlang/",
        {"language": "en"},
        headers={"Referer": "https://evil.example/phish"},
        status=302,
        check=_stays_on_site,
    ),
]
