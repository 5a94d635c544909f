"""manage.py import_reports: validated row by row, all or nothing, errors by line number."""

import pytest
from django.core.management import CommandError, call_command

from reports.models import Report

pytestmark = pytest.mark.django_db
HEADER = "category,latitude,longitude,perceived_safety,occurred_at,description\n"


def test_a_valid_file_is_imported(tmp_path, two_zones, category, capsys):
    path = tmp_path / "survey.csv"
    path.write_text(HEADER + "broken-street-light,45.065,7.675,2,2024-11-02T23:30:00+01:00,Buio\n"
                    "broken-street-light,45.065,7.685,4,2024-11-03 21:00,\n")  # fmt: skip
    call_command("import_reports", str(path))
    assert Report.objects.filter(source=Report.Source.IMPORT).count() == 2
    assert "imported 2" in capsys.readouterr().out


def test_one_bad_row_imports_nothing_and_names_every_bad_line(tmp_path, two_zones, category):
    path = tmp_path / "survey.csv"
    path.write_text(HEADER + "broken-street-light,45.065,7.675,2,2024-11-02T23:30:00+01:00,ok\n"
                    "no-such,45.065,7.675,2,2024-11-02T23:30:00+01:00,\n"
                    "broken-street-light,46.5,8.5,2,2024-11-02T23:30:00+01:00,\n"
                    "broken-street-light,45.065,7.675,2,2999-01-01T00:00:00+01:00,\n"
                    "broken-street-light,45.065,7.675,x,later,<b>x</b>\n")  # fmt: skip
    with pytest.raises(CommandError) as error:
        call_command("import_reports", str(path))
    message = str(error.value)
    for line in (3, 4, 5, 6):
        assert f"line {line}:" in message
    assert "line 2:" not in message
    assert not Report.objects.exists()


def test_a_missing_column_or_file_is_a_clear_error(tmp_path, db):
    path = tmp_path / "bad.csv"
    path.write_text("category,latitude\nx,1\n")
    with pytest.raises(CommandError, match="missing column"):
        call_command("import_reports", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_reports", str(tmp_path / "nope.csv"))


def test_impossible_coordinates_and_dates_are_named_by_line_not_a_crash(tmp_path, two_zones, category):
    path = tmp_path / "survey.csv"
    path.write_text(HEADER + "broken-street-light,NaN,7.675,2,2024-11-02T23:30:00+01:00,\n"
                    "broken-street-light,45.065,inf,2,2024-11-02T23:30:00+01:00,\n"
                    "broken-street-light,45.065,7.675,2,2024-13-45T23:30:00+01:00,\n"
                    "broken-street-light,45.065,7.675,2,0001-01-01T00:00:00+14:00,\n"
                    "broken-street-light,45.065,7.675,2,2024-11-02T23:30:00+01:00,a\x0bb\n")  # fmt: skip
    with pytest.raises(CommandError) as error:
        call_command("import_reports", str(path))
    message = str(error.value)
    assert "line 2: latitude:" in message and "line 3: longitude:" in message
    assert "line 4: occurred_at:" in message and "line 5: occurred_at:" in message and "2000-01-01" in message
    assert "line 6: description:" in message and "U+000B" in message
    assert not Report.objects.exists()
