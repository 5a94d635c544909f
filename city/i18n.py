"""The one rule for content kept in both languages (names, titles, descriptions stored as *_it / *_en)."""

from django.utils.translation import get_language


def english_active() -> bool:
    """True when the page is being rendered in English; Italian is the default for anything else."""
    return (get_language() or "it").startswith("en")


def in_language(italian: str, english: str) -> str:
    """The text for the active language; the Italian text when the English one is missing."""
    return (english or italian) if english_active() else italian


def sql_in_language(italian_column: str, english_column: str) -> str:
    """The SQL expression ``in_language`` is in Python, for two trusted column names (never user input):
    the English column when the page is in English and it is not empty, the Italian one otherwise."""
    if english_active():
        return f"COALESCE(NULLIF({english_column}, ''), {italian_column})"
    return italian_column
