"""The dashboards' tables open in a spreadsheet: XLSX with the CSV's rows, numbers as numbers, and no cell that a
spreadsheet would run as a formula."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from city.xlsxexport import CONTENT_TYPE, xlsx_bytes
from dashboards.tests.test_dashboard import answered, read_csv  # noqa: F401 (answered is a fixture)

pytestmark = pytest.mark.django_db


def read_xlsx(response) -> list[dict]:
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_zone_table_as_xlsx_has_the_csv_rows_with_typed_numbers(client, officer, answered):  # noqa: F811
    west, _east = answered
    west.name = '=HYPERLINK("http://evil.example","Centro")'
    west.save()
    client.force_login(officer)
    params = {"metric": "share_feeling_safe", "slot": "night", "period": "rolling28"}
    sheet = read_xlsx(client.get(reverse("dashboard"), params | {"format": "xlsx"}))
    text = read_csv(client.get(reverse("dashboard"), params | {"format": "csv"}))
    assert [r["code"] for r in sheet] == [r["code"] for r in text] and set(sheet[0]) == set(text[0])
    by_code = {r["code"]: r for r in sheet}
    assert by_code["W"]["n"] == 3 and isinstance(by_code["W"]["value"], float)  # numbers stay numbers
    assert by_code["W"]["name"] == "'" + west.name  # shown as text, never run


def test_every_dashboard_table_offers_xlsx(client, officer, answered):  # noqa: F811
    west, _east = answered
    client.force_login(officer)
    for url in (reverse("dashboard-hotspots"), reverse("dashboard-alerts"), reverse("dashboard-compare") + "?zones=W,E",
                reverse("dashboard-zone", args=[west.code]) + "?table=slots"):  # fmt: skip
        separator = "&" if "?" in url else "?"
        response = client.get(f"{url}{separator}format=xlsx")
        assert response.status_code == 200, url
        read_xlsx(response)


def test_negative_numbers_are_values_and_formula_text_is_guarded():
    sheet = load_workbook(io.BytesIO(xlsx_bytes("t", ["a", "b"], [[-3.5, "-1+2"], ["@SUM(A1)", None]]))).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        [-3.5, "'-1+2"],
        ["'@SUM(A1)", None],
    ]
