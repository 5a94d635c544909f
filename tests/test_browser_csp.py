"""The main pages in Chromium under the Content-Security-Policy: no violation, no script error, and every Plotly
chart drawn with the basic bundle (scatter and bar traces only)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from conftest import TEST_PASSWORD, make_user, square_zone
from indicators import engine
from reports.models import Category, PerceivedSafety
from reports.ratelimit import rate_limit_reset
from reports.services import report_submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects what the browser reports as blocked by the policy, from the first script of every page on.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


@pytest.fixture
def city():
    zone = square_zone("W", 7.67, 45.06, population=12000, name="Ovest")
    category, _ = Category.objects.get_or_create(
        code="dark-area", defaults={"name_it": "Zona buia", "name_en": "Dark area", "group": "lighting"}
    )
    day = timezone.localdate() - dt.timedelta(days=3)
    for hour, rating in ((23, PerceivedSafety.VERY_SAFE), (20, PerceivedSafety.VERY_UNSAFE)):
        when = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
        for _ in range(3):
            report_submit(category=category, location=Point(7.675, 45.065), perceived_safety=rating, occurred_at=when)
    engine.recompute_stale()
    make_user("csp-admin", "officer", "moderator", is_staff=True, is_superuser=True)
    rate_limit_reset("127.0.0.1")
    return zone


def test_the_main_pages_load_with_no_policy_violation_and_draw_their_charts(page, city):
    page.set_default_timeout(60000)  # the machine is shared; a slow first page is not a failure
    problems: list[str] = []
    page.add_init_script(LISTEN)
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def visit(path: str, ready: str) -> None:
        page.goto(path)
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
        problems.extend(f"{path}: {v}" for v in page.evaluate("window.__violations"))

    visit("/", "main")
    visit("/reports/new/", "#report-map .leaflet-container, .leaflet-container")
    visit("/map/", ".leaflet-container")
    visit("/accounts/login/?next=/dashboard/", "#id_username")
    page.fill("#id_username", "csp-admin")
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/dashboard/*")
    visit("/dashboard/", "#trend-chart .main-svg")
    visit(f"/dashboard/zones/{city.code}/", "#zone-slots .main-svg")
    # Both zone charts drew real traces: the trend (scatter lines with intervals) and the slots (bars).
    assert page.locator("#zone-trend .trace.scatter").count() > 0
    assert page.locator("#zone-slots .trace.bars").count() > 0
    visit(f"/dashboard/compare/?zones={city.code}", "#compare-chart .main-svg")
    visit("/admin/", "#content")
    visit("/admin/sensors/sensor/add/", ".leaflet-point-map.leaflet-container")
    visit("/api/docs/", "#swagger-ui .swagger-ui")
    assert problems == []
