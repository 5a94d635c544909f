"""Layouts of the grants pages a person reads, measured in a real browser: the beneficiaries' and the applicants'
cards sit in the middle of a 320 px phone (equal margins, no sideways scroll), and the admin's list of funded
projects shows every column, money included, at 1440 px without scrolling sideways."""

from urllib.parse import urlsplit

import pytest

from conftest import TEST_PASSWORD
from grants.tests.applicants_support import applicant, complete_draft, open_call
from grants.tests.conftest import award, make_call, make_ranked
from grants.tests.test_beneficiary_browser import funded, log_in  # noqa: F401 (the fixture)
from grants.tests.test_browser_graduatoria import _login as admin_login
from tests.layout import phone_context
from tests.processes import OUTPUT_DIR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"narrow": {"width": 320, "height": 640}, "phone": {"width": 390, "height": 844}}

# Each card's gap to the left and to the right edge of the viewport, and the page's sideways overflow.
CARD_MARGINS_JS = """(selector) => ({
  overflow: document.documentElement.scrollWidth - innerWidth,
  cards: [...document.querySelectorAll(selector)].map((card) => {
    const box = card.getBoundingClientRect();
    return {left: box.left, right: innerWidth - box.right};
  }),
})"""


def _cards_at_each_size(browser, web_server, log_in_page, path: str, selector: str, name: str) -> dict:
    """The page at 320 and 390 px (touch) and 1440 px, in Italian and English, screenshots in test-output/;
    returns what was measured at 320 px, per language."""
    measured = {}
    for language in ("it", "en"):
        for viewport in ("narrow", "phone", "desktop"):
            if viewport == "desktop":
                context = browser.new_context(base_url=web_server, viewport={"width": 1440, "height": 900})
                context.add_cookies([{"name": "django_language", "value": language, "url": web_server}])
            else:
                context = phone_context(browser, web_server, viewport=viewport, language=language)
            page = context.new_page()
            page.set_default_timeout(30000)  # two cores shared by the whole team
            log_in_page(page, path)
            page.goto(path)
            page.screenshot(path=str(OUTPUT_DIR / f"grants-cards-{name}-{viewport}-{language}.png"), full_page=True)
            if viewport == "narrow":
                measured[language] = page.evaluate(CARD_MARGINS_JS, selector)
            context.close()
    return measured


def _assert_centred(measured: dict) -> None:
    for language, result in measured.items():
        assert result["overflow"] <= 0, (language, result)
        assert result["cards"], language
        for card in result["cards"]:
            assert abs(card["left"] - card["right"]) <= 2, (language, card)
            assert card["left"] >= 8, (language, card)  # not glued to the edge either


def test_the_beneficiarys_project_and_milestone_cards_are_centred_at_320_px(browser, web_server, funded):  # noqa: F811
    project, _milestone, _tranche, member = funded

    def log_in_page(page, path):
        log_in(page, member.username, path)

    measured = _cards_at_each_size(
        browser, web_server, log_in_page, "/projects/beneficiary/", "#beneficiary-projects > li.card", "beneficiary"
    )
    _assert_centred(measured)
    milestones = _cards_at_each_size(
        browser, web_server, log_in_page, f"/projects/beneficiary/{project.pk}/", "li.card[id^=milestone-]",
        "beneficiary-project",
    )  # fmt: skip
    _assert_centred(milestones)


def test_the_applicants_application_cards_are_centred_at_320_px(browser, web_server, grid):
    call = open_call()
    owner = applicant()
    complete_draft(owner, call, grid)

    def log_in_page(page, path):
        page.goto("/apply/login/")
        page.fill("#id_username", owner.username)
        page.fill("#id_password", TEST_PASSWORD)
        page.locator("#applicant-login button[type=submit]").click()
        page.wait_for_url(lambda url: urlsplit(url).path == path)

    measured = _cards_at_each_size(
        browser, web_server, log_in_page, "/apply/mine/", "#my-applications > li.card", "applicant"
    )
    _assert_centred(measured)


def test_the_admins_list_of_projects_fits_1440_px_with_its_money_right_aligned(browser, web_server, grid, grants_admin):
    call = make_call(budget="900000.00")
    for title in ("Portierato di comunità serale nel quartiere", "Recupero del bocciodromo come casa di quartiere"):
        award(make_ranked(call, grants_admin, title=title, requested="400000.00"), "380000.00")
    for language in ("it", "en"):
        context = browser.new_context(base_url=web_server, viewport={"width": 1440, "height": 900})
        context.add_cookies([{"name": "django_language", "value": language, "url": web_server}])
        page = context.new_page()
        page.set_default_timeout(30000)
        admin_login(page, grants_admin, "/admin/grants/project/")
        page.wait_for_url("**/admin/grants/project/")
        context.add_cookies([{"name": "django_language", "value": language, "url": web_server}])  # login cleared it
        page.goto("/admin/grants/project/")
        page.screenshot(path=str(OUTPUT_DIR / f"grants-admin-projects-1440-{language}.png"), full_page=True)
        table = page.evaluate(
            """() => { const t = document.querySelector('#result_list');
                       return {table: t.scrollWidth, room: t.parentElement.clientWidth,
                               page: document.documentElement.scrollWidth - innerWidth}; }"""
        )
        assert table["table"] <= table["room"] and table["page"] <= 0, (language, table)
        for column in ("granted", "disbursed", "to_disburse"):
            cell = page.locator(f"#result_list td.field-{column}").first
            assert cell.evaluate("(el) => getComputedStyle(el).textAlign") == "right", column
        grouped = "380.000,00" if language == "it" else "380,000.00"
        assert page.locator("#result_list td.field-granted").first.inner_text() == grouped
        context.close()
