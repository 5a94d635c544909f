"""manage.py import_population: residents by zone, sex and age in ISTAT's shapes, summed into the 14+ bands."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from surveys.models import PopulationMargin


def write(tmp_path, text: str):
    path = tmp_path / "population.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def margins(zone_code: str) -> dict[tuple[str, str], int]:
    rows = PopulationMargin.objects.filter(zone__code=zone_code).values_list("sex", "age_band", "residents")
    return {(sex, band): residents for sex, band, residents in rows}


def test_istats_wide_shape_in_single_years_is_summed_into_bands_without_the_under_14s(two_zones, tmp_path):
    lines = ["Codice zona;Età;Totale maschi;Totale femmine"]
    lines += [f"W;{age};10;11" for age in range(0, 100)] + ["W;100 e oltre;1;3"]
    lines += ["W;Totale;1001;1103"]
    call_command("import_population", write(tmp_path, "\n".join(lines) + "\n"), reference_date="2025-01-01")
    west = margins("W")
    assert west[("M", "14-17")] == 40 and west[("F", "14-17")] == 44
    assert west[("M", "25-34")] == 100 and west[("F", "75+")] == 25 * 11 + 3
    assert sum(west.values()) == (100 - 14) * 21 + 4
    assert set(PopulationMargin.objects.values_list("reference_date", flat=True)).pop().isoformat() == "2025-01-01"


def test_the_long_shape_in_bands_replaces_the_zones_margins_at_that_date(two_zones, tmp_path):
    rows = "\n".join(
        f"E,{sex},{band},{n}"
        for sex, n in (("M", 5), ("F", 6))
        for band in ("14-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
    )
    path = write(tmp_path, "zone_code,sex,age,residents\n" + rows + "\n")
    call_command("import_population", path, reference_date="2025-01-01")
    call_command("import_population", path, reference_date="2025-01-01")  # again: replaced, not doubled
    assert margins("E")[("F", "75+")] == 6
    assert PopulationMargin.objects.filter(zone__code="E").count() == 16


def test_a_bad_file_is_refused_whole_with_line_and_column(two_zones, tmp_path):
    path = write(
        tmp_path,
        "zone_code,sex,age,residents\n"
        "W,M,30,100\n"  # good
        "NOWHERE,M,31,100\n"
        "W,X,32,100\n"
        "W,F,20-29,100\n"  # straddles 18-24 and 25-34
        "W,F,33,many\n"
        "W,M,30,100\n",  # twice
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_population", path, reference_date="2025-01-01")
    message = str(refused.value)
    for expected in (
        "line 3, column zone_code",
        "line 4, column sex",
        "line 5, column age",
        "line 6, column residents",
        "line 7, column age",
    ):
        assert expected in message, message
    assert not PopulationMargin.objects.exists()


def test_a_totals_row_that_does_not_add_up_is_refused(two_zones, tmp_path):
    path = write(tmp_path, "zone_code,age,males,females\nW,40,10,10\nW,Totale,11,10\n")
    with pytest.raises(CommandError, match="line 3: the total for W M is 11, the rows add up to 10"):
        call_command("import_population", path, reference_date="2025-01-01")
    assert not PopulationMargin.objects.exists()


def test_a_missing_column_or_a_bad_date_is_refused(two_zones, tmp_path):
    with pytest.raises(CommandError, match="missing column residents"):
        call_command("import_population", write(tmp_path, "zone_code,sex,age\nW,M,30\n"), reference_date="2025-01-01")
    with pytest.raises(CommandError, match="reference-date"):
        call_command("import_population", write(tmp_path, "zone_code,sex,age,residents\n"), reference_date="2025-13-01")
