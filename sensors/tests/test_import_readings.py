"""Bulk import: manage.py import_readings FILE.csv [--sensor ID], all or nothing, errors by line number."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from city.models import StaleZoneNight
from sensors.models import Reading

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
    ("bad_row", "reason"),
    [
        ("NOPE,2026-11-27T23:10:00+01:00,3", "unknown sensor 'NOPE'"),
        ("LUX-W,2026-11-27T23:10:00,3", "no time zone"),
        ("LUX-W,27/11/2026 23:10,3", "not an ISO 8601 time"),
        ("LUX-W,2026-11-27T23:10:00+01:00,dark", "not a number"),
        ("LUX-W,2026-11-27T23:10:00+01:00,-5", "outside"),
        ("LUX-W,2099-11-27T23:10:00+01:00,5", "in the future"),
        ("LUX-W,2026-02-30T23:10:00+01:00,5", "not a valid time"),
        ("LUX-W,2026-11-27T23:10:00+01:00,1e999", "not a valid number"),
    ],
)
def test_a_bad_row_is_named_by_line_and_nothing_is_written(tmp_path, west_sensor, bad_row, reason):
    path = write(tmp_path, f"sensor,observed_at,value\nLUX-W,2026-11-27T22:00:00Z,1\n{bad_row}\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_readings", path, stderr=err)
    reported = [line for line in err.getvalue().splitlines() if line.startswith("line ")]
    assert len(reported) == 1
    assert reported[0].startswith("line 3: ")
    assert reason in reported[0]
    assert not Reading.objects.exists()
    assert not StaleZoneNight.objects.exists()


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


def test_progress_is_shown_on_the_terminal(tmp_path, west_sensor):
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    rows = "".join(f"{(start + dt.timedelta(minutes=i)).isoformat()},{i % 100}\n" for i in range(20_000))
    path = write(tmp_path, "observed_at,value\n" + rows)
    out, err = run(path, "--sensor", "LUX-W")
    assert "COPY" in err and "100.0%" in err
    assert "20000 readings read, 20000 stored" in out
    assert Reading.objects.count() == 20_000
