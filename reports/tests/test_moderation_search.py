"""The moderation queue's search box finds reports by words of their description and address, whatever the
accents and case, and by parts of words; every word typed must be found; what a person types is text, never a
pattern."""

import pytest
from django.urls import reverse

from .factories import submit

pytestmark = pytest.mark.django_db
QUEUE = reverse("reports:moderation")


@pytest.fixture
def reports(two_zones, category):
    return {
        "caffe": submit(category, description="Davanti al Caffè Fiorio non c'è luce", address="Via Po 8"),
        "lampioni": submit(
            category, description="Tre lampioni spenti da una settimana", address="Corso Vittorio Emanuele II"
        ),
        "piazza": submit(category, description="Piazza buia, 100% al buio", address="Piazza Città"),
    }


def found(client, q) -> set[str]:
    response = client.get(QUEUE, {"q": q, "show": "all"})
    assert response.status_code == 200
    return {r.tracking_code for r in response.context["page"]}


def test_search_ignores_accents_and_case(client, moderator, reports):
    client.force_login(moderator)
    caffe = reports["caffe"].tracking_code
    assert found(client, "caffe") == {caffe}
    assert found(client, "CAFFÈ") == {caffe}
    assert found(client, "citta") == {reports["piazza"].tracking_code}  # in the address


def test_search_finds_parts_of_words_in_the_description_and_the_address(client, moderator, reports):
    client.force_login(moderator)
    assert found(client, "lampion") == {reports["lampioni"].tracking_code}
    assert found(client, "emanu") == {reports["lampioni"].tracking_code}


def test_every_word_typed_must_be_found(client, moderator, reports):
    client.force_login(moderator)
    assert found(client, "lampion vittorio") == {reports["lampioni"].tracking_code}
    assert found(client, "lampion fiorio") == set()


def test_what_is_typed_is_text_not_a_pattern(client, moderator, reports):
    client.force_login(moderator)
    assert found(client, "100%") == {reports["piazza"].tracking_code}
    assert found(client, "%") == {reports["piazza"].tracking_code}
    assert found(client, "_") == set()
    assert found(client, "\\") == set()


def test_a_tracking_code_still_finds_its_report(client, moderator, reports):
    client.force_login(moderator)
    code = reports["caffe"].tracking_code
    assert found(client, code[:5].lower()) >= {code}
