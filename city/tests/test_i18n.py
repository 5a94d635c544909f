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


def test_sql_names_fall_back_to_italian_when_the_english_one_is_empty(db):
    from django.db import connection
    from django.utils import translation

    from city.i18n import sql_in_language

    def pick(italian: str, english: str) -> str:
        with connection.cursor() as cursor:
            sql = f"SELECT {sql_in_language('it_name', 'en_name')} FROM (SELECT %s AS it_name, %s AS en_name) t"
            cursor.execute(sql, [italian, english])
            return cursor.fetchone()[0]

    with translation.override("en"):
        assert pick("Illuminazione", "Lighting") == "Lighting"
        assert pick("Illuminazione", "") == "Illuminazione"
    with translation.override("it"):
        assert pick("Illuminazione", "Lighting") == "Illuminazione"
