"""Staff draw an intervention's place on the form's map (Leaflet-Geoman, served from static/) in a real browser,
with the mouse or with the keyboard alone; the saved intervention's geometry is the shape drawn. Without
JavaScript the GeoJSON field is the way. Map tiles never load here: drawing must not need them."""

import json
import re

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon

from city.models import Zone
from conftest import TEST_PASSWORD, make_user
from interventions.models import Intervention
from tests.layout import layout_problems, phone_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff():
    Zone.objects.create(code="CENTRO", name="Centro", kind=Zone.Kind.DISTRICT, population=80000,
                        geom=MultiPolygon(Polygon.from_bbox((7.55, 44.98, 7.80, 45.15)), srid=4326))  # fmt: skip
    return make_user("officer-draw", "officer")


def logged_in(browser, web_server, *, language="it", javascript=True, width=1440, height=900):
    context = browser.new_context(base_url=web_server, viewport={"width": width, "height": height},
                                  java_script_enabled=javascript)  # fmt: skip
    context.add_cookies([{"name": "django_language", "value": language, "url": web_server}])
    context.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
    page = context.new_page()
    page.set_default_timeout(40000)  # the shared test machine is slow at times
    page.goto("/accounts/login/?next=/interventions/new/")
    page.fill("#id_username", "officer-draw")
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/interventions/new/")
    return context, page


def fill_the_rest(page, what: str) -> None:
    page.fill("#id_what", what)
    page.select_option("#id_kind", "lighting_repair")
    page.fill("#id_start_on", "2026-11-02")


def drawn_geometry(page) -> dict:
    return json.loads(page.locator("#id_place_geojson").input_value())


def test_staff_draw_a_polygon_with_the_mouse_and_save_it(browser, web_server, staff):
    context, page = logged_in(browser, web_server)
    page.wait_for_selector("#intervention-map.leaflet-container")
    page.locator("#intervention-map").scroll_into_view_if_needed()
    page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-polygon").click()
    box = page.locator("#intervention-map").bounding_box()  # after the click, which may have scrolled
    corners = [(0.3, 0.3), (0.7, 0.3), (0.6, 0.75)]
    for fx, fy in corners:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    page.mouse.click(box["x"] + 0.3 * box["width"], box["y"] + 0.3 * box["height"])  # back on the first: closed
    geometry = drawn_geometry(page)
    assert geometry["type"] == "Polygon" and len(geometry["coordinates"][0]) == 4
    assert "Disegnato: un'area" in page.locator("#intervention-map-status").inner_text()
    fill_the_rest(page, "Nuovi lampioni in via Nizza")
    page.get_by_role("button", name="Registra").click()
    page.wait_for_url(re.compile(r"/interventions/\d+/$"))
    place = Intervention.objects.get(what="Nuovi lampioni in via Nizza").place
    assert place.geom_type == "Polygon"
    assert place.equals_exact(GEOSGeometry(json.dumps(geometry), srid=4326), tolerance=1e-9)
    context.close()


def test_staff_draw_an_area_with_the_keyboard_alone(browser, web_server, staff):
    context, page = logged_in(browser, web_server, language="en")
    page.wait_for_selector("#intervention-map.leaflet-container")

    def press(name: str) -> None:
        page.get_by_role("button", name=name).focus()
        page.keyboard.press("Enter")

    def pan(key: str) -> None:
        page.locator("#intervention-map").focus()
        for _ in range(3):
            page.keyboard.press(key)
        page.wait_for_timeout(300)  # the pan's animation

    press("Start an area")
    press("Add a corner at the cross")
    pan("ArrowRight")
    press("Add a corner at the cross")
    pan("ArrowDown")
    press("Add a corner at the cross")
    assert "Corners so far: 3" in page.locator("#intervention-map-status").inner_text()
    press("Finish the shape")
    geometry = drawn_geometry(page)
    ring = geometry["coordinates"][0]
    assert geometry["type"] == "Polygon" and len({tuple(c) for c in ring}) == 3
    fill_the_rest(page, "Patrols around the station")
    page.get_by_role("button", name="Record").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/interventions/\d+/$"))
    place = Intervention.objects.get(what="Patrols around the station").place
    assert place.equals_exact(GEOSGeometry(json.dumps(geometry), srid=4326), tolerance=1e-9)
    context.close()


def test_without_javascript_the_place_is_given_as_geojson(browser, web_server, staff):
    context, page = logged_in(browser, web_server, javascript=False)
    assert not page.locator("#intervention-map").is_visible()
    assert not page.locator("#intervention-map-tools").is_visible()
    area = {"type": "Polygon", "coordinates": [[[7.66, 45.06], [7.67, 45.06], [7.67, 45.07], [7.66, 45.06]]]}
    page.fill("#id_place_geojson", json.dumps(area))
    fill_the_rest(page, "Evento notturno")
    page.get_by_role("button", name="Registra").click()
    page.wait_for_url(re.compile(r"/interventions/\d+/$"))
    assert Intervention.objects.get(what="Evento notturno").place.geom_type == "Polygon"
    context.close()


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("viewport", ["phone", "narrow"])
def test_the_drawing_form_reads_well_on_a_phone(browser, web_server, staff, viewport, language):
    context = phone_context(browser, web_server, viewport=viewport, language=language)
    page = context.new_page()
    page.set_default_timeout(40000)  # the shared test machine is slow at times
    page.goto("/accounts/login/?next=/interventions/new/")
    page.fill("#id_username", "officer-draw")
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_selector("#intervention-map.leaflet-container")
    assert layout_problems(page, f"intervention-draw-{viewport}-{language}") == {}
    context.close()


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_drawing_form_reads_well_on_a_desktop(browser, web_server, staff, language):
    context, page = logged_in(browser, web_server, language=language)
    page.wait_for_selector("#intervention-map.leaflet-container")
    assert layout_problems(page, f"intervention-draw-desktop-{language}", axe=False) == {}
    context.close()
