"""The one JSON parser of the observatory: every JSON body (REST API, sensor batches, MQTT payloads) is read here.

It refuses, with a message naming the limit, what the standard library would turn into a server error
or silently accept: nesting deeper than ``OBSERVATORY_JSON_MAX_DEPTH`` (a 50,000-deep array makes the
C decoder recurse until RecursionError), bodies over ``OBSERVATORY_JSON_MAX_BYTES``, invalid UTF-8 or
lone surrogates (``"\\ud800"`` cannot be stored in PostgreSQL text), NaN and Infinity (not JSON), and
duplicate keys in one object (``{"readings": [...], "readings": [...]}`` would keep the last silently).
"""

from __future__ import annotations

import json
import math
import re
import sys

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

# Strings are removed before brackets are counted, so a "[" inside a string does not count as nesting.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class JSONInputError(ValueError):
    """A JSON text the observatory refuses; the message says why, in the active language."""


def _max_depth(text: str) -> int:
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise JSONInputError(_("The key “%(key)s” appears twice in one JSON object; send it once.") % {"key": key})
        seen[key] = value
    return seen


def _no_constant(name: str):
    raise JSONInputError(_("%(name)s is not a JSON number; send null or a finite number.") % {"name": name})


def _int(text: str) -> int:
    # Python refuses to read integers of more than sys.get_int_max_str_digits() digits (a ValueError).
    if len(text.lstrip("-")) > sys.get_int_max_str_digits():
        raise JSONInputError(
            _("A number in the JSON has %(digits)s digits; at most %(limit)s are accepted.")
            % {"digits": len(text.lstrip("-")), "limit": sys.get_int_max_str_digits()}
        )
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to infinity, which is not a JSON number either
        raise JSONInputError(_("The number %(number)s is too large; send a finite number.") % {"number": text[:40]})
    return value


def _check_strings(value) -> None:
    """Refuse lone surrogates anywhere (keys or values): PostgreSQL cannot store them."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise JSONInputError(
                    _("The JSON text holds an unpaired surrogate (\\ud800-\\udfff), which is not a character.")
                ) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads_limited(data: bytes | str, *, max_bytes: int | None = None, max_depth: int | None = None):
    """Parse a JSON text within the observatory's limits; raises JSONInputError with a readable message."""
    max_bytes = settings.OBSERVATORY_JSON_MAX_BYTES if max_bytes is None else max_bytes
    max_depth = settings.OBSERVATORY_JSON_MAX_DEPTH if max_depth is None else max_depth
    if len(data) > max_bytes:
        raise JSONInputError(
            _("The JSON body is %(size)s bytes; at most %(limit)s are accepted.")
            % {"size": len(data), "limit": max_bytes}
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JSONInputError(
                _("The body is not valid UTF-8 (byte %(position)s).") % {"position": exc.start}
            ) from None
    if _max_depth(data) > max_depth:
        raise JSONInputError(
            _("The JSON is nested more than %(limit)s levels deep; flatten it.") % {"limit": max_depth}
        )
    try:
        value = json.loads(
            data, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant, parse_int=_int, parse_float=_float
        )
    except JSONInputError:
        raise
    except json.JSONDecodeError as exc:
        raise JSONInputError(
            _("The body is not valid JSON: %(reason)s at line %(line)s, column %(column)s.")
            % {"reason": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from None
    except RecursionError:  # a guard behind the depth check
        raise JSONInputError(
            _("The JSON is nested more than %(limit)s levels deep; flatten it.") % {"limit": max_depth}
        ) from None
    _check_strings(value)
    return value


class LimitedJSONParser(BaseParser):
    """A JSON parser with the observatory's limits; a refused body is a 400 whose detail says why.

    Not a subclass of DRF's JSONParser on purpose: for those DRF reads the whole body through
    ``request.body`` first, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) would answer a large body
    with its bare HTML "Bad Request (400)" before these limits are looked at. This one reads at most
    OBSERVATORY_JSON_MAX_BYTES + 1 bytes from the request's stream, and refuses a declared
    Content-Length over the limit without reading anything.
    """

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.OBSERVATORY_JSON_MAX_BYTES
        request = (parser_context or {}).get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > limit:
            message = _("The JSON body is %(size)s bytes; at most %(limit)s are accepted.")
            raise ParseError(message % {"size": declared, "limit": limit})
        data = stream.read(limit + 1) if stream is not None else b""
        try:
            return loads_limited(data)
        except JSONInputError as exc:
            raise ParseError(str(exc)) from None
