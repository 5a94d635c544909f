"""The officers' dashboards: who may open them, what the map, tables and exports are fed, and at what cost."""

import csv
import datetime as dt
import io

import pytest
from django.conf import settings as django_settings
from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from city import dataversion
from conftest import make_user, square_zone
from dashboards import filters, selectors
from indicators import engine, registry
from indicators.models import Alert, HotSpot
from reports.models import PerceivedSafety, Report
from reports.services import report_submit

pytestmark = pytest.mark.django_db

GET_PAGES = [
    reverse("dashboard"),
    reverse("dashboard-zones-geojson"),
    reverse("dashboard-layer", args=["hotspots"]),
    reverse("dashboard-layer", args=["projects"]),
    reverse("dashboard-layer", args=["sensors"]),
    reverse("dashboard-layer", args=["reports"]),
    reverse("dashboard-zone", args=["W"]),
    reverse("dashboard-alerts"),
    reverse("dashboard-hotspots"),
    reverse("dashboard-compare") + "?zones=W,E",
]


def last_night_at(hour: int = 23, days_ago: int = 2) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=days_ago), dt.time(hour)))


def submit_answers(category, point, ratings, when=None):
    for safety in ratings:
        report_submit(category=category, location=point, perceived_safety=safety, occurred_at=when or last_night_at())


@pytest.fixture
def answered(two_zones, category):
    """Three answers in the west zone last night (two feel safe), one in the east (unsafe); indicators computed."""
    submit_answers(category, Point(7.675, 45.065), [PerceivedSafety.VERY_SAFE, PerceivedSafety.VERY_UNSAFE,
                                                    PerceivedSafety.FAIRLY_SAFE])  # fmt: skip
    submit_answers(category, Point(7.685, 45.065), [PerceivedSafety.VERY_UNSAFE])
    engine.recompute_stale()
    return two_zones


def make_alert(zone, **fields) -> Alert:
    anchor = engine.anchor_night()
    values = {
        "zone": zone, "slot": "night", "metric": registry.SHARE_FEELING_SAFE,
        "window_start": anchor - dt.timedelta(days=27), "window_end": anchor,
        "method_version": registry.METHOD_VERSION,
        "baseline": 0.8, "current": 0.5, "baseline_n": 120, "current_n": 40, "statistic": -3.2, "p_value": 0.0007,
        "q_value": 0.004, "created_at": timezone.now(),
    } | fields  # fmt: skip
    return Alert.objects.create(**values)


# --- who may open what -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", GET_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, two_zones, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", GET_PAGES)
def test_a_user_without_a_staff_role_is_refused(client, two_zones, citizen_account, url):
    client.force_login(citizen_account)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["officer", "moderator", "grants_admin"])
@pytest.mark.parametrize("url", GET_PAGES)
def test_staff_roles_can_open_every_dashboard_page(client, two_zones, role, url):
    client.force_login(make_user(f"user-{role}", role))
    assert client.get(url).status_code == 200


def test_acknowledging_needs_a_staff_role(client, two_zones, citizen_account):
    alert = make_alert(two_zones[0])
    url = reverse("dashboard-alert-ack", args=[alert.pk])
    assert client.post(url)["Location"].startswith(reverse("login"))
    client.force_login(citizen_account)
    assert client.post(url).status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_an_officer_acknowledges_an_alert_and_it_leaves_the_open_list(client, officer, two_zones):
    alert = make_alert(two_zones[0])
    client.force_login(officer)
    assert client.get(reverse("dashboard-alert-ack", args=[alert.pk])).status_code == 405
    refused = client.post(reverse("dashboard-alert-ack", args=[alert.pk]))  # no note: what follows?
    assert refused.status_code == 400 and "nota" in refused.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    response = client.post(reverse("dashboard-alert-ack", args=[alert.pk]), {"note": "Pattuglia giovedì"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == officer and alert.acknowledged_at is not None
    assert alert.acknowledged_note == "Pattuglia giovedì"
    assert f'data-alert="{alert.pk}"' not in client.get(reverse("dashboard-alerts")).content.decode()
    assert f'data-alert="{alert.pk}"' in client.get(reverse("dashboard-alerts"), {"status": "all"}).content.decode()


def test_acknowledging_an_unknown_alert_is_a_404(client, officer):
    client.force_login(officer)
    assert client.post(reverse("dashboard-alert-ack", args=[999999])).status_code == 404


# --- filters ---------------------------------------------------------------------------------------


def test_each_period_maps_to_its_nights():
    anchor = dt.date(2026, 3, 18)  # a Wednesday
    parse = filters.parse_filters
    assert (parse({"period": "last_night"}, anchor=anchor).first_night, parse({"period": "last_night"}, anchor=anchor)
            .period_kind) == (anchor, "night")  # fmt: skip
    week = parse({"period": "week"}, anchor=anchor)
    assert (week.first_night, week.last_night, week.period_kind) == (dt.date(2026, 3, 16), dt.date(2026, 3, 22), "week")
    month = parse({"period": "month"}, anchor=anchor)
    assert (month.first_night, month.last_night) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    rolling = parse({}, anchor=anchor)
    assert (rolling.period, rolling.first_night, rolling.last_night) == ("rolling28", dt.date(2026, 2, 19), anchor)
    custom = parse({"period": "custom", "from": "2026-01-05", "to": "2026-01-11"}, anchor=anchor)
    assert (custom.period_kind, custom.first_night, custom.previous) == (
        None, dt.date(2026, 1, 5), (dt.date(2025, 12, 29), dt.date(2026, 1, 4)))  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [{"period": "custom", "from": "2026-02-30", "to": "2026-03-01"}, {"period": "custom", "from": "2026-03-02",
     "to": "2026-03-01"}, {"period": "custom", "from": "2020-01-01", "to": "2026-03-01"}, {"period": "custom"}],
)  # fmt: skip
def test_a_bad_custom_range_falls_back_with_a_message_never_a_500(client, officer, two_zones, params):
    client.force_login(officer)
    response = client.get(reverse("dashboard"), params)
    assert response.status_code == 200
    assert "custom range needs" in response.content.decode() or "intervallo personalizzato" in response.content.decode()
    assert response.context["filters"].period == "rolling28"


def test_unknown_metric_slot_and_period_fall_back_to_defaults_on_the_page_with_a_notice(client, officer, two_zones):
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    page = client.get(reverse("dashboard"), {"slot": "brunch", "metric": "x", "period": "y"})
    f = page.context["filters"]
    assert (f.slot, f.metric, f.period) == ("night", registry.PSI, "rolling28")
    text = page.content.decode()
    assert "Unknown indicator" in text and "Unknown time of day" in text and "Unknown period" in text


def test_unknown_filters_on_the_map_data_and_the_exports_are_a_400_naming_them(client, officer, two_zones):
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    data = client.get(reverse("dashboard-zones-geojson"), {"slot": "brunch", "metric": "x", "period": "y"})
    assert data.status_code == 400
    assert any("Unknown time of day" in error for error in data.json()["detail"])
    layer = client.get(reverse("dashboard-layer", args=["hotspots"]), {"period": "custom", "from": "0001-01-01"})
    assert layer.status_code == 400 and "2000-01-01" in "".join(layer.json()["detail"])
    export = client.get(reverse("dashboard"), {"slot": "brunch", "format": "csv"})
    assert export.status_code == 400 and "Unknown time of day" in export.content.decode()


def test_cached_pages_follow_each_recompute_and_acknowledgement(
    client, officer, answered, category, django_capture_on_commit_callbacks
):
    """Pages cache derived data under the indicator data version: what a recompute or an officer
    changes shows on the next request, never later."""
    west, _east = answered
    client.force_login(officer)
    params = {"metric": registry.SHARE_FEELING_SAFE, "slot": "night"}

    def west_answers() -> int:
        features = client.get(reverse("dashboard-zones-geojson"), params).json()["features"]
        return next(f["properties"]["n"] for f in features if f["properties"]["code"] == "W")

    assert west_answers() == 3
    submit_answers(category, Point(7.675, 45.065), [PerceivedSafety.FAIRLY_SAFE])
    assert west_answers() == 3  # the indicators themselves are not recomputed yet
    with django_capture_on_commit_callbacks(execute=True):
        engine.recompute_stale()
    assert west_answers() == 4

    alert = make_alert(west)
    with django_capture_on_commit_callbacks(execute=True):
        dataversion.bump_data_version()  # as the nightly alert run's recompute would
    zone_page = reverse("dashboard-zone", args=["W"])
    assert not client.get(zone_page).context["alerts"][0]["acknowledged_at"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dashboard-alert-ack", args=[alert.pk]), {"note": "Visto"})
    assert client.get(zone_page).context["alerts"][0]["acknowledged_at"]


def test_zone_outlines_are_simplified_for_the_maps_zoom(client, officer):
    """A detailed boundary keeps its detail close up and loses it at city scale; a bad zoom is a 400."""
    from django.contrib.gis.geos import MultiPolygon

    from city.models import Zone

    circle = Point(7.68, 45.07, srid=4326).buffer(0.02, quadsegs=64)  # 257 vertices, ~1.6 km radius
    Zone.objects.create(code="C", name="Cerchio", kind=Zone.Kind.OTHER, geom=MultiPolygon(circle, srid=4326))
    client.force_login(officer)

    def vertices(zoom: str) -> int:
        data = client.get(reverse("dashboard-zones-geojson"), {"zoom": zoom}).json()
        return len(data["features"][0]["geometry"]["coordinates"][0][0])

    assert vertices("9") < vertices("13") < vertices("17") <= 257
    assert selectors.tolerance_for_zoom(40) == selectors.tolerance_for_zoom(selectors.MAX_MAP_ZOOM)
    for bad in ("twelve", "1.5", "9" * 5000):
        response = client.get(reverse("dashboard-zones-geojson"), {"zoom": bad})
        assert response.status_code == 400
        assert "zoom" in response.content.decode().lower()


def test_layers_come_from_checkboxes_or_the_bookmarkable_list():
    from django.http import QueryDict

    f = filters.parse_filters(QueryDict("layer=sensors&layer=hotspots&layer=bogus"))
    assert f.layers == ["hotspots", "sensors"]
    assert "layers=hotspots%2Csensors" in f.query()
    assert filters.parse_filters(QueryDict("layers=reports")).layers == ["reports"]


# --- the map -----------------------------------------------------------------------------------------


def test_the_map_shows_each_zone_with_its_share_interval_and_n(client, officer, answered):
    client.force_login(officer)
    data = client.get(reverse("dashboard-zones-geojson"), {"slot": "night", "metric": "share_feeling_safe"}).json()
    assert data["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert set(by_code) == {"W", "E"}
    west, east = by_code["W"], by_code["E"]
    assert west["n"] == 3
    assert west["value"] == pytest.approx(0.6667, abs=1e-4)
    assert west["lower"] < west["value"] < west["upper"]
    assert east["value"] == 0.0
    # Low shares are red, high are blue; few answers fade the fill.
    assert west["colour"] != east["colour"]
    assert east["colour"] == "#d73027"
    assert west["opacity"] < 0.85
    assert [item["colour"] for item in data["properties"]["legend"]] == ["#d73027", "#4575b4"]
    evening = client.get(reverse("dashboard-zones-geojson"), {"slot": "evening", "metric": "share_feeling_safe"}).json()
    assert all(f["properties"]["n"] == 0 and f["properties"]["value"] is None for f in evening["features"])
    assert evening["properties"]["legend"] == []


def test_the_index_is_the_default_with_its_confidence_grade(client, officer, answered):
    client.force_login(officer)
    props = {f["properties"]["code"]: f["properties"] for f in client.get(reverse("dashboard-zones-geojson")).json()
             ["features"]}  # fmt: skip
    assert props["W"]["metric"] == registry.PSI
    assert 0 <= props["W"]["value"] <= 100
    assert props["W"]["grade"] == "C"  # 3 answers
    assert props["W"]["opacity"] == selectors.GRADE_OPACITY["C"]
    assert props["W"]["share_feeling_safe"] == pytest.approx(0.6667, abs=1e-4)


def test_last_night_and_a_custom_range_read_the_same_answers(client, officer, answered):
    client.force_login(officer)
    night = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    custom = client.get(reverse("dashboard-zones-geojson"), {"metric": "share_feeling_safe", "period": "custom",
                                                             "from": night, "to": night}).json()  # fmt: skip
    west = next(f["properties"] for f in custom["features"] if f["properties"]["code"] == "W")
    assert (west["n"], west["value"]) == (3, pytest.approx(0.6667, abs=1e-4))
    assert west["lower"] < west["value"] < west["upper"]


def test_quantile_classes_run_red_to_blue_and_reverse_for_rates():
    classes = selectors.classify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert len(classes) == 5
    assert classes[0]["low"] == 1 and classes[-1]["high"] == 10
    assert [c["colour"] for c in classes] == selectors.PALETTE[5]
    assert selectors.colour_for(1, classes) == "#d73027"
    rates = selectors.classify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], safer_if_higher=False)
    assert selectors.colour_for(10, rates) == "#d73027"  # many reports = less safe = red
    assert selectors.classify([None]) == []
    assert len(selectors.classify([0.5, 0.5])) == 1


def test_the_overview_page_carries_legend_kpis_table_and_local_libraries(client, officer, answered, category):
    make_alert(answered[0])
    client.force_login(officer)
    response = client.get(reverse("dashboard"), {"slot": "late_night", "layer": "sensors"})
    html = response.content.decode()
    assert 'id="trend-data"' in html and 'id="map-legend"' in html and 'id="zone-table"' in html
    assert "/static/vendor/leaflet/leaflet" in html and "/static/vendor/plotly/plotly-basic.min" in html
    assert "cdn" not in html.lower()
    assert 'value="late_night" selected' in html
    assert 'data-layers="sensors"' in html
    kpis = response.context["kpis"]
    assert kpis["open_alerts"] == 1
    assert kpis["moderation_backlog"] == Report.objects.filter(status="submitted", is_published=False).count() == 4


def test_kpis_never_set_the_reporters_share_against_istat(officer, answered):
    f = filters.parse_filters({"period": "last_night"}, anchor=timezone.localdate() - dt.timedelta(days=2))
    kpis = selectors.kpis(f)
    assert kpis["reports"] == 4 and kpis["reports_previous"] == 0
    assert kpis["answers"] == 4
    assert kpis["share_feeling_safe"] == pytest.approx(0.5)
    # Without a representative survey there is nothing to set a national figure beside.
    assert kpis["survey"] is None and kpis["reference"] is None and kpis["survey_vs_reference"] is None


# --- layers ------------------------------------------------------------------------------------------


def test_reports_go_as_privacy_snapped_clusters_not_one_point_each(client, officer, two_zones, category):
    submit_answers(category, Point(7.6751, 45.0651), [PerceivedSafety.VERY_SAFE] * 3)
    submit_answers(category, Point(7.6753, 45.0652), [PerceivedSafety.VERY_UNSAFE])
    client.force_login(officer)
    data = client.get(reverse("dashboard-layer", args=["reports"]), {"zoom": "13"}).json()
    assert [f["properties"]["count"] for f in data["features"]] == [4]
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert (lon, lat) != (7.6751, 45.0651)
    assert data["features"][0]["properties"]["share_feeling_safe"] == 0.75
    assert client.get(reverse("dashboard-layer", args=["reports"]), {"zoom": "x"}).status_code == 400
    assert client.get(reverse("dashboard-layer", args=["nothing"])).status_code == 404


def test_the_cluster_grid_grows_as_the_map_zooms_out_and_never_below_the_privacy_grid(settings):
    assert selectors.cluster_grid_m(10) > selectors.cluster_grid_m(14)
    assert selectors.cluster_grid_m(18) == 2 * settings.OBSERVATORY_PRIVACY_GRID_M


def test_hot_spots_and_sensors_layers(client, officer, two_zones):
    from sensors import services
    from sensors.tests.conftest import kind

    west, east = two_zones
    anchor = engine.anchor_night()
    for zone, cluster in ((west, HotSpot.Cluster.UNSAFE), (east, HotSpot.Cluster.NONE)):
        HotSpot.objects.create(zone=zone, slot="night", period_kind="rolling28", period_start=anchor -
                               dt.timedelta(days=27), method_version=registry.METHOD_VERSION, value=40.0, gi_z=-2.5,
                               gi_q=0.01, cluster=cluster, computed_at=timezone.now())  # fmt: skip
    services.sensor_register(kind=kind(), location=Point(7.675, 45.065, srid=4326), external_id="LUX-W")
    client.force_login(officer)
    hot = client.get(reverse("dashboard-layer", args=["hotspots"])).json()
    assert [f["properties"]["code"] for f in hot["features"]] == ["W"]
    assert hot["features"][0]["geometry"]["type"] == "MultiPolygon"
    sensors = client.get(reverse("dashboard-layer", args=["sensors"])).json()
    assert [(f["properties"]["external_id"], f["properties"]["health"]) for f in sensors["features"]] == [
        ("LUX-W", "no_data")
    ]
    page = client.get(reverse("dashboard-hotspots"))
    assert [h["code"] for h in page.context["hotspots"]] == ["W"]
    zone_page = client.get(reverse("dashboard-zone", args=["W"]))
    assert zone_page.context["hotspot"]["cluster"] == "unsafe"
    assert [s["external_id"] for s in zone_page.context["sensors"]] == ["LUX-W"]


def test_funded_project_sites_layer_and_zone_page(client, officer, two_zones):
    from grants.tests.conftest import award, make_call, make_ranked, point_site

    evaluator = make_user("evaluator", "grants_admin", is_staff=True)
    project = award(make_ranked(make_call(), evaluator, sites=point_site(7.675, 45.065)), actor=evaluator)
    client.force_login(officer)
    data = client.get(reverse("dashboard-layer", args=["projects"])).json()
    assert [f["properties"]["id"] for f in data["features"]] == [project.pk]
    assert [p["id"] for p in client.get(reverse("dashboard-zone", args=["W"])).context["projects"]] == [project.pk]
    assert client.get(reverse("dashboard-zone", args=["E"])).context["projects"] == []


# --- exports share the page's selector ----------------------------------------------------------------


def read_csv(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # a byte-order mark, so spreadsheets read UTF-8
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_zone_table_exports_as_csv_and_geojson_with_the_same_filters(client, officer, answered):
    client.force_login(officer)
    params = {"metric": "share_feeling_safe", "slot": "night", "period": "rolling28"}
    page_rows = client.get(reverse("dashboard"), params).context["zones"]
    rows = read_csv(client.get(reverse("dashboard"), params | {"format": "csv"}))
    assert {r["code"]: r["value"] for r in rows} == {r["code"]: str(r["value"]) for r in page_rows}
    assert {r["code"]: r["n"] for r in rows} == {"W": "3", "E": "1"}
    assert all(r["metric"] == "share_feeling_safe" and r["slot"] == "night" for r in rows)
    geo = client.get(reverse("dashboard"), params | {"format": "geojson"})
    assert geo["Content-Type"] == "application/geo+json"
    assert len(geo.json()["features"]) == 2
    assert client.get(reverse("dashboard"), params | {"format": "ods"}).status_code == 400


def test_every_layer_and_table_exports_as_csv(client, officer, answered):
    make_alert(answered[0])
    client.force_login(officer)
    for layer in filters.LAYERS:
        assert client.get(reverse("dashboard-layer", args=[layer]), {"format": "csv"}).status_code == 200
    alerts = read_csv(client.get(reverse("dashboard-alerts"), {"format": "csv"}))
    assert [a["zone_code"] for a in alerts] == ["W"]
    assert client.get(reverse("dashboard-alerts"), {"format": "geojson"}).json()["features"][0]["geometry"]
    assert read_csv(client.get(reverse("dashboard-hotspots"), {"format": "csv"})) == []
    compare = read_csv(client.get(reverse("dashboard-compare"), {"zones": "W,E", "format": "csv"}))
    assert {(r["metric"], r["code"]) for r in compare} >= {("psi", "W"), ("psi", "E"), ("share_feeling_safe", "W")}
    for table in ("series", "slots", "categories", "reports", "sensors", "alerts"):
        response = client.get(reverse("dashboard-zone", args=["W"]), {"format": "csv", "table": table})
        assert response.status_code == 200, table
    categories = read_csv(client.get(reverse("dashboard-zone", args=["W"]), {"format": "csv", "table": "categories"}))
    assert [(c["category"], c["reports"]) for c in categories] == [("broken-street-light", "3")]
    reports = read_csv(client.get(reverse("dashboard-zone", args=["W"]), {"format": "csv", "table": "reports"}))
    assert len(reports) == 3 and "tracking_code" in reports[0]


# --- zone page and compare ----------------------------------------------------------------------------


def test_the_zone_page_shows_trend_day_against_night_and_bounded_recent_reports(client, officer, answered, category):
    submit_answers(category, Point(7.675, 45.065), [PerceivedSafety.FAIRLY_SAFE] * 12, when=last_night_at(days_ago=3))
    client.force_login(officer)
    response = client.get(reverse("dashboard-zone", args=["W"]), {"metric": "share_feeling_safe"})
    html = response.content.decode()
    for element in ('id="zone-trend-data"', 'id="zone-slots-data"', 'id="series-table"', 'id="categories-table"'):
        assert element in html
    assert len(response.context["recent"]) == selectors.RECENT_REPORTS
    night = [r for r in response.context["comparison"] if r["metric"] == "share_feeling_safe" and r["slot"] == "night"]
    assert night[0]["n"] == 3
    assert client.get(reverse("dashboard-zone", args=["NOPE"])).status_code == 404


def test_compare_lists_zones_side_by_side_and_names_unknown_codes(client, officer, answered):
    client.force_login(officer)
    response = client.get(reverse("dashboard-compare"), {"zones": "E,W,NOPE", "metric": "share_feeling_safe"})
    assert [z.code for z in response.context["zones"]] == ["E", "W"]
    assert response.context["missing"] == ["NOPE"]
    share = next(row for row in response.context["table"] if row["cells"][0]["metric"] == "share_feeling_safe")
    assert [c["label"] for c in share["cells"]] == ["0%", "67%"]
    assert 'id="compare-data"' in response.content.decode()


# --- bounded queries ------------------------------------------------------------------------------------


def test_pages_cost_a_bounded_number_of_queries_whatever_the_zones(
    client, officer, answered, django_assert_max_num_queries
):
    for i in range(6):
        square_zone(f"X{i}", 7.70 + 0.01 * i, 45.10, population=1000)
    make_alert(answered[0])
    client.force_login(officer)
    client.get(reverse("dashboard"))  # warm the geometry cache
    custom_from, custom_to = timezone.localdate() - dt.timedelta(days=10), timezone.localdate()
    # The overview reads the latest representative survey (+2 queries at most), the zone page its survey
    # share, its reporters' share and who answered (+6): still bounded, whatever the zones.
    budgets = {
        reverse("dashboard"): 17,
        reverse("dashboard-zones-geojson"): 8,
        reverse("dashboard-zone", args=["W"]): 23,  # + the layout's staff links
        reverse("dashboard-alerts"): 9,  # + the cases opened from the alerts, their tasks, the officer check
        reverse("dashboard-hotspots"): 7,  # + the layout's staff links (the user's groups, one query)
        reverse("dashboard-compare") + "?zones=W,E,X1": 8,
        reverse("dashboard") + f"?period=custom&from={custom_from}&to={custom_to}": 17,
        reverse("dashboard-zone", args=["W"]) + f"?period=custom&from={custom_from}&to={custom_to}": 23,
    }
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


# --- login protection ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_login_for_that_user(client, officer):
    from conftest import TEST_PASSWORD

    url = reverse("login")
    for _attempt in range(5):
        assert client.post(url, {"username": "officer", "password": "wrong"}).status_code in (200, 429)
    locked = client.post(url, {"username": "officer", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out.
    make_user("colleague", "officer")
    assert client.post(url, {"username": "colleague", "password": TEST_PASSWORD}).status_code == 302


def test_a_good_password_logs_in_through_the_page_and_sessions_end_with_the_browser(client, officer):
    from conftest import TEST_PASSWORD

    response = client.post(reverse("login"), {"username": "officer", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    session_cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session_cookie["expires"] == "" and session_cookie["max-age"] == ""  # a browser-session cookie


def test_pages_speak_italian_by_default_and_english_on_request(client, officer, two_zones):
    client.force_login(officer)
    italian = client.get(reverse("dashboard")).content.decode()
    assert "Panoramica della città" in italian and "Allerte aperte" in italian
    client.post(reverse("set_language"), {"language": "en", "next": "/dashboard/"})
    english = client.get(reverse("dashboard-alerts")).content.decode()
    assert "City overview" in english and "No alerts." in english


def test_the_zone_page_pools_a_custom_range_for_every_slot(client, officer, answered):
    client.force_login(officer)
    night = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    response = client.get(reverse("dashboard-zone", args=["W"]), {"period": "custom", "from": night, "to": night})
    rows = {(r["metric"], r["slot"]): r for r in response.context["comparison"]}
    share = rows[("share_feeling_safe", "night")]
    assert (share["n"], share["value"]) == (3, pytest.approx(0.6667, abs=1e-4))
    assert share["lower"] < share["value"] < share["upper"]
    assert rows[("share_feeling_safe", "evening")]["value"] is None


# --- hostile filters and what the exports write -----------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"period": "custom", "from": "0001-01-01", "to": "0001-01-05"},
        {"period": "custom", "from": "9999-12-01", "to": "9999-12-31"},
        {"period": "custom", "from": "1900-01-01", "to": "1900-01-05"},
        {"period": "custom", "from": "2026-01-01\x00", "to": "2026-01-05"},
    ],
)
@pytest.mark.parametrize("page", ["dashboard", "dashboard-zone", "dashboard-hotspots", "dashboard-compare"])
def test_a_custom_range_outside_the_window_falls_back_with_a_notice_never_a_500(
    client, officer, two_zones, page, params
):
    client.force_login(officer)
    url = reverse(page, args=["W"]) if page == "dashboard-zone" else reverse(page)
    response = client.get(url, params | ({"zones": "W,E"} if page == "dashboard-compare" else {}))
    assert response.status_code == 200
    assert response.context["filters"].period == "rolling28"
    errors = " ".join(response.context["filters"].errors)
    assert "2000-01-01" in errors or "NUL" in errors
    assert errors.split(" ")[0] in response.content.decode()


def test_a_nul_as_a_zone_code_is_a_404_and_in_compare_a_notice(client, officer, two_zones):
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    assert client.get("/dashboard/zones/%00/").status_code == 404
    assert client.get("/dashboard/zones/W%00/", {"format": "csv", "table": "sensors"}).status_code == 404
    response = client.get(reverse("dashboard-compare"), {"zones": "\x00,W"})
    assert response.status_code == 200
    assert [z.code for z in response.context["zones"]] == ["W"]
    assert "NUL" in response.content.decode()


def test_compare_takes_at_most_six_zones_and_says_so(client, officer, two_zones):
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    codes = ",".join(["W", "E"] + [f"Z{i}" for i in range(498)])
    response = client.get(reverse("dashboard-compare"), {"zones": codes})
    assert response.status_code == 200
    assert "At most 6 zones" in response.content.decode()
    assert response.context["missing"] == ["Z0", "Z1", "Z2", "Z3"]
    assert client.get(reverse("dashboard-compare"), {"zones": codes, "format": "csv"}).status_code == 400


def test_dashboard_exports_write_formulas_as_text_and_numbers_as_numbers(client, officer, two_zones):
    from sensors import services
    from sensors.tests.conftest import kind

    square_zone('=HYPERLINK("http://evil.example/","x")', 7.69, 45.06, name="@SUM(A1:A9)", population=5)
    for external_id, name, lon in (("+1", "-1+2", -0.1), ("S2", "=1+1", 7.675)):
        point = Point(lon, 45.065, srid=4326)
        services.sensor_register(kind=kind(), location=point, external_id=external_id, name=name)
    client.force_login(officer)
    zones = read_csv(client.get(reverse("dashboard"), {"format": "csv"}))
    evil = next(r for r in zones if r["name"] == "'@SUM(A1:A9)")
    assert evil["code"] == '\'=HYPERLINK("http://evil.example/","x")'
    assert evil["population"] == "5"
    sensors = read_csv(client.get(reverse("dashboard-layer", args=["sensors"]), {"format": "csv"}))
    # Text that a spreadsheet would run gets an apostrophe; a negative number stays a number.
    assert {(r["external_id"], r["name"], r["lon"]) for r in sensors} == {("'+1", "'-1+2", "-0.1"), ("S2", "'=1+1",
                                                                          "7.675")}  # fmt: skip
    west = read_csv(client.get(reverse("dashboard-zone", args=["W"]), {"format": "csv", "table": "sensors"}))
    assert [r["name"] for r in west] == ["'=1+1"]
