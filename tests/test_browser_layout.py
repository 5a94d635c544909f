"""The citizen pages on a phone (390x844, touch) and at 320 px, in Italian and English: none scrolls sideways,
no two text boxes overlap, every control is at least 44x44 px, axe-core finds nothing serious; screenshots in
test-output/layout-*.png. One browser, one context per viewport and language, every page in it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from conftest import make_user, square_zone
from reports.models import Category
from reports.ratelimit import rate_limit_reset
from tests.layout import layout_problems, overlapping_text, phone_context, screenshot, small_targets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(db):
    """Two zones, a published report with a public note, a fresh one for the thank-you page, a funded project."""
    from grants.tests.conftest import award, make_call, make_ranked, site_at
    from reports.services import report_publish, report_set_status
    from reports.tests.factories import submit

    rate_limit_reset("127.0.0.1")
    for column in range(4):
        for row in range(4):
            square_zone(f"G{column}{row}", 7.60 + column * 0.02, 45.00 + row * 0.02, 0.02, population=5000)
    category = Category.objects.get(code="broken-street-light")
    moderator = make_user("mod-layout", "moderator")
    published = report_publish(report=submit(category, lon=7.65, lat=45.03), user=moderator)
    report_set_status(
        report=published, status="in_progress", user=moderator, public_note="La squadra interviene entro venerdì."
    )
    fresh = submit(Category.objects.get(code="dark-area"), lon=7.66, lat=45.04)
    evaluator = make_user("evaluator-layout", "grants_admin", is_staff=True)
    project = award(
        make_ranked(make_call(), evaluator, sites=site_at(1, 1)), "30000.00",
        title_it="Piazza illuminata e presidiata la sera", title_en="A lit and staffed square in the evening",
        start=timezone.localdate() - dt.timedelta(days=20),
    )  # fmt: skip
    yield {"published": published, "fresh": fresh, "project": project}
    rate_limit_reset("127.0.0.1")


def new_page(context):
    page = context.new_page()
    page.set_default_timeout(60000)  # two cores shared by many test runs: slow, not broken
    return page


def pages(city) -> dict[str, str]:
    return {
        "home": "/",
        "report-form": "/reports/new/",
        "audit-form": "/reports/audit/new/",
        "lookup": "/reports/",
        "tracking": city["published"].get_absolute_url(),
        "thank-you": city["fresh"].get_absolute_url() + "?new=1",
        "not-found": "/reports/NOPE0000/",
        "projects": "/projects/",
        "project": city["project"].get_absolute_url(),
        "privacy": "/privacy/",
    }


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("viewport", ["phone", "narrow"])
def test_citizen_pages_fit_the_phone(browser, web_server, city, viewport, language):
    context = phone_context(browser, web_server, viewport=viewport, language=language)
    page = new_page(context)
    found = {}
    try:
        for name, url in pages(city).items():
            response = page.goto(url)
            assert response.status == (404 if name == "not-found" else 200), f"{name}: {response.status}"
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang") == language
            if problems := layout_problems(page, f"{name}-{viewport}-{language}"):
                found[name] = problems
    finally:
        context.close()
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


def test_the_form_with_its_errors_fits_the_phone(browser, web_server, city):
    context = phone_context(browser, web_server, viewport="narrow", language="it")
    page = new_page(context)
    try:
        page.goto("/reports/new/")
        page.get_by_role("button", name="Invia la segnalazione").click()
        page.wait_for_load_state("networkidle")
        summary = page.locator("#form-errors a")
        assert summary.count() >= 2
        # Every summary link lands on an element of the page, the safety-level link on its first choice.
        for href in summary.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
            assert href != "#" and page.locator(href).count() == 1, href
        assert page.locator("#id_perceived_safety").get_attribute("aria-describedby") == "id_perceived_safety_error"
        assert page.locator("#id_perceived_safety_error").is_visible()
        assert page.locator("#id_category").get_attribute("aria-invalid") == "true"
        problems = layout_problems(page, "report-form-errors-narrow-it")
        assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
    finally:
        context.close()


def test_the_menu_opens_from_its_toggle_and_lists_only_the_citizens_links(browser, web_server, city):
    context = phone_context(browser, web_server, viewport="phone", language="it")
    page = new_page(context)
    try:
        page.goto("/reports/new/")
        menu = page.locator("#main-menu")
        report_link = menu.get_by_role("link", name="Mappa delle segnalazioni")
        assert not report_link.is_visible()  # folded away: the heading below it gets the taps
        heading = page.get_by_role("heading", level=1)
        box = heading.bounding_box()
        assert page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('h1') !== null", [box["x"] + 5, box["y"] + 5]
        )
        page.get_by_role("button", name="Mostra o nascondi il menu").click()
        report_link.wait_for(state="visible")
        assert page.locator("#staff-menu").count() == 0
        # Open, the menu covers the page: its own links must not overlap each other, and each is a full target.
        screenshot(page, "menu-open-phone-it")
        assert overlapping_text(page, "#main-menu") == []
        assert small_targets(page, root="#main-menu") == []
        report_link.click()
        page.wait_for_url("**/map/")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["it", "en"])
def test_without_javascript_the_menu_is_a_plain_list_over_nothing(browser, web_server, city, language):
    context = phone_context(browser, web_server, viewport="narrow", language=language, javascript=False)
    page = new_page(context)
    try:
        for name, url in {"report-form": "/reports/new/", "thank-you": pages(city)["thank-you"]}.items():
            page.goto(url)
            assert page.locator("#citizen-menu a").first.is_visible()
            assert not page.locator(".custom-navbar-toggler").is_visible()
            # axe-core needs JavaScript: the same pages are checked with it above.
            problems = layout_problems(page, f"{name}-nojs-narrow-{language}", axe=False)
            assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
    finally:
        context.close()


@pytest.mark.parametrize("width", [992, 1100, 1440])
def test_the_wide_header_spreads_the_menu_without_a_toggle_or_sideways_scrolling(browser, web_server, db, width):
    """From 992 px the menu is spread out in the bar: no toggle, every item visible, in Italian (the longest labels)
    the page no wider than the window."""
    context = browser.new_context(base_url=web_server, viewport={"width": width, "height": 800}, locale="it-IT")
    context.add_cookies([{"name": "django_language", "value": "it", "url": web_server}])
    context.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
    page = new_page(context)
    try:
        page.goto("/")
        assert page.evaluate("document.documentElement.scrollWidth") == width
        assert not page.locator(".custom-navbar-toggler").is_visible()
        items = page.locator("#citizen-menu a.nav-link")
        assert items.count() >= 6 and all(items.nth(i).is_visible() for i in range(items.count()))
        assert overlapping_text(page, "#citizen-menu") == []
        screenshot(page, f"layout-header-{width}-it")
    finally:
        context.close()
