"""The civic-number register: a CSV shaped like ANNCSU's imported all or nothing, every problem named by line."""

import pytest
from django.core.management import CommandError, call_command

from city.civic_numbers import CivicNumberImportError, Columns, civic_numbers_import, parse_address
from city.models import CivicNumber

pytestmark = pytest.mark.django_db

# As an Italian city's open data portal publishes it: semicolons, capitals, decimal commas, SNC rows.
ANNCSU_CSV = """CODICE_ISTAT;DUG;DENOMINAZIONE;CIVICO;ESPONENTE;COORD_X;COORD_Y
001272;VIA;ROMA;12;;7,6812;45,0680
001272;VIA;ROMA;12;A;7,6813;45,0681
001272;VIA;ROMA;14;;7,6815;45,0684
001272;CORSO;VITTORIO EMANUELE II;5;BIS;7,6790;45,0620
001272;VIA;ROMA;SNC;;7,6800;45,0670
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_national_register_csv_is_imported_with_its_numbers_suffixes_and_points(tmp_path):
    result = civic_numbers_import(path=write(tmp_path, "civici.csv", ANNCSU_CSV))
    assert result.imported == 4 and result.skipped_without_number == 1
    assert sorted(c.label for c in CivicNumber.objects.all()) == [
        "CORSO VITTORIO EMANUELE II 5 bis", "VIA ROMA 12", "VIA ROMA 12/A", "VIA ROMA 14",
    ]  # fmt: skip
    door = CivicNumber.objects.on_street("via roma", 12)  # found as a person types it
    assert (door.point.x, door.point.y) == pytest.approx((7.6812, 45.0680))
    # The street register does not hold these streets yet: imported, and said.
    assert result.notes and "not in the street register" in result.notes[0]


def test_a_comma_separated_file_with_one_street_column_and_projected_coordinates(tmp_path):
    text = "ODONIMO,CIVICO,ESPONENTE,X,Y\nVia Nizza,45,,396700.0,4990000.0\n"  # UTM 32N (EPSG:32632)
    civic_numbers_import(path=write(tmp_path, "civici.csv", text), columns=Columns(x="X", y="Y"), srid=32632)
    door = CivicNumber.objects.get()
    assert door.label == "Via Nizza 45" and 7.6 < door.point.x < 7.8 and 45.0 < door.point.y < 45.1


def test_a_bad_line_imports_nothing_and_every_problem_is_named_by_line(tmp_path):
    civic_numbers_import(path=write(tmp_path, "old.csv", ANNCSU_CSV))
    bad = ANNCSU_CSV + (
        "001272;VIA;;3;;7,68;45,06\n"  # line 7: no street name
        "001272;VIA;PO;tre;;7,68;45,06\n"  # line 8: not a number
        "001272;VIA;PO;3;;;45,06\n"  # line 9: no longitude
        "001272;VIA;PO;3;;7,68;nord\n"  # line 10: not a number
        "001272;VIA;PO;3;;768;45,06\n"  # line 11: not on Earth
        "001272;VIA;PO;3;ABCDEFGHIJKL;7,68;45,06\n"  # line 12: suffix too long
    )
    with pytest.raises(CivicNumberImportError) as caught:
        civic_numbers_import(path=write(tmp_path, "bad.csv", bad))
    errors = caught.value.errors
    assert [e.split(":")[0] for e in errors] == [f"line {n}" for n in range(7, 13)]
    assert "no name" in errors[0] and "'tre' is not a whole number" in errors[1] and "COORD_X is empty" in errors[2]
    assert "'nord' is not a number" in errors[3] and "not a place on Earth" in errors[4] and "suffix" in errors[5]
    assert CivicNumber.objects.count() == 4  # the old register, whole


def test_the_command_names_missing_columns_and_writes_nothing(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("import_civic_numbers", str(write(tmp_path, "c.csv", "VIA;NUMERO\nRoma;1\n")), verbosity=0)
    assert "has no column 'CIVICO', 'COORD_X', 'COORD_Y', 'DUG', 'DENOMINAZIONE'" in str(caught.value)
    assert "its columns are: VIA, NUMERO" in str(caught.value)
    with pytest.raises(CommandError, match="File not found"):
        call_command("import_civic_numbers", str(tmp_path / "missing.csv"), verbosity=0)
    assert not CivicNumber.objects.exists()


def test_the_command_takes_column_names_and_a_dry_run_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, "c.csv", "strada;num;lon;lat\nVia Po;7;7,69;45,07\n")
    call_command("import_civic_numbers", str(path), street="strada", number="num", x="lon", y="lat", dry_run=True)
    assert "Dry run, nothing written. Would import 1 civic numbers" in capsys.readouterr().out
    assert not CivicNumber.objects.exists()
    call_command("import_civic_numbers", str(path), "--street-field", "strada", "--number-field", "num",
                 "--x-field", "lon", "--y-field", "lat", verbosity=0)  # fmt: skip
    assert CivicNumber.objects.get().label == "Via Po 7"


@pytest.mark.parametrize(
    "typed, street, number, suffix",
    [
        ("Via Roma 12", "Via Roma", 12, ""),
        ("via roma, 12", "via roma", 12, ""),
        ("Via Roma n. 12/A", "Via Roma", 12, "a"),
        ("Corso Francia 5 bis", "Corso Francia", 5, "bis"),
        ("Via XX Settembre 3, Torino", "Via XX Settembre", 3, ""),
        ("Via 4 Novembre", "Via 4 Novembre", None, ""),  # a number inside the name is the name
        ("Via Roma", "Via Roma", None, ""),
    ],
)
def test_a_typed_address_splits_into_street_and_house_number(typed, street, number, suffix):
    parsed = parse_address(typed)
    assert (parsed.street, parsed.number, parsed.suffix) == (street, number, suffix)
