"""In a phone's browser, in Italian: an organisation's contact person registers, confirms the e-mail by the link,
starts an application, saves a draft with its document, comes back, submits it and downloads the PDF receipt
with its protocol number. The form also works without JavaScript, at 320 px and on a desktop, in English."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from city.models import OutboundEmail
from grants.models import ApplicationDraft
from grants.tests.applicants_support import applicant, open_call
from tests.layout import layout_problems, phone_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "notte-sicura-2027"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def fill_application(page, call, zones) -> None:
    page.fill("#id_org_name", "Associazione Quartiere Vivo")
    page.select_option("#id_org_legal_form", "association")
    page.fill("#id_org_tax_code", "97512340015")
    page.fill("#id_org_address", "Via Po 1, 10124 Torino")
    page.fill("#id_legal_rep_name", "Mario Rossi")
    page.fill("#id_legal_rep_tax_code", "rssmra80a01l219m")
    page.fill("#id_title", "Luci in piazza")
    page.fill("#id_summary", "Animazione serale della piazza, tre sere a settimana.")
    if page.locator("#zone-choices").get_attribute("open") is None:  # folded under the sites' map
        page.click("#zone-choices summary")
    zone_id = page.locator(f"input[name=zones][value='{zones[0].pk}']").get_attribute("id")
    page.click(f"label[for={zone_id}]")  # Bootstrap Italia draws the box on the label
    page.fill("#id_start_on", f"{timezone.localdate().year + 1}-02-01")
    page.fill("#id_end_on", f"{timezone.localdate().year + 2}-01-31")
    page.click("label[for=id_night_service]")
    # The site: a tap on the map where JavaScript draws it, else its coordinates typed (the address works too).
    page.fill("#site-0-name", "Piazza del mercato")
    if page.locator("#sites-map").is_visible():
        page.locator("#sites-map").click()  # the middle of the city
        expect(page.locator("#site-0-lat")).not_to_have_value("")
        expect(page.locator("#site-0-where")).to_contain_text("Sei in:")
    else:
        point = zones[0].geom.point_on_surface
        page.locator("#site-rows .site-coordinates summary").first.click()
        page.fill("#site-0-lat", f"{point.y:.6f}")
        page.fill("#site-0-lon", f"{point.x:.6f}")
    page.fill("#team-0-full_name", "Giulia Bianchi")
    page.fill("#team-0-role", "Coordinatrice")
    page.fill("#team-0-hours", "400")
    for declaration in call.declarations.all():
        page.click(f"label[for=id_decl_{declaration.pk}]")
    page.fill("#line-0-description", "Animatori serali")
    page.fill("#line-0-requested", "30000,00")
    page.fill("#line-0-co_financing", "5000,00")
    required = call.attachment_types.get(required=True)
    page.set_input_files(
        f"#id_doc_{required.pk}", files=[{"name": "progetto.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )


def start_draft(browser, web_server, user, call, *, viewport: str, language: str, javascript: bool = True):
    """A browser (a 1440x900 desktop, or tests/layout.py's phone sizes) whose outside requests fail, logged in
    as the applicant ``user``, on a new draft of ``call``."""
    from conftest import TEST_PASSWORD

    if viewport == "desktop":
        context = browser.new_context(
            base_url=web_server, viewport={"width": 1440, "height": 900}, java_script_enabled=javascript
        )
        context.add_cookies([{"name": "django_language", "value": language, "url": web_server}])
        context.route("**/*", lambda r: r.abort() if "127.0.0.1" not in r.request.url else r.continue_())
    else:
        context = phone_context(browser, web_server, viewport=viewport, language=language, javascript=javascript)
    page = context.new_page()
    page.set_default_timeout(30000)  # two cores shared by the whole team: the first page can be slow
    page.goto("/apply/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("#applicant-login button[type=submit]").click()
    page.wait_for_url("**/apply/mine/")
    page.locator(f".apply-button[data-call='{call.pk}']").click()
    page.wait_for_selector("#draft-form")
    return context, page


def test_an_applicant_registers_applies_with_a_document_and_downloads_the_receipt(browser, web_server, grid):
    call = open_call()
    context = phone_context(browser, web_server, viewport="phone", language="it")
    page = context.new_page()
    page.set_default_timeout(30000)  # two cores shared by the whole team: the first page can be slow

    page.goto("/apply/")
    assert "Europe/Rome" in page.locator("#open-calls").inner_text()
    page.click("#to-register")
    page.fill("#id_full_name", "Anna Bianchi")
    page.fill("#id_email", "anna@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("label[for=id_privacy]")
    assert layout_problems(page, "applicants-register-phone-it") == {}
    page.get_by_role("button", name="Registrati").click()
    page.wait_for_selector("#register-done")

    link = re.search(
        r"https?://\S+(/apply/verify/\S+/)", OutboundEmail.objects.get(kind="grants.applicant.verify").body
    )
    page.goto(link.group(1))
    page.wait_for_url("**/apply/login/")
    assert "confermato" in page.locator(".alert").first.inner_text()
    page.fill("#id_username", "anna@example.org")
    page.fill("#id_password", PASSWORD)
    page.locator("#applicant-login button[type=submit]").click()
    page.wait_for_url("**/apply/mine/")
    assert page.locator("h1").inner_text() == "Le mie domande"

    page.locator(f".apply-button[data-call='{call.pk}']").click()
    page.wait_for_selector("#draft-form")
    assert "Europe/Rome" in page.locator("#deadline").inner_text()
    fill_application(page, call, grid)
    page.click("#save-draft")
    page.wait_for_selector(".alert-success")
    assert "Bozza salvata" in page.locator(".alert-success").inner_text()

    # Come back later: everything is there, the document too.
    page.goto("/apply/mine/")
    page.locator("#my-applications a").first.click()
    assert page.input_value("#id_title") == "Luci in piazza"
    assert page.input_value("#id_legal_rep_tax_code") == "RSSMRA80A01L219M"
    assert page.input_value("#id_start_on") == f"{timezone.localdate().year + 1}-02-01"  # a date input reads ISO
    assert "progetto.pdf" in page.locator("#uploaded").inner_text()
    site = ApplicationDraft.objects.get().sites.get()
    assert site.name == "Piazza del mercato" and site.zone_id in {z.pk for z in grid}
    assert page.input_value("#site-0-lat") == f"{site.point.y:.6f}"
    assert site.zone.name in page.locator("#site-0-where").inner_text()
    assert page.locator(".leaflet-marker-icon").count() == 1  # the saved site is on the map again
    assert layout_problems(page, "applicants-draft-phone-it") == {}

    page.click("#submit-application")
    page.wait_for_selector("#protocol-number")
    draft = ApplicationDraft.objects.get()
    assert (
        page.locator("#protocol-number").inner_text() == draft.protocol_number == f"{timezone.localdate().year}/000001"
    )
    assert layout_problems(page, "applicants-submitted-phone-it") == {}
    with page.expect_download() as download:
        page.click("#receipt-link")
    path = download.value.path()
    with open(path, "rb") as receipt:
        assert receipt.read(5) == b"%PDF-"
    assert download.value.suggested_filename == f"ricevuta-{draft.protocol_number.replace('/', '-')}.pdf"
    assert OutboundEmail.objects.filter(kind="grants.receipt", to="anna@example.org").count() == 1
    context.close()


@pytest.mark.parametrize(("viewport", "language"), [("narrow", "en"), ("narrow", "it"), ("desktop", "en")])
def test_the_form_works_without_javascript_at_320px_and_on_a_desktop(browser, web_server, grid, viewport, language):

    call = open_call()
    user = applicant(language=language)
    context, page = start_draft(browser, web_server, user, call, viewport=viewport, language=language, javascript=False)
    fill_application(page, call, grid)
    page.fill("#id_org_tax_code", "97512340016")  # a wrong check digit: said in the person's language
    page.click("#save-draft")
    error = page.locator("#id_org_tax_code_error").inner_text()
    assert ("check digit does not match" if language == "en" else "carattere di controllo non corrisponde") in error
    # axe-core needs JavaScript: the same pages are checked with it in the journey above.
    assert layout_problems(page, f"applicants-draft-error-{viewport}-{language}", axe=False) == {}
    page.fill("#id_org_tax_code", "97512340015")
    required = call.attachment_types.get(required=True)
    page.set_input_files(
        f"#id_doc_{required.pk}", files=[{"name": "progetto.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.click("#submit-application")
    page.wait_for_selector("#protocol-number")
    assert layout_problems(page, f"applicants-submitted-{viewport}-{language}", axe=False) == {}
    context.close()


@pytest.mark.parametrize(("viewport", "language"), [("desktop", "en"), ("narrow", "it")])
def test_sites_go_on_the_map_by_address_and_by_keyboard(browser, web_server, grid, viewport, language):
    """Two sites: the first by typing its address (the pin goes to the street), the second with the keyboard
    (focus its row, then the map, and Enter places it at the map's centre). Both are saved with their zones."""
    from django.contrib.gis.geos import LineString, MultiLineString

    from city.models import Street
    from grants.tests.conftest import cell_centre

    x, y = cell_centre(1, 2)
    Street.objects.create(name="Via Nizza", geom=MultiLineString(LineString((x - 0.003, y), (x + 0.003, y))))
    call = open_call()
    user = applicant(language=language)
    context, page = start_draft(browser, web_server, user, call, viewport=viewport, language=language)
    expect(page.locator("#sites-map")).to_be_visible()

    page.fill("#site-0-name", "Casa del quartiere")
    page.locator("#site-0-address").press_sequentially("Via Nizza", delay=20)
    expect(page.locator("#site-0-lat")).not_to_have_value("")
    expect(page.locator("#site-0-where")).to_contain_text("G12")

    page.fill("#site-1-name", "Giardino")  # the row being filled is the one the map places
    page.focus("#sites-map")
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # Leaflet's own keys move the map
    page.keyboard.press("Enter")
    expect(page.locator("#site-1-lat")).not_to_have_value("")
    assert page.locator(".leaflet-marker-icon").count() == 2
    assert layout_problems(page, f"applicants-sites-{viewport}-{language}") == {}
    page.click("#save-draft")
    page.wait_for_selector(".alert-success")
    sites = list(ApplicationDraft.objects.get().sites.select_related("zone").order_by("id"))
    assert [s.name for s in sites] == ["Casa del quartiere", "Giardino"]
    assert sites[0].zone.code == "G12" and sites[0].address == "Via Nizza"
    assert all(s.zone_id in {z.pk for z in grid} for s in sites)
    context.close()
