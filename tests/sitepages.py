"""Every page a person can open, for the tests that hold for all of them (security headers, no outside host).

Found, not listed: each route of the URL map that takes no parameter, the admin's index, app, changelist and
add pages of every registered model, and the pages of one zone, report and moderation entry made here; so a
new page is checked without anyone adding it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re

from django.contrib import admin
from django.contrib.gis.geos import Point
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from conftest import make_user

# Machine endpoints and actions, not pages: they answer JSON, files or redirects, or change something.
NOT_PAGES = re.compile(
    r"^/(i18n/|accounts/logout/|admin/logout/|admin/autocomplete/|api/v1/|api/schema/|open311/|healthz)"
    r"|\.(geojson|json)$"
)
ROLES = ("anonymous", "officer", "moderator", "grants_admin", "superuser")


def _routes(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def parameterless_pages() -> list[str]:
    pages = []
    for route in _routes(get_resolver().url_patterns):
        if "<" in route or "(" in route or "admin/" in route:  # parameters; the admin is walked below
            continue
        path = "/" + route.lstrip("^").rstrip("$").replace("\\", "")
        if not NOT_PAGES.search(path):
            pages.append(path)
    return sorted(set(pages))


def admin_pages() -> list[str]:
    pages = {reverse("admin:index")}
    for model in admin.site._registry:
        meta = model._meta
        pages.add(reverse("admin:app_list", args=[meta.app_label]))
        pages.add(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        with contextlib.suppress(NoReverseMatch):  # a read-only report in the admin has no add page
            pages.add(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    return sorted(pages)


def pages_with_objects() -> list[str]:
    """One zone's dashboard page, a report's public status page and its moderation page (needs a database)."""
    from conftest import square_zone
    from reports.models import Category, PerceivedSafety
    from reports.services import report_submit

    zone = square_zone("P", 7.67, 45.06, population=1000, name="Pagine")
    category = Category.objects.filter(active=True).first()
    report = report_submit(
        category=category,
        location=Point(7.675, 45.065, srid=4326),
        perceived_safety=PerceivedSafety.A_BIT_UNSAFE,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
    )
    return [
        reverse("dashboard-zone", args=[zone.code]),
        reverse("reports:status", args=[report.tracking_code]),
        reverse("reports:moderation-detail", args=[report.tracking_code]),
    ]


def all_pages() -> list[str]:
    return parameterless_pages() + admin_pages() + pages_with_objects()


def client_as(role: str):
    """A test client logged in as someone of ``role`` (a staff group, or a superuser); anonymous for 'anonymous'."""
    from django.test import Client

    client = Client()
    if role == "superuser":
        client.force_login(make_user(f"page-{role}", is_staff=True, is_superuser=True))
    elif role != "anonymous":
        client.force_login(make_user(f"page-{role}", role, is_staff=True))
    return client
