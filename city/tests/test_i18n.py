"""Content kept in both languages shows in the page's language, Italian when the English text is missing."""

from django.utils import translation

from city.i18n import in_language


def test_italian_pages_show_the_italian_text():
    with translation.override("it"):
        assert in_language("Lampione spento", "Street light out") == "Lampione spento"


def test_english_pages_show_the_english_text():
    with translation.override("en"):
        assert in_language("Lampione spento", "Street light out") == "Street light out"


def test_english_pages_fall_back_to_italian_when_no_english_text_was_written():
    with translation.override("en"):
        assert in_language("Lampione spento", "") == "Lampione spento"
