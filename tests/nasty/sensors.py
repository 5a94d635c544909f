"""Hostile inputs for the sensors side (see tests/nasty/__init__.py).

The sensor ingest (tokens, each rule of a batch, sizes and shapes), the public reads (sensors, readings
and their cursor, summaries), the indicators API and its exports, the officers' dashboards' filters and
exports, and the readings importer. The world's light sensor NASTY-LUX was installed on 2019-01-01 and
has one stored reading, 3.0 at 2026-11-27T22:00:00Z; the observatory's window starts on 2000-01-01.
Words the answers must hold are field names, limits and dates (the same in Italian, the default), or
English with ``language="en"``.
"""

from __future__ import annotations

from django.conf import settings

from tests.nasty import Nasty

INGEST = "/api/v1/sensors/{sensor_id}/readings"
READINGS = "/api/v1/sensors/{sensor_id}/readings"
SUMMARIES = "/api/v1/sensors/summaries"
GOOD_TIME = "2026-11-27T23:10:00+01:00"


def batch(*readings: dict) -> dict:
    return {"readings": list(readings)}


def reading(observed_at: object = GOOD_TIME, value: object = 3.2, **extra) -> dict:
    return {"observed_at": observed_at, "value": value, **extra}


def errors_at(*indices: int):
    """A check that the answer lists exactly these readings' indices."""

    def check(response, world):
        assert [e["index"] for e in response.json()["errors"]] == list(indices), response.json()

    return check


def ingest(name: str, body, *, says: tuple[str, ...], status: int = 400, **fields) -> Nasty:
    fields.setdefault("content_type", "json")
    fields.setdefault("as_role", "sensor")
    fields.setdefault("format", "json")
    return Nasty(id=f"sensors-ingest-{name}", method="POST", path=fields.pop("path", INGEST), body=body,
                 status=status, says=says, **fields)  # fmt: skip


def get(name: str, path: str, params: dict, *, says: tuple[str, ...], status: int = 400, **fields) -> Nasty:
    fields.setdefault("format", "json")
    return Nasty(id=name, method="GET", path=path, body=params, status=status, says=says, **fields)


def officer(name: str, path: str, params: dict, *, says: tuple[str, ...], status: int | tuple = 200, **fields) -> Nasty:
    fields.setdefault("format", "html")
    return Nasty(id=f"dashboard-{name}", method="GET", path=path, body=params, as_role="officer", status=status,
                 says=says, **fields)  # fmt: skip


def zones_file(name: str, content: str | bytes, *, says: tuple[str, ...]) -> Nasty:
    return Nasty(id=f"import-zones-{name}", method="COMMAND", path="import_zones", body=content, status=1, says=says,
                 suffix=".geojson")  # fmt: skip


def feature(code: str, geometry: str) -> bytes:
    return (f'{{"type": "FeatureCollection", "features": [{{"type": "Feature", "properties": {{"code": "{code}",'
            f' "name": "x"}}, "geometry": {geometry}}}]}}').encode()  # fmt: skip


TRIANGLE = '{"type": "Polygon", "coordinates": [[[7.6, 45.0], [7.7, 45.0], [7.7, 45.1], [7.6, 45.0]]]}'


def readings_file(name: str, content: str | bytes, *, says: tuple[str, ...], args: tuple[str, ...] = ()) -> Nasty:
    return Nasty(id=f"import-readings-{name}", method="COMMAND", path="import_readings", body=content, status=1,
                 says=says, args=args)  # fmt: skip


YEAR_ONE = {"period": "custom", "from": "0001-01-01", "to": "0001-01-05"}
YEAR_9999 = {"period": "custom", "from": "9999-12-01", "to": "9999-12-31"}
HEADER = "sensor,observed_at,value\n"
GOOD_LINE = "NASTY-LUX,2026-11-27T22:15:00Z,1\n"

# Rows are laid out by hand, one hostile input to a line or two.
# fmt: off
CASES: list[Nasty] = [
    # --- the ingest: who may send ---------------------------------------------------------------------------
    ingest("no-token", batch(reading()), as_role=None, status=401, says=("Authorization: Token",)),
    ingest("unknown-token", batch(reading()), headers={"Authorization": "Token not-a-real-token"}, status=401,
           says=("Unknown or revoked sensor token",), language="en"),
    ingest("token-in-three-parts", batch(reading()), headers={"Authorization": "Token a b"}, status=401,
           says=("Token <token>",), language="en"),
    ingest("other-sensors-token", batch(reading()), path="/api/v1/sensors/{other_sensor_id}/readings", status=403,
           says=("another sensor",), language="en"),
    ingest("unknown-sensor", batch(reading()), path="/api/v1/sensors/987654/readings", status=404,
           says=("No such sensor",), language="en"),
    # --- the ingest: each reading's time --------------------------------------------------------------------
    ingest("in-1900", batch(reading(), reading("1900-01-01T00:00:00Z")), says=("observed_at", "2019-01-01"),
           check=errors_at(1)),
    ingest("in-2100", batch(reading("2100-01-01T00:00:00Z")), says=("observed_at", "future"), language="en",
           check=errors_at(0)),
    ingest("year-one-plus-14h", batch(reading("0001-01-01T00:00:00+14:00")), says=("observed_at", "2019-01-01")),
    ingest("before-installation", batch(reading("2018-12-31T12:00:00Z")), says=("observed_at", "2019-01-01")),
    ingest("nul-in-observed-at", batch(reading("2026-11-27\x0023:10:00+01:00")), says=("observed_at", "NUL")),
    ingest("no-time-zone", batch(reading("2026-11-27T23:10:00")), says=("observed_at", "time zone"), language="en"),
    ingest("time-as-a-number", batch(reading(1764281400)), says=("ISO 8601",), check=errors_at(0)),
    ingest("thirtieth-of-february", batch(reading("2026-02-30T23:10:00+01:00")), says=("observed_at",)),
    ingest("centuries-of-months", batch(*(reading(f"{year}-06-01T00:00:00Z") for year in range(1800, 2000))),
           says=("observed_at", "2019-01-01")),
    # --- the ingest: each reading's value and flag -------------------------------------------------------------
    ingest("value-as-text", batch(reading(value="3.2")), says=("not a number",), language="en", check=errors_at(0)),
    ingest("value-nan-as-text", batch(reading(value="NaN")), says=("not a number",), language="en"),
    ingest("value-bare-nan", b'{"readings": [{"observed_at": "2026-11-27T23:10:00+01:00", "value": NaN}]}',
           says=("NaN",)),
    ingest("value-below-range", batch(reading(value=-1)), says=("-1", "200000")),
    ingest("value-above-range", batch(reading(value=1e308)), says=("1e+308", "200000")),
    ingest("value-true", batch(reading(value=True)), says=("not a number",), language="en"),
    ingest("value-missing", batch({"observed_at": GOOD_TIME}), says=("not a number",), language="en"),
    ingest("unknown-quality", batch(reading(quality="great")), says=("ok, suspect",), check=errors_at(0)),
    # --- the ingest: duplicates --------------------------------------------------------------------------------
    ingest("same-instant-two-values", batch(reading(), reading("2026-11-27T22:10:00Z", 4.0)), says=("0",),
           check=errors_at(1)),
    ingest("stored-instant-other-value", batch(reading("2026-11-27T23:00:00+01:00", 9.9)), status=409,
           says=("3.0",), check=errors_at(0)),
    ingest("stored-instant-other-quality", batch(reading("2026-11-27T22:00:00Z", 3.0, quality="suspect")),
           status=409, says=("3.0",)),
    ingest("identical-retry-is-harmless", batch(reading("2026-11-27T22:00:00Z", 3.0)), status=200,
           says=('"duplicates":1',)),
    ingest("duplicate-readings-keys",
           b'{"readings": [{"observed_at": "2026-11-27T23:10:00+01:00", "value": 1}], "readings": []}',
           says=("readings",)),
    # --- the ingest: sizes and shapes --------------------------------------------------------------------------
    ingest("hundred-thousand-readings", {"components": ["phenomenonTime", "result"],
                                         "dataArray": [["2026-11-01T00:00:00Z", 1]] * 100_000},
           says=(str(settings.SENSORS_MAX_BATCH), "SENSORS_MAX_BATCH")),
    ingest("twenty-mebibytes", b'{"readings": [' + b" " * (20 * 1024 * 1024) + b"]}",
           says=(str(settings.OBSERVATORY_JSON_MAX_BYTES),)),
    ingest("nested-50000-deep", b'{"readings": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
           says=(str(settings.OBSERVATORY_JSON_MAX_DEPTH),)),
    ingest("empty-readings", batch(), says=("no readings",), language="en"),
    ingest("readings-as-an-object", {"readings": {"observed_at": GOOD_TIME, "value": 1}}, says=("must be a list",),
           language="en"),
    ingest("bare-array", [reading()], says=("JSON object",), language="en"),
    ingest("garbage-bytes", b"\xff\xfe\x00garbage", says=("UTF-8",)),
    ingest("not-json", b"{readings: [}", says=("JSON",)),
    ingest("wrong-content-type", b"observed_at=2026-11-27T23:10:00Z", content_type="text/plain", status=415,
           says=("text/plain",)),
    ingest("data-array-without-components", {"dataArray": [[GOOD_TIME, 1]]}, says=("components",)),
    ingest("data-array-short-row", {"components": ["phenomenonTime", "result"], "dataArray": [[GOOD_TIME]]},
           says=("time and a value",), language="en", check=errors_at(0)),
    ingest("unknown-shape", {"rows": [reading()]}, says=("readings", "dataArray")),
    # --- public reads -------------------------------------------------------------------------------------
    get("sensors-list-nul-zone", "/api/v1/sensors/", {"zone": "\x00"}, says=("zone",)),
    get("sensors-list-nul-kind", "/api/v1/sensors/", {"kind": "W\x00"}, says=("kind",)),
    get("readings-cursor-not-a-time", READINGS, {"cursor": "cD1hYmM="}, says=("cursor",)),
    get("readings-cursor-month-99", READINGS, {"cursor": "cD0yMDI2LTk5LTk5"}, says=("cursor",)),
    get("readings-cursor-garbage", READINGS, {"cursor": "%%%not-base64"}, says=("cursor",)),
    get("readings-start-in-9999", READINGS, {"start": "9999-12-31T00:00:00Z"}, says=("start", "2000-01-01")),
    get("readings-end-before-start", READINGS, {"start": "2026-11-28T00:00:00Z", "end": "2026-11-27T00:00:00Z"},
        says=("end",)),
    get("readings-start-with-nul", READINGS, {"start": "2026-11-27\x00"}, says=("start",)),
    get("summaries-year-9999", SUMMARIES, {"kind": "illuminance", "first_night": "9999-12-30",
                                            "last_night": "9999-12-31"}, says=("first_night", "2000-01-01")),
    get("summaries-year-one", SUMMARIES, {"kind": "illuminance", "first_night": "0001-01-01",
                                           "last_night": "0001-01-01"}, says=("first_night", "2000-01-01")),
    get("summaries-last-before-first", SUMMARIES, {"kind": "illuminance", "first_night": "2026-11-05",
                                                    "last_night": "2026-11-01"}, says=("last_night",)),
    get("summaries-two-years", SUMMARIES, {"kind": "illuminance", "first_night": "2024-11-01",
                                            "last_night": "2026-11-01"}, says=("last_night",)),
    get("summaries-unknown-kind", SUMMARIES, {"kind": "radar", "first_night": "2026-11-01",
                                               "last_night": "2026-11-01"}, says=("kind",)),
    get("summaries-nul-zone", SUMMARIES, {"kind": "illuminance", "first_night": "2026-11-01",
                                           "last_night": "2026-11-01", "zone": "\x00"}, says=("zone",)),
    # --- the indicators API and its exports -----------------------------------------------------------------------
    get("indicators-unknown-metric", "/api/v1/indicators/", {"metric": "psl"}, says=("metric", "psl")),
    get("indicators-unknown-slot", "/api/v1/indicators/", {"slot": "brunch"}, says=("slot", "brunch")),
    get("indicators-unknown-period-kind", "/api/v1/indicators/", {"period_kind": "fortnight"},
        says=("period_kind",)),
    get("indicators-after-year-one", "/api/v1/indicators/", {"period_start_after": "0001-01-01"},
        says=("period_start_after", "2000-01-01")),
    get("indicators-before-9999", "/api/v1/indicators/", {"period_start_before": "9999-12-31"},
        says=("period_start_before", "2000-01-01")),
    get("indicators-nul-zone", "/api/v1/indicators/", {"zone": "\x00"}, says=("zone",)),
    get("indicators-csv-in-1900", "/api/v1/indicators.csv", {"period_start_after": "1900-01-01"},
        says=("period_start_after",)),
    get("indicators-geojson-formula-metric", "/api/v1/indicators.geojson", {"metric": "=HYPERLINK(1)"},
        says=("metric",)),
    get("hotspots-in-9999", "/api/v1/hotspots/", {"period_start": "9999-12-31"}, says=("period_start",)),
    get("sensitivity-year-one", "/api/v1/indicators/sensitivity/", {"period_start": "0001-01-01"},
        says=("period_start", "2000-01-01")),
    get("sensitivity-unknown-slot", "/api/v1/indicators/sensitivity/", {"slot": "noon"}, says=("slot", "night")),
    Nasty(id="alerts-unknown-metric", method="GET", path="/api/v1/alerts/", body={"metric": "psl"},
          as_role="officer", says=("metric",), format="json"),
    # --- the officers' dashboards: filters fall back with a notice naming the window ------------------------
    officer("overview-year-one", "/dashboard/", YEAR_ONE, says=("2000-01-01",)),
    officer("overview-year-9999", "/dashboard/", YEAR_9999, says=("2000-01-01",)),
    officer("overview-end-before-start", "/dashboard/", {"period": "custom", "from": "2026-03-02", "to": "2026-03-01"},
            says=("custom range needs",), language="en"),
    officer("overview-unknown-slot", "/dashboard/", {"slot": "brunch"}, says=("Unknown time of day",), language="en"),
    officer("overview-unknown-metric", "/dashboard/", {"metric": "psl"}, says=("Unknown indicator",), language="en"),
    officer("zone-year-one", "/dashboard/zones/{zone_code}/", YEAR_ONE, says=("2000-01-01",)),
    officer("hotspots-year-one", "/dashboard/hotspots/", YEAR_ONE, says=("2000-01-01",)),
    officer("compare-year-one", "/dashboard/compare/", {**YEAR_ONE, "zones": "W,E"}, says=("2000-01-01",)),
    officer("zone-nul-code", "/dashboard/zones/%00/", {}, status=404, says=(), format=None),
    officer("compare-nul-zone", "/dashboard/compare/", {"zones": "\x00"}, says=("NUL",), language="en"),
    officer("compare-500-zones", "/dashboard/compare/", {"zones": ",".join(f"Z{i}" for i in range(500))},
            says=("At most 6 zones",), language="en"),
    # --- the dashboards' exports and map data: never a silent fallback ---------------------------------------------
    officer("export-zones-year-one", "/dashboard/", {**YEAR_ONE, "format": "csv"}, status=400, says=("2000-01-01",),
            format=None),
    officer("export-unknown-format", "/dashboard/", {"format": "pdf"}, status=400, says=("csv", "geojson"),
            format=None),
    officer("export-compare-nul-zone", "/dashboard/compare/", {"zones": "\x00", "format": "csv"}, status=400,
            says=("NUL",), language="en", format=None),
    officer("map-zones-unknown-slot", "/dashboard/zones.geojson", {"slot": "brunch"}, status=400,
            says=("Unknown time of day",), language="en", format="json"),
    officer("map-layer-year-9999", "/dashboard/layers/hotspots.geojson", YEAR_9999, status=400, says=("2000-01-01",),
            format="json"),
    officer("map-layer-zoom-in-words", "/dashboard/layers/reports.geojson", {"zoom": "twelve"}, status=400,
            says=("zoom",), language="en", format=None),
    # --- the readings importer: all or nothing, the bad row named by line and column -----------------------------
    readings_file("in-1900", HEADER + GOOD_LINE + "NASTY-LUX,1900-01-01T00:00:00Z,1\n",
                  says=("line 3", "column observed_at", "before 2019-01-01")),
    readings_file("nul-in-a-time", HEADER + "NASTY-LUX,2026-11-27T22:15:00\x00Z,1\n" + GOOD_LINE,
                  says=("line 2", "NUL")),
    readings_file("same-time-another-value", HEADER + GOOD_LINE + "NASTY-LUX,2026-11-27T23:15:00+01:00,2\n",
                  says=("line 3", "column value", "line 2")),
    readings_file("stored-time-another-value", HEADER + "NASTY-LUX,2026-11-27T22:00:00Z,5\n",
                  says=("line 2", "column value", "already stored", "3.0")),
    readings_file("missing-cell", HEADER + GOOD_LINE + "NASTY-LUX,2026-11-27T22:30:00Z\n",
                  says=("line 3", "column value", "fewer cells")),
    readings_file("extra-cell", HEADER + "NASTY-LUX,2026-11-27T22:30:00Z,1,=HYPERLINK(1)\n",
                  says=("line 2", "more cells")),
    readings_file("latin-1-file", (HEADER + GOOD_LINE + "NASTY-LUX,2026-11-27T22:30:00Z,1 \xb0\n").encode("latin-1"),
                  says=("line 3", "UTF-8")),
    readings_file("header-without-time", "sensor,value\nNASTY-LUX,1\n", says=("line 1", "observed_at")),
    readings_file("empty-file", "", says=("line 1", "observed_at", "value")),
    readings_file("unknown-sensor", HEADER + "NOPE\x7f,2026-11-27T22:30:00Z,1\n",
                  says=("line 2", "column sensor", "unknown sensor")),
    readings_file("value-as-formula", HEADER + "NASTY-LUX,2026-11-27T22:30:00Z,=1+1\n",
                  says=("line 2", "column value", "not a number")),
    readings_file("unknown-sensor-option", "observed_at,value\n2026-11-27T22:30:00Z,1\n",
                  says=("no sensor with id or external id",), args=("--sensor", "NOPE")),
]
# fmt: on
CASES += [
    zones_file("code-of-300-characters", feature("A" * 300, TRIANGLE), says=("feature 1", "64 characters")),
    zones_file("feature-without-geometry", feature("NOGEOM", "null"), says=("feature 1", "no geometry")),
    zones_file("not-a-vector-file", b"\xff\xfe=HYPERLINK(1)", says=("GDAL/OGR",)),
    zones_file(
        "coordinates-5000-deep",
        feature("DEEP", '{"type": "Polygon", "coordinates": ' + "[" * 5000 + "]" * 5000 + "}"),
        says=("GDAL/OGR",),
    ),
]
