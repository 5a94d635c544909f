"""Bulk import: manage.py import_readings FILE.csv [--sensor ID], all or nothing, errors by line number."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from city.models import StaleZoneNight
from sensors.models import Reading
from sensors.partitions import DEFAULT_PARTITION, partitions

pytestmark = pytest.mark.django_db


def write(tmp_path, text: str):
    path = tmp_path / "readings.csv"
    path.write_text(text)
    return str(path)


def run(path: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_readings", path, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_rows_are_stored_stamped_and_stale_pairs_marked(tmp_path, west_sensor, east_sensor, two_zones):
    path = write(
        tmp_path,
        "sensor,observed_at,value\n"
        "LUX-W,2026-11-27T23:10:00+01:00,3.2\n"
        "LUX-W,2026-11-28 01:30:00+01,0.4\n"
        "LUX-E,2026-11-27T17:00:00Z,12\n",
    )
    out, _err = run(path)
    assert "3 readings read, 3 stored" in out
    west, east = two_zones
    stamped = set(Reading.objects.values_list("sensor__external_id", "zone_id", "night", "slot"))
    assert stamped == {
        ("LUX-W", west.id, dt.date(2026, 11, 27), "night"),
        ("LUX-E", east.id, dt.date(2026, 11, 27), "evening"),
    }
    assert set(StaleZoneNight.objects.values_list("zone_id", "night")) == {
        (west.id, dt.date(2026, 11, 27)),
        (east.id, dt.date(2026, 11, 27)),
    }
    west_sensor[0].refresh_from_db()
    assert west_sensor[0].last_seen_at == dt.datetime(2026, 11, 28, 0, 30, tzinfo=dt.UTC)


def test_importing_the_same_file_twice_is_harmless(tmp_path, west_sensor):
    path = write(tmp_path, "observed_at,value\n2026-11-27T23:10:00+01:00,3.2\n2026-11-27T23:25:00+01:00,3\n")
    run(path, "--sensor", "LUX-W")
    out, _err = run(path, "--sensor", str(west_sensor[0].id))
    assert "2 readings read, 0 stored, 2 already there" in out
    assert Reading.objects.count() == 2


@pytest.mark.parametrize(
    ("bad_row", "column", "reason"),
    [
        ("NOPE,2026-11-27T23:10:00+01:00,3", "sensor", "unknown sensor 'NOPE'"),
        ("LUX-W,2026-11-27T23:10:00,3", "observed_at", "no time zone"),
        ("LUX-W,27/11/2026 23:10,3", "observed_at", "not an ISO 8601 time"),
        ("LUX-W,2026-11-27T23:10:00+01:00,dark", "value", "not a number"),
        ("LUX-W,2026-11-27T23:10:00+01:00,-5", "value", "outside"),
        ("LUX-W,2099-11-27T23:10:00+01:00,5", "observed_at", "in the future"),
        ("LUX-W,2026-02-30T23:10:00+01:00,5", "observed_at", "not a valid time"),
        ("LUX-W,2026-11-27T23:10:00+01:00,1e999", "value", "not a valid number"),
        ("LUX-W,1900-01-01T00:00:00Z,5", "observed_at", "before 2019-01-01"),
        ("LUX-W,2026-11-27T22:00:00Z,2", "value", "the same sensor and time as line 2 with another value"),
        ("LUX-W,2026-11-27T22:15:00Z", "value", "fewer cells than the header's 3"),
        ("LUX-W,2026-11-27T22:15:00Z,1,2", None, "more cells than the header's 3"),
        ("LUX-W,2026-11-27T22:15:00\x00Z,1", None, "NUL byte"),
        ("LUX-W,2026-11-27T22:15:00Z,\xff", None, "not UTF-8"),
    ],
)
def test_a_bad_row_is_named_by_line_and_column_and_nothing_is_written(tmp_path, west_sensor, bad_row, column, reason):
    path = write(tmp_path, f"sensor,observed_at,value\nLUX-W,2026-11-27T22:00:00Z,1\n{bad_row}\n")
    if "\xff" in bad_row:  # a Latin-1 file: the byte 0xff where UTF-8 wants a character
        (tmp_path / "readings.csv").write_bytes(Path(path).read_text().encode("latin-1"))
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"1 bad row.*line 3"):
        call_command("import_readings", path, stderr=err)
    reported = [line for line in err.getvalue().splitlines() if line.startswith("line ")]
    assert len(reported) == 1
    assert reported[0].startswith(f"line 3, column {column}: " if column else "line 3: ")
    assert reason in reported[0]
    assert not Reading.objects.exists()
    assert not StaleZoneNight.objects.exists()
    assert not partitions_of_readings()


def partitions_of_readings() -> list[str]:
    return [name for name, _rows in partitions() if name != DEFAULT_PARTITION]


def test_a_reading_before_its_sensors_installation_is_refused_and_makes_no_partition(tmp_path, west_sensor):
    sensor = west_sensor[0]
    sensor.installed_on = dt.date(2026, 11, 1)
    sensor.save()
    path = write(tmp_path, "observed_at,value\n2026-11-27T22:00:00Z,1\n2026-10-31T22:00:00Z,1\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="line 3, column observed_at: the time is before 2026-11-01"):
        call_command("import_readings", path, "--sensor", "LUX-W", stderr=err)
    assert not partitions_of_readings()


def test_a_reading_stored_with_another_value_refuses_the_file_and_the_same_value_is_harmless(tmp_path, west_sensor):
    run(write(tmp_path, "observed_at,value\n2026-11-27T22:00:00Z,1\n"), "--sensor", "LUX-W")
    again = write(tmp_path, "observed_at,value\n2026-11-27T21:45:00Z,7\n2026-11-27T22:00:00Z,1\n")
    assert "2 readings read, 1 stored, 1 already there" in run(again, "--sensor", "LUX-W")[0]
    other = write(tmp_path, "observed_at,value\n2026-11-27T22:15:00Z,2\n2026-11-27T23:00:00+01:00,5\n")
    with pytest.raises(CommandError, match="line 3, column value: a reading of this sensor at this time is already"):
        run(other, "--sensor", "LUX-W")
    assert sorted(Reading.objects.values_list("value", flat=True)) == [1.0, 7.0]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"sensor,observed_at,val\xffue\nLUX-W,2026-11-27T22:00:00Z,1\n", "the header is not UTF-8 text"),
        (b"sensor,observed\x00_at,value\nLUX-W,2026-11-27T22:00:00Z,1\n", "the header holds a NUL byte"),
        (b"sensor,value\nLUX-W,1\n", "the header has no column observed_at"),
        (b"", "the header has no column"),
    ],
)
def test_a_bad_header_is_named_as_line_1(tmp_path, west_sensor, content, reason):
    path = tmp_path / "readings.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=f"line 1: {reason}"):
        run(str(path))


def test_a_removed_sensor_refuses_the_file(tmp_path, west_sensor):
    sensor, _token = west_sensor
    sensor.removed_on = dt.date(2026, 11, 1)
    sensor.save()
    path = write(tmp_path, "observed_at,value\n2026-11-27T23:10:00+01:00,3.2\n")
    with pytest.raises(CommandError):
        run(path, "--sensor", "LUX-W")
    assert not Reading.objects.exists()


def test_header_without_a_sensor_column_needs_the_sensor_option(tmp_path, west_sensor):
    path = write(tmp_path, "observed_at,value\n2026-11-27T23:10:00+01:00,3.2\n")
    with pytest.raises(CommandError):
        run(path)


def test_sensorthings_column_names_and_extra_columns_are_accepted(tmp_path, west_sensor):
    path = write(tmp_path, "phenomenonTime,note,result\n2026-11-27T23:10:00+01:00,ok,3.2\n")
    run(path, "--sensor", "LUX-W")
    assert list(Reading.objects.values_list("value", flat=True)) == [3.2]


def test_no_progress_is_drawn_when_the_output_is_not_a_terminal(tmp_path, west_sensor):
    # On a terminal the one tqdm bar of city.progress shows the COPY (city/tests/test_progress.py).
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    rows = "".join(f"{(start + dt.timedelta(minutes=i)).isoformat()},{i % 100}\n" for i in range(20_000))
    path = write(tmp_path, "observed_at,value\n" + rows)
    out, err = run(path, "--sensor", "LUX-W")
    assert "COPY" not in err and "%" not in err
    assert "20000 readings read, 20000 stored" in out
    assert Reading.objects.count() == 20_000
