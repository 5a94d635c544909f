"""An officer opens a case from a place in a real browser: from the zone page (which runs Plotly), the "Open a
case here" button leads to the case form pre-filled with the zone and the departments covering it; the case opens
with their tasks. The form is checked at phone, narrow and desktop widths in Italian and English."""

import re

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from cases.models import Case
from city.models import Department, Zone
from conftest import TEST_PASSWORD, make_user
from tests.layout import layout_problems, phone_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def centro():
    zone = Zone.objects.create(code="CENTRO", name="Centro", kind=Zone.Kind.DISTRICT, population=80000,
                               geom=MultiPolygon(Polygon.from_bbox((7.66, 45.05, 7.71, 45.09)), srid=4326))  # fmt: skip
    departments = [Department.objects.get(code=code) for code in ("lighting", "municipal_police")]
    for department in departments:
        department.zones.set([zone])
    make_user("officer-place", "officer")
    return {"zone": zone, "lighting": departments[0], "police": departments[1]}


def log_in(page, next_path: str, button: str = "Accedi") -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("#id_username", "officer-place")
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"**{next_path}")


def test_an_officer_opens_a_case_from_the_zone_page(browser, web_server, centro):
    context = browser.new_context(base_url=web_server, locale="it-IT", viewport={"width": 1440, "height": 900})
    context.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
    page = context.new_page()
    page.set_default_timeout(20000)
    log_in(page, "/dashboard/zones/CENTRO/")
    page.get_by_role("link", name=re.compile("Apri un caso qui")).click()
    page.wait_for_url(re.compile(r"/cases/new/\?zone=CENTRO$"))
    assert page.locator("#id_zone").input_value() == "CENTRO"
    assert page.locator("#id_title").input_value() == "Caso in Centro"
    assert page.locator(f"#dep-{centro['lighting'].pk}").is_checked()
    assert page.locator(f"#dep-{centro['police'].pk}").is_checked()
    page.locator(f"label[for=dep-{centro['police'].pk}]").click()  # only lighting, this time
    page.fill("#id_lat", "45.07")
    page.fill("#id_lon", "7.68")
    page.select_option("#id_priority", "high")
    page.get_by_role("button", name="Apri il caso").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get(zone=centro["zone"])
    assert list(case.tasks.values_list("department__code", "priority")) == [("lighting", "high")]
    assert (case.place.x, case.place.y) == (7.68, 45.07)
    context.close()


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("viewport", ["phone", "narrow"])
def test_the_case_form_on_a_place_reads_well_on_a_phone(browser, web_server, centro, language, viewport):
    context = phone_context(browser, web_server, viewport=viewport, language=language)
    page = context.new_page()
    page.set_default_timeout(20000)
    log_in(page, "/cases/new/?zone=CENTRO", button="Accedi" if language == "it" else "Log in")
    assert layout_problems(page, f"case-new-{viewport}-{language}") == {}
    context.close()


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_case_form_on_a_place_reads_well_on_a_desktop(browser, web_server, centro, language):
    context = browser.new_context(base_url=web_server, viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": "django_language", "value": language, "url": web_server}])
    page = context.new_page()
    log_in(page, "/cases/new/?zone=CENTRO", button="Accedi" if language == "it" else "Log in")
    assert layout_problems(page, f"case-new-desktop-{language}", axe=False) == {}
    context.close()
