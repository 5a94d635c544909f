"""Every page's frame: the citizens' menu for everyone, staff links only for signed-in staff, and the footer an
Italian public site must carry (privacy notice, accessibility statement, technical cookies only)."""

import pytest
from django.urls import reverse

from conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def menu(html: str, menu_id: str) -> str:
    start = html.find(f'id="{menu_id}"')
    return html[start : html.find("</ul>", start)] if start >= 0 else ""


def test_citizens_see_the_citizens_menu_and_no_staff_link(client):
    html = client.get(reverse("home")).content.decode()
    citizens = menu(html, "citizen-menu")
    assert "Segnala" in citizens and "Segui una segnalazione" in citizens and "Mappa delle segnalazioni" in citizens
    assert 'id="staff-menu"' not in html
    assert reverse("dashboard") not in html and reverse("reports:moderation") not in html


def test_a_moderator_also_gets_the_dashboard_and_moderation_links(client, moderator):
    client.login(username=moderator.username, password=TEST_PASSWORD)
    staff = menu(client.get(reverse("home")).content.decode(), "staff-menu")
    assert reverse("dashboard") in staff and reverse("reports:moderation") in staff


def test_an_officer_gets_the_dashboard_but_not_moderation(client, officer):
    client.login(username=officer.username, password=TEST_PASSWORD)
    staff = menu(client.get(reverse("home")).content.decode(), "staff-menu")
    assert reverse("dashboard") in staff and reverse("reports:moderation") not in staff


@pytest.mark.parametrize("url", ["/", "/reports/new/", "/reports/audit/new/", "/projects/", "/map/", "/privacy/"])
def test_every_public_page_has_the_footer_links_and_no_health_check_link(client, url, settings):
    settings.OBSERVATORY_ACCESSIBILITY_STATEMENT_URL = "https://form.agid.gov.it/view/example-statement"
    html = client.get(url).content.decode()
    assert 'href="/privacy/" id="footer-privacy"' in html
    assert 'href="https://form.agid.gov.it/view/example-statement" id="footer-accessibility"' in html
    assert "solo cookie tecnici" in html
    assert "healthz" not in html


def test_the_privacy_notice_names_the_citys_controller_dpo_and_retention(client, settings):
    settings.OBSERVATORY_PRIVACY_CONTROLLER = "Comune di Esempio, Via Roma 1"
    settings.OBSERVATORY_PRIVACY_DPO_CONTACT = "dpo@comune.esempio.it"
    settings.OBSERVATORY_CONTACT_RETENTION_DAYS = 90
    for language, words in (("it", "cancellata 90 giorni"), ("en", "erased 90 days")):
        client.cookies["django_language"] = language
        html = client.get(reverse("privacy")).content.decode()
        assert "Comune di Esempio, Via Roma 1" in html and "dpo@comune.esempio.it" in html and words in html
        for section in ("privacy-email", "privacy-photo", "privacy-address", "privacy-survey", "cookies"):
            assert f'id="{section}"' in html


def test_the_forms_that_collect_data_link_the_privacy_notice(client):
    for url in ("/reports/new/", "/reports/audit/new/"):
        assert 'href="/privacy/' in client.get(url).content.decode()


def test_the_head_has_no_inline_script(client):
    html = client.get(reverse("home")).content.decode()
    head = html[: html.index("</head>")]
    assert "<script>" not in head and "__PUBLIC_PATH__" not in head
    assert 'data-public-path="/static/vendor/bootstrap-italia/fonts"' in head
