"""GeoReport v2 bodies in both formats: JSON arrays/objects and the XML the specification shows."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# How a list inside an element is spelt in XML: <formats><format>..</format></formats>, etc.
XML_LIST_ITEM = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


# What XML 1.0 cannot carry, even escaped: C0 controls but tab, newline and carriage return, unpaired
# surrogates, U+FFFE and U+FFFF. PostgreSQL text holds them (all but NUL), and one of them in one
# description would make the whole list unreadable to every Open311 client.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` with the characters XML 1.0 does not allow removed."""
    return XML_ILLEGAL.sub("", value)


def _xml_value(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(element, key, inner)
    elif isinstance(value, list):
        item_tag = XML_LIST_ITEM.get(tag, "item")
        for inner in value:
            _xml_value(element, item_tag, inner)
    elif value is None:
        pass
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = xml_text(str(value))


def render(data: Any, fmt: str, *, root: str, item: str | None = None, status: int = 200) -> HttpResponse:
    """``data`` is a list (rendered as <root><item>..</item></root>) or a dict (<root>..</root>)."""
    if fmt == "json":
        import json

        body = json.dumps(data, ensure_ascii=False)
    else:
        element = ET.Element(root)
        if isinstance(data, list):
            for entry in data:
                _xml_value(element, item, entry)
        else:
            for key, value in data.items():
                _xml_value(element, key, value)
        body = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="unicode")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The specification's error body: a list of {code, description}."""
    data = [{"code": status, "description": description} for description in descriptions]
    return render(data, fmt if fmt in CONTENT_TYPES else "json", root="errors", item="error", status=status)
