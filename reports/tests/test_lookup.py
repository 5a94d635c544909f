"""The way back to a report: its tracking code, however typed, from the home page, /reports/ and the 404."""

import pytest
from django.urls import reverse

from reports.models import (
    TRACKING_ALPHABET,
    characters_never_in_codes,
    normalise_tracking_code,
)

from .factories import submit

pytestmark = pytest.mark.django_db
LOOKUP = reverse("reports:lookup")


@pytest.fixture
def report(two_zones, category):
    return submit(category)


def spaced_lower(code: str) -> str:
    return f" {code[:4].lower()} - {code[4:].lower()} "


def test_a_code_typed_in_lower_case_with_spaces_and_a_dash_finds_the_report(client, report):
    response = client.get(LOOKUP, {"code": spaced_lower(report.tracking_code)})
    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()


def test_the_status_page_forgives_the_same_in_its_address(client, report):
    code = report.tracking_code
    assert client.get(f"/reports/{code[:4].lower()}-{code[4:].lower()}/").status_code == 200


def test_an_unknown_code_comes_back_on_the_lookup_page_with_a_404_in_italian(client, report):
    response = client.get(LOOKUP, {"code": "ZZZZ2222"})
    assert response.status_code == 404
    page = response.content.decode()
    assert "Nessuna segnalazione ha il codice ZZZZ2222" in page
    assert 'aria-invalid="true"' in page and 'id="id_code_error"' in page
    assert 'value="ZZZZ2222"' in page


def test_a_code_with_characters_codes_never_hold_says_which(client, report):
    client.cookies["django_language"] = "en"
    page = client.get(LOOKUP, {"code": "8GV7HY0O"}).content.decode()
    assert "Codes never contain 0, O, 1, I, L" in page


def test_an_empty_code_asks_for_one(client, db):
    response = client.get(LOOKUP, {"code": "   "})
    assert response.status_code == 400
    assert "Scrivi il codice della tua segnalazione." in response.content.decode()


def test_the_lookup_page_and_the_home_page_carry_the_field(client, db):
    for url in (LOOKUP, reverse("home")):
        response = client.get(url)
        assert response.status_code == 200
        assert 'name="code"' in response.content.decode()


def test_a_mistyped_code_in_the_address_gets_the_sites_404_with_the_lookup(client, db):
    for language, title in (("it", "Pagina non trovata"), ("en", "Page not found")):
        client.cookies["django_language"] = language
        response = client.get("/reports/NOPE2345/")
        assert response.status_code == 404
        page = response.content.decode()
        assert title in page and 'name="code"' in page and 'class="it-header-wrapper"' in page


def test_confusable_characters_map_to_the_one_the_alphabet_holds():
    assert normalise_tracking_code(" 8gv7 hy9w ") == "8GV7HY9W"
    # The observatory's alphabet holds neither 0 nor O, neither 1 nor I nor L: nothing is guessed.
    assert normalise_tracking_code("o0i1l") == "O0I1L"
    assert characters_never_in_codes() == "0, O, 1, I, L"
    # An alphabet holding one of each group reads the other members as that one (Crockford's base 32).
    crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert normalise_tracking_code("o0-il1", alphabet=crockford) == "00111"
    assert set(normalise_tracking_code("OIL", alphabet=TRACKING_ALPHABET)) == {"O", "I", "L"}
