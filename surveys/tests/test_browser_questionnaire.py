"""A resident answers the questionnaire on a phone (390x844, touch) in Italian and in English, and without
JavaScript; the pages pass axe-core and every answer is a 44x44 px tap target."""

from __future__ import annotations

import pytest

from city.models import Zone
from conftest import square_zone
from reports.ratelimit import rate_limit_reset
from surveys.models import Campaign, Response
from surveys.tests import factories
from tests.processes import OUTPUT_DIR
from tests.test_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def campaigns(db):
    rate_limit_reset("127.0.0.1")
    Zone.objects.all().delete()
    zones = [square_zone("W", 7.67, 45.06, name="Ovest"), square_zone("E", 7.68, 45.06, name="Est")]
    for zone in zones:
        zone.population = 5000
        zone.save()
    probability = factories.campaign(Campaign.Mode.PROBABILITY, zones=zones, code="indagine")
    opened = factories.campaign(Campaign.Mode.OPEN, zones=zones, code="aperto")
    return probability, factories.invitations(probability, {"W": 2, "E": 1}), opened


def phone_page(browser, web_server, language: str | None = None, **options):
    context = browser.new_context(base_url=web_server, locale="it-IT", **{**PHONE, **options})
    context.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
    if language:
        context.add_cookies([{"name": "django_language", "value": language, "url": web_server}])
    page = context.new_page()
    page.set_default_timeout(30000)
    page.set_default_navigation_timeout(90000)  # two cores shared by many: a cold server's first page can be slow
    return context, page


def small_tap_targets(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('.survey-option label, .survey-submit, .survey-input')]
              .filter(el => el.offsetParent !== null)
              .map(el => [el.textContent.trim().slice(0, 30) || el.id, el.getBoundingClientRect()])
              .filter(([, r]) => r.width < 44 || r.height < 44).map(([name, r]) => `${name}: ${r.width}x${r.height}`)"""
    )


def test_a_phone_answers_with_its_invitation_in_italian_and_in_english(browser, web_server, campaigns):
    _probability, invitations, _opened = campaigns
    OUTPUT_DIR.mkdir(exist_ok=True)
    for language, code, safe, thanks in (
        (None, invitations[0].code, "Abbastanza sicuro/a", "Grazie"),
        ("en", invitations[1].code, "I never go out alone after dark", "Thank you"),
    ):
        context, page = phone_page(browser, web_server, language)
        try:
            page.goto(f"/surveys/indagine/?code={code}")
            assert page.locator("#id_invitation_code").input_value() == code
            assert small_tap_targets(page) == []
            assert serious_violations(page) == []
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
            if language is None:
                page.screenshot(path=str(OUTPUT_DIR / "survey-phone-390.png"), full_page=True)
            page.get_by_text(safe, exact=True).tap()
            page.locator("label[for=id_item_slots_out_1]").tap()
            page.locator("label[for=id_sex_1]").tap()
            page.select_option("#id_age_band", "65-74")
            page.locator(".survey-submit").tap()
            page.wait_for_url("**/thanks/")
            assert page.get_by_role("heading", name=thanks).is_visible()
        finally:
            context.close()
    answers = {r.language: r for r in Response.objects.all()}
    assert (answers["it"].safe_after_dark, answers["en"].safe_after_dark) == (3, 0)
    assert answers["en"].sex == "F" and answers["en"].age_band == "65-74" and answers["en"].answers["slots_out"]
    # the same code again, in English: refused on its field
    context, page = phone_page(browser, web_server, "en")
    try:
        page.goto(f"/surveys/indagine/?code={invitations[1].code}")
        page.get_by_text("Very safe", exact=True).tap()
        page.locator(".survey-submit").tap()
        page.locator("#id_invitation_code_error").wait_for()
        assert "already been used" in page.locator("#id_invitation_code_error").inner_text()
        assert page.locator("#id_invitation_code").get_attribute("aria-invalid") == "true"
        assert serious_violations(page) == []
    finally:
        context.close()
    for name, viewport in (("320", {"width": 320, "height": 720}), ("1440", {"width": 1440, "height": 900})):
        context, page = phone_page(browser, web_server, viewport=viewport, is_mobile=name == "320")
        try:
            page.goto("/surveys/aperto/")
            # The questionnaire itself fits the screen (the shared header is the base template's business).
            assert page.evaluate("document.querySelector('.survey').getBoundingClientRect().right") <= viewport["width"]
            page.screenshot(path=str(OUTPUT_DIR / f"survey-{name}.png"), full_page=True)
        finally:
            context.close()


def test_without_javascript_the_open_questionnaire_shows_errors_and_then_saves(browser, web_server, campaigns):
    context, page = phone_page(browser, web_server, java_script_enabled=False)
    try:
        page.goto("/surveys/aperto/")
        assert page.locator("#survey-map").is_hidden()  # the map needs script; the list and the street do not
        page.locator("label[for=id_item_worry_crime_1]").click()
        page.locator(".survey-submit").click()
        page.locator("#form-errors").wait_for()
        assert page.locator("#id_safe_after_dark_error").is_visible()
        assert page.locator("#id_item_worry_crime_1").is_checked()  # what was answered stays answered
        error_page = page.content()
        page.locator("label[for=id_safe_after_dark_2]").click()
        page.select_option("#id_zone", label="Est")
        page.locator(".survey-submit").click()
        page.wait_for_url("**/thanks/")
    finally:
        context.close()
    saved = Response.objects.get()
    assert (saved.safe_after_dark, saved.zone.code, saved.zone_source, saved.answers) == (
        2, "E", "list", {"worry_crime": "fairly"},
    )  # fmt: skip
    # axe needs script: the page as served without it is checked in a page that runs axe.
    checker = browser.new_context(base_url=web_server, locale="it-IT", **PHONE)
    page = checker.new_page()
    try:
        page.route("**/step", lambda route: route.fulfill(status=200, content_type="text/html", body=error_page))
        page.goto("/step")
        assert serious_violations(page) == []
    finally:
        checker.close()


def test_the_survey_list_and_the_opt_out_page_work_on_a_phone_and_without_javascript(browser, web_server, campaigns):
    probability, invitations, _opened = campaigns
    for language, width in ((None, 390), ("en", 320)):
        context, page = phone_page(browser, web_server, language, java_script_enabled=False,
                                   viewport={"width": width, "height": 800})  # fmt: skip
        try:
            page.goto("/surveys/")
            assert page.locator(".survey-campaign").count() == 2
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.goto(f"/surveys/indagine/opt-out/?code={invitations[0].code}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert small_tap_targets(page) == []
            if language is None:
                page.screenshot(path=str(OUTPUT_DIR / "survey-opt-out-390.png"), full_page=True)
        finally:
            context.close()
    context, page = phone_page(browser, web_server)
    try:
        page.goto("/surveys/")
        assert serious_violations(page) == []
        page.goto(f"/surveys/indagine/opt-out/?code={invitations[1].code}")
        assert serious_violations(page) == []
        page.locator(".survey-submit").tap()
        page.wait_for_selector("#opt-out-done")
    finally:
        context.close()
    assert probability.invitations.filter(opted_out_at__isnull=False).count() == 1
