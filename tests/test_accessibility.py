"""axe-core, injected by Playwright, finds no serious or critical violation on the citizen pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon

from city.models import Zone
from reports.models import Category
from reports.ratelimit import rate_limit_reset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def published_report(db):
    from conftest import make_user
    from reports.services import report_publish
    from reports.tests.factories import submit

    rate_limit_reset("127.0.0.1")
    Zone.objects.create(
        code="CENTRO", name="Centro", geom=MultiPolygon(Polygon.from_bbox((7.66, 45.05, 7.71, 45.09)), srid=4326)
    )
    category, _ = Category.objects.get_or_create(
        code="dark-area", defaults={"name_it": "Zona buia", "name_en": "Dark area"}
    )
    return report_publish(report=submit(category, lon=7.68, lat=45.07), user=make_user("mod-axe", "moderator"))


def serious_violations(page) -> list[str]:
    # Not a script tag: the CSP refuses inline scripts; DevTools evaluation is not subject to it.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", ["/reports/new/", "/reports/audit/new/", "/map/", "tracking", "/opendata/"])
def test_no_serious_or_critical_violation(page, published_report, path):
    url = published_report.get_absolute_url() if path == "tracking" else path
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert serious_violations(page) == []


def test_the_form_with_errors_has_no_serious_violation(page, published_report):
    page.goto("/reports/new/")
    page.get_by_role("button", name="Invia la segnalazione").click()
    page.wait_for_load_state()
    assert serious_violations(page) == []


def test_the_form_with_reports_nearby_and_extra_questions_has_no_serious_violation(page, published_report):
    from conftest import make_user
    from reports.services import report_publish
    from reports.tests.factories import submit

    lamp = Category.objects.get(code="broken-street-light")  # seeded with extra questions
    report_publish(report=submit(lamp, lon=7.6869, lat=45.0703), user=make_user("mod-lamp", "moderator"))
    submit(lamp, lon=7.687, lat=45.0704)  # and one not yet published: only said to exist
    page.goto("/reports/new/")
    page.select_option("#id_category", value=str(lamp.pk))
    page.locator("#report-map").click()
    page.locator("#nearby").wait_for(state="visible")
    page.locator("#nearby-unpublished").wait_for(state="visible")
    assert page.locator(f"#questions-{lamp.pk}").is_visible()
    assert serious_violations(page) == []


def test_the_possible_duplicates_step_without_javascript_has_no_serious_violation(
    browser, web_server, published_report
):
    context = browser.new_context(base_url=web_server, locale="it-IT", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/reports/new/")
        page.fill("#id_latitude", str(published_report.location.y))
        page.fill("#id_longitude", str(published_report.location.x))
        page.select_option("#id_category", value=str(published_report.category_id))
        page.click("label[for=id_perceived_safety_2]")
        page.get_by_role("button", name="Invia la segnalazione").click()
        page.locator("#duplicates-step").wait_for(state="visible")  # the form came back with the list
        # axe needs script: the page as served is checked in a JavaScript-enabled page with the same HTML.
        html = page.content()
    finally:
        context.close()
    checker = browser.new_context(base_url=web_server, locale="it-IT")
    page = checker.new_page()
    try:
        page.route("**/step", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        page.goto("/step")
        assert serious_violations(page) == []
    finally:
        checker.close()


def test_a_joined_reports_tracking_page_has_no_serious_violation(page, published_report):
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from reports.services import report_submit

    joined = report_submit(
        category=published_report.category,
        location=Point(published_report.location.x, published_report.location.y, srid=4326),
        perceived_safety=1,
        occurred_at=timezone.now(),
        duplicate_of=published_report,
    )
    for url in (joined.get_absolute_url() + "?new=1", published_report.get_absolute_url()):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == []


def test_the_locked_out_login_page_has_no_serious_violation(page, db):
    from conftest import make_user

    make_user("axe-officer", "officer", is_staff=True)
    for _attempt in range(6):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "axe-officer")
        page.fill("input[name=password]", "wrong")
        with page.expect_navigation():
            page.press("input[name=password]", "Enter")
    assert page.get_by_role("heading", name="Troppi accessi falliti").is_visible()
    assert serious_violations(page) == []
