"""The rules every text and every coordinate of the citizen channel passes, whichever way it came in (web form,
REST API, Open311, importer, moderation): one owner per rule, so the channels cannot drift apart.

A text is refused, with a message naming the field and its limit, when it is longer than its model column
(``Model._meta.get_field(name).max_length``), holds a character that PostgreSQL or XML 1.0 cannot carry (NUL,
an unpaired surrogate, a control character), or arrived damaged: Django decodes bytes that are not UTF-8 in
a form body (``%ED%A0%80``, a percent-encoded surrogate) as U+FFFD, which would be stored in place of what
the person wrote.
"""

from __future__ import annotations

import math
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

# Anything that looks like a tag (<b>, </p>, <!-- -->, <script ...>): plain text only.
HTML_TAG = re.compile(r"<\s*[/!]?\s*[a-zA-Z!][^>]*>")
# C0 controls but tab, newline and carriage return; DEL and C1 controls; unpaired surrogates; U+FFFD (what
# a decoder puts for bytes that were not UTF-8); U+FFFE and U+FFFF (not characters, illegal in XML 1.0).
REFUSED_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufffe\uffff]")
COORDINATE_BOUNDS = {"latitude": 90.0, "longitude": 180.0}


def column_limit(model: type[models.Model], field: str) -> int | None:
    """The most characters ``model.field`` holds: its column's (or its declared) ``max_length``."""
    return model._meta.get_field(field).max_length


def field_label(model: type[models.Model], field: str) -> str:
    return capfirst(str(model._meta.get_field(field).verbose_name))


def refused_character_message(value: str, label: str) -> str | None:
    """Why ``value`` cannot be taken, naming its first unacceptable character; None when every one is fine."""
    match = REFUSED_CHARACTER.search(value)
    if match is None:
        return None
    character = match.group()
    code = f"U+{ord(character):04X}"
    if character == "\x00":
        return _("%(label)s contains a NUL character (U+0000), which cannot be stored; please remove it.") % {
            "label": label
        }
    if "\ud800" <= character <= "\udfff":
        return _(
            "%(label)s contains an unpaired surrogate (%(code)s), which is not a character; "
            "please send the text as UTF-8."
        ) % {"label": label, "code": code}
    if character == "\ufffd":
        return _(
            "%(label)s contains U+FFFD, the sign of text that was not valid UTF-8 on the way here "
            "(such as an encoded surrogate); please send it again as UTF-8."
        ) % {"label": label}
    return _("%(label)s contains the control character %(code)s at position %(position)s; please remove it.") % {
        "label": label,
        "code": code,
        "position": match.start() + 1,
    }


def clean_text(
    value: object,
    *,
    model: type[models.Model],
    field: str,
    key: str | None = None,
    label: str | None = None,
    plain: bool = True,
) -> str:
    """``value`` stripped, if ``model.field`` can hold it; else a ValidationError on ``key`` (default ``field``).

    ``plain`` also refuses HTML tags (the citizen's and the moderators' texts are plain text).
    """
    key = key or field
    label = label or field_label(model, field)
    text = "" if value is None else str(value).strip()
    limit = column_limit(model, field)
    if limit is not None and len(text) > limit:
        raise ValidationError(
            {key: _("%(label)s: at most %(limit)s characters, please (this one has %(length)s).")
             % {"label": label, "limit": limit, "length": len(text)}},
            code="max_length",
        )  # fmt: skip
    problem = refused_character_message(text, label)
    if problem:
        raise ValidationError({key: problem}, code="character")
    if plain and HTML_TAG.search(text):
        raise ValidationError({key: _("Please write plain text: HTML tags such as <b> are not accepted.")})
    return text


def coordinate_message(field: str) -> str:
    if field == "latitude":
        return _("Latitude must be a number between -90 and 90 (decimal degrees, WGS84).")
    return _("Longitude must be a number between -180 and 180 (decimal degrees, WGS84).")


def parse_coordinate(raw: object, *, field: str, key: str | None = None) -> float:
    """A latitude or longitude (``field``) in decimal degrees from a number or a text such as "45.07" or "45,07".

    NaN, infinities, booleans, numbers too large for a float and values outside the range are refused
    with a ValidationError on ``key`` (default ``field``) naming the coordinate and its range.
    """
    bound = COORDINATE_BOUNDS[field]
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise ValueError
        number = float(raw.strip().replace(",", ".") if isinstance(raw, str) else raw)
    except (ValueError, OverflowError):
        number = math.nan
    if not (math.isfinite(number) and -bound <= number <= bound):
        raise ValidationError({key or field: coordinate_message(field)}, code="coordinate")
    return number
