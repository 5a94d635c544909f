"""The fast ingest paths (plain INSERT when nothing can conflict, column-wise validation) keep the rules.

HTTP batches and CSV imports go in without ON CONFLICT when no stored reading of the sensor lies
within the span they cover, and fall back to skipping known readings otherwise, or when a time
repeats within the batch. Validation checks a batch column by column first and falls back to the
reading-by-reading loop to name the bad ones.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from city.models import StaleZoneNight
from sensors.models import Reading

pytestmark = pytest.mark.django_db


def post(client, sensor_id: int, body: dict, token: str):
    url = reverse("sensors-api:sensor-readings", args=[sensor_id])
    return client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")


def import_csv(tmp_path, text: str, *args: str) -> str:
    path = tmp_path / "readings.csv"
    path.write_text(text)
    out = io.StringIO()
    call_command("import_readings", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def staging_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'sensors_import_%%'")
        return [row[0] for row in cursor.fetchall()]


def test_a_time_repeated_within_a_batch_is_stored_once(client, west_sensor):
    sensor, token = west_sensor
    readings = [
        {"observed_at": "2026-11-27T23:10:00+01:00", "value": 3.2},
        {"observed_at": "2026-11-27T22:10:00Z", "value": 3.2},
        {"observed_at": "2026-11-27T23:25:00+01:00", "value": 2.9},
    ]
    response = post(client, sensor.id, {"readings": readings}, token)
    assert response.status_code == 201
    assert response.json() == {"received": 3, "inserted": 2, "duplicates": 1}
    assert Reading.objects.filter(sensor=sensor).count() == 2
    assert StaleZoneNight.objects.count() == 1


def test_a_batch_around_a_stored_reading_stores_only_the_new_ones(client, west_sensor):
    sensor, token = west_sensor
    post(client, sensor.id, {"readings": [{"observed_at": "2026-11-27T23:25:00+01:00", "value": 1}]}, token)
    readings = [
        {"observed_at": "2026-11-27T23:10:00+01:00", "value": 3.2},
        {"observed_at": "2026-11-27T23:25:00+01:00", "value": 1},
        {"observed_at": "2026-11-27T23:40:00+01:00", "value": 2.5},
    ]
    response = post(client, sensor.id, {"readings": readings}, token)
    assert response.json() == {"received": 3, "inserted": 2, "duplicates": 1}


def test_a_batch_that_gives_a_stored_time_another_value_is_a_409_naming_it(client, west_sensor):
    sensor, token = west_sensor
    post(client, sensor.id, {"readings": [{"observed_at": "2026-11-27T23:25:00+01:00", "value": 1}]}, token)
    readings = [
        {"observed_at": "2026-11-27T23:10:00+01:00", "value": 3.2},
        {"observed_at": "2026-11-27T22:25:00Z", "value": 2.9},
        {"observed_at": "2026-11-27T23:40:00+01:00", "value": 2.5},
    ]
    response = post(client, sensor.id, {"readings": readings}, token)
    assert response.status_code == 409
    assert [e["index"] for e in response.json()["errors"]] == [1]
    assert "1.0" in response.json()["errors"][0]["reason"]
    # The stored reading keeps its value, and nothing of the batch is stored.
    assert list(Reading.objects.values_list("value", flat=True)) == [1.0]


def test_two_values_for_one_time_in_a_batch_refuse_it_naming_both(client, west_sensor):
    sensor, token = west_sensor
    readings = [
        {"observed_at": "2026-11-27T23:10:00+01:00", "value": 3.2},
        {"observed_at": "2026-11-27T23:25:00+01:00", "value": 2.9},
        {"observed_at": "2026-11-27T22:10:00Z", "value": 4.0},
    ]
    response = post(client, sensor.id, {"readings": readings}, token)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["index"] for e in errors] == [2]
    assert "0" in errors[0]["reason"].split()  # "Reading 0 has the same time ..."
    assert not Reading.objects.exists()


def test_a_quality_flag_that_is_not_text_is_refused_with_its_index(client, west_sensor):
    sensor, token = west_sensor
    body = {
        "components": ["phenomenonTime", "result", "resultQuality"],
        "dataArray": [["2026-11-27T23:10:00+01:00", 3.2, "ok"], ["2026-11-27T23:25:00+01:00", 2.9, ["ok"]]],
    }
    response = post(client, sensor.id, body, token)
    assert response.status_code == 400
    assert [e["index"] for e in response.json()["errors"]] == [1]
    assert not Reading.objects.exists()


def test_an_integer_value_and_a_suspect_flag_pass_the_column_checks(client, west_sensor):
    sensor, token = west_sensor
    body = {
        "components": ["phenomenonTime", "result", "resultQuality"],
        "dataArray": [["2026-11-27T23:10:00+01:00", 3, "suspect"], ["2026-11-27T23:25:00+01:00", 2.5, "ok"]],
    }
    response = post(client, sensor.id, body, token)
    assert response.status_code == 201
    assert sorted(Reading.objects.values_list("value", "quality")) == [(2.5, "ok"), (3.0, "suspect")]


def test_an_import_around_stored_readings_stores_only_the_new_ones(tmp_path, west_sensor):
    import_csv(tmp_path, "observed_at,value\n2026-11-27T23:25:00+01:00,1\n", "--sensor", "LUX-W")
    out = import_csv(
        tmp_path,
        "observed_at,value\n2026-11-27T23:10:00+01:00,3.2\n2026-11-27T23:25:00+01:00,1\n2026-11-27T23:40:00+01:00,2\n",
        "--sensor",
        "LUX-W",
    )
    assert "3 readings read, 2 stored, 1 already there" in out
    assert Reading.objects.get(observed_at="2026-11-27T22:25:00Z").value == 1


def test_a_row_repeated_within_the_file_is_stored_once(tmp_path, west_sensor):
    out = import_csv(
        tmp_path,
        "observed_at,value\n2026-11-27T23:10:00+01:00,3.2\n2026-11-27T22:10:00Z,3.2\n2026-11-27T23:40:00+01:00,2\n",
        "--sensor",
        "LUX-W",
    )
    assert "3 readings read, 2 stored, 1 already there" in out
    assert Reading.objects.count() == 2
    assert StaleZoneNight.objects.count() == 1


def test_no_staging_table_is_left_behind_by_an_import_good_or_refused(tmp_path, west_sensor):
    import_csv(tmp_path, "observed_at,value\n2026-11-27T23:10:00+01:00,3.2\n", "--sensor", "LUX-W")
    with pytest.raises(CommandError):
        import_csv(tmp_path, "observed_at,value\n2026-11-27T23:10:00,3.2\n", "--sensor", "LUX-W")
    assert staging_tables() == []


def test_a_month_new_to_the_table_is_loaded_as_a_partition_with_the_parents_keys_and_indexes(tmp_path, west_sensor):
    """A new month's rows are indexed in one go and attached: the result is an ordinary partition."""
    out = import_csv(
        tmp_path, "observed_at,value\n2019-03-02T23:10:00+01:00,3.2\n2019-03-02T23:25:00+01:00,3\n", "--sensor", "LUX-W"
    )
    assert "2 readings read, 2 stored" in out
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid"
            " WHERE c.relname = 'sensors_reading_y2019m03' AND i.inhparent = 'sensors_reading'::regclass"
        )
        assert cursor.fetchone()[0] == "FOR VALUES FROM ('2019-03-01 00:00:00+00') TO ('2019-04-01 00:00:00+00')"
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'sensors_reading_y2019m03' ORDER BY indexname"
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("UNIQUE INDEX" in d and "(sensor_id, observed_at)" in d for d in definitions)
    assert sum("USING brin" in d for d in definitions) == 2
    # The month's key holds: the same reading again is recognised, a new one goes in.
    out = import_csv(
        tmp_path, "observed_at,value\n2019-03-02T23:10:00+01:00,3.2\n2019-03-03T00:10:00+01:00,1\n", "--sensor", "LUX-W"
    )
    assert "2 readings read, 1 stored, 1 already there" in out
    assert Reading.objects.filter(observed_at__year=2019).count() == 3
