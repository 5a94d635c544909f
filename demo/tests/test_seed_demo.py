"""seed_demo builds a deterministic synthetic city: hexagons, months of reports, indicators, demo logins."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client

from city import nightslots
from city.models import StaleZoneNight, Zone
from indicators.models import Indicator
from reports.models import TRACKING_ALPHABET, TRACKING_CODE_LENGTH, Report, SafetyAudit

# A fixed last night keeps runs comparable; the month before it spans the switch to summer time
# (30 March 2025), so the night and slot stamps are checked across a daylight-saving change.
LAST_NIGHT = "2025-04-10"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*extra: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--scale", "small", "--months", "1", "--until", LAST_NIGHT, *extra, stdout=out)
    return out.getvalue()


def fingerprint() -> str:
    """An md5 over every report's code, instant, place and answer, in a fixed order."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT md5(string_agg(concat_ws('|', tracking_code, extract(epoch FROM occurred_at)::text,
                                            ST_AsText(location), perceived_safety::text), ',' ORDER BY tracking_code))
            FROM reports_report
            """
        )
        return cursor.fetchone()[0]


def scalar(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_small_scale_seeds_a_city_of_about_fifty_hexagons_denser_at_the_centre():
    seed()
    zones = list(Zone.objects.order_by("code"))
    assert 40 <= len(zones) <= 60
    assert {z.kind for z in zones} == {Zone.Kind.HEX}
    # Zones read as places people know: a Torino quarter and its district, never a bare cell number.
    assert zones[0].code == "H001" and zones[0].place_label == "Centro, Circoscrizione 1"
    assert all(z.district.startswith("Circoscrizione ") for z in zones)
    assert len({z.name for z in zones}) == len(zones)
    assert all(z.population and z.population > 0 and z.area_km2 > 0 for z in zones)
    density = {z.code: z.population / z.area_km2 for z in zones}
    outer_ring = [density[z.code] for z in zones[-12:]]
    assert density["H001"] > sum(outer_ring) / len(outer_ring)


@pytest.mark.django_db
def test_the_demo_seeds_walkers_audits_a_street_register_and_public_notes():
    from city.models import Street
    from reports.models import Report, SafetyAudit, StatusChange

    seed()
    audits = SafetyAudit.objects.all()
    assert audits.count() > 0 and not audits.filter(zone__isnull=True).exists()
    assert Street.objects.count() >= 20 and Street.objects.matching("via po")[0].name == "Via Po"
    # House numbers along the demo streets: "via po, 12" is a door a few metres off Via Po, on its even side.
    from reports.services import address_match

    door = address_match("via po, 12")
    assert door.exact and door.label == "Via Po 12"
    assert 3 < door.point.distance(Street.objects.get(name="Via Po").geom) * 111_000 < 12
    noted = StatusChange.objects.exclude(public_note="").select_related("report")
    assert noted.count() > 0 and all(c.report.is_published and c.report.status == c.to_status for c in noted[:50])
    assert Report.objects.filter(is_published=True).exclude(status="submitted").exists()


@pytest.mark.django_db
def test_hexagons_tile_the_city_without_gaps_or_overlaps():
    seed()
    assert scalar("SELECT count(*) FROM observatory_zone a JOIN observatory_zone b ON a.id < b.id "
                  "WHERE ST_Overlaps(a.geom, b.geom)") == 0  # fmt: skip
    union_area, summed_area, holes, parts = (
        scalar("SELECT ST_Area(ST_Union(geom)) FROM observatory_zone"),
        scalar("SELECT sum(ST_Area(geom)) FROM observatory_zone"),
        scalar("SELECT ST_NumInteriorRings(ST_GeometryN(ST_Union(geom), 1)) FROM observatory_zone"),
        scalar("SELECT ST_NumGeometries(ST_Union(geom)) FROM observatory_zone"),
    )
    assert union_area == pytest.approx(summed_area, rel=1e-9)
    assert (parts, holes) == (1, 0)
    # Neighbours share whole edges, not just corners: an inner cell touches six others along a line.
    assert (
        scalar(
            "SELECT count(*) FROM observatory_zone a JOIN observatory_zone b ON a.id <> b.id "
            "WHERE a.code = 'H001' AND ST_Length(ST_Intersection(a.geom, b.geom)) > 0"
        )
        == 6
    )


@pytest.mark.django_db
def test_a_month_of_small_scale_is_a_sixth_of_five_thousand_demo_reports():
    seed()
    assert Report.objects.count() == round(5000 / 6)
    assert set(Report.objects.values_list("source", flat=True).distinct()) == {Report.Source.DEMO}
    # Unpublished reports wait for a moderator, or are already in a department's case (demo/cases.py); some
    # published ones carry the city's answer (demo/reports.py).
    assert set(Report.objects.filter(is_published=False).values_list("status", flat=True).distinct()) <= {
        Report.Status.SUBMITTED,
        Report.Status.IN_PROGRESS,
        Report.Status.RESOLVED,
    }
    first_night = dt.date.fromisoformat(LAST_NIGHT) - dt.timedelta(days=29)
    assert Report.objects.filter(night__lt=first_night).count() == 0
    assert Report.objects.filter(night__gt=LAST_NIGHT).count() == 0
    codes = list(Report.objects.values_list("tracking_code", flat=True))
    assert len(set(codes)) == len(codes)
    assert all(len(c) == TRACKING_CODE_LENGTH and set(c) <= set(TRACKING_ALPHABET) for c in codes)


@pytest.mark.django_db
def test_every_report_lies_in_the_zone_it_is_stamped_with():
    seed()
    assert Report.objects.filter(zone__isnull=True).count() == 0
    assert (
        scalar(
            "SELECT count(*) FROM reports_report r JOIN observatory_zone z ON z.id = r.zone_id "
            "WHERE NOT ST_Covers(z.geom, r.location)"
        )
        == 0
    )


@pytest.mark.django_db
def test_night_and_slot_stamps_agree_with_nightslots_across_the_change_to_summer_time():
    seed()
    rows = list(Report.objects.values_list("occurred_at", "night", "slot"))
    assert rows
    assert [(nightslots.night_of(at), nightslots.slot_of(at)) for at, _n, _s in rows] == [(n, s) for _a, n, s in rows]
    assert {s for _a, _n, s in rows} == set(nightslots.slot_codes())
    assert any(n == dt.date(2025, 3, 29) for _a, n, _s in rows)  # the night clocks went forward


@pytest.mark.django_db
def test_reports_are_busier_after_dark_and_on_weekend_nights_and_feel_safer_by_day():
    seed()
    by_slot = {
        slot: (n, safe)
        for slot, n, safe in _rows(
            "SELECT slot, count(*), count(*) FILTER (WHERE perceived_safety >= 3) FROM reports_report GROUP BY slot"
        )
    }
    after_dark = sum(n for slot, (n, _safe) in by_slot.items() if slot != "day")
    assert after_dark > by_slot["day"][0]
    assert by_slot["day"][1] / by_slot["day"][0] > by_slot["late_night"][1] / by_slot["late_night"][0]
    per_night = dict(
        _rows(
            "SELECT extract(isodow FROM night) IN (5, 6), count(*)::float / count(DISTINCT night) "
            "FROM reports_report GROUP BY 1"
        )
    )
    assert per_night[True] > per_night[False]


@pytest.mark.django_db
def test_the_same_seed_gives_identical_reports():
    seed("--seed", "7")
    first = fingerprint()
    seed("--seed", "7")
    assert fingerprint() == first


@pytest.mark.django_db
def test_another_seed_gives_different_reports():
    seed("--seed", "7")
    first = fingerprint()
    seed("--seed", "8")
    assert fingerprint() != first


@pytest.mark.django_db
def test_reseeding_replaces_the_demo_data_instead_of_adding_to_it():
    seed()
    counts = (Zone.objects.count(), Report.objects.count(), Indicator.objects.count())
    demo_users = set(User.objects.filter(username__startswith="demo-").values_list("username", flat=True))
    seed()
    assert (Zone.objects.count(), Report.objects.count(), Indicator.objects.count()) == counts
    assert set(User.objects.filter(username__startswith="demo-").values_list("username", flat=True)) == demo_users
    assert {"demo-officer", "demo-moderator", "demo-grants", "demo-admin"} <= demo_users


@pytest.mark.django_db
def test_indicators_are_computed_right_away_and_nothing_is_left_stale():
    seed()
    assert Indicator.objects.exists()
    assert (
        scalar(
            "SELECT sum(n) FROM observatory_indicator WHERE metric = 'share_feeling_safe' AND period_kind = 'night' "
            "AND slot = ANY(%s)",
            [nightslots.slot_codes()],
        )
        == Report.objects.count() + SafetyAudit.objects.count()  # the share counts reports and walkers' audits
    )
    assert StaleZoneNight.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "group"),
    [("demo-officer", "officer"), ("demo-moderator", "moderator"), ("demo-grants", "grants_admin")],
)
def test_demo_staff_accounts_are_in_their_role_group_and_log_in_with_the_demo_password(username, group):
    User.objects.create_user(username=username, password="an-old-password")  # reseeding resets it
    output = seed()
    user = User.objects.get(username=username)
    assert list(user.groups.values_list("name", flat=True)) == [group]
    assert not user.is_superuser
    assert Client().login(username=username, password=settings.DEMO_PASSWORD)
    assert username in output


@pytest.mark.django_db
def test_demo_admin_is_a_superuser_with_the_demo_password():
    seed()
    admin = User.objects.get(username="demo-admin")
    assert admin.is_superuser and admin.is_staff
    assert Client().login(username="demo-admin", password=settings.DEMO_PASSWORD)


@pytest.mark.django_db
def test_zones_can_come_from_a_file_with_mapped_fields(tmp_path):
    squares = [("Borgo Uno", "B1", 7.60), ("Borgo Due", "B2", 7.62)]
    features = [
        {
            "type": "Feature",
            "properties": {"nome": name, "codice": code},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[lon, 45.0], [lon + 0.02, 45.0], [lon + 0.02, 45.02], [lon, 45.02], [lon, 45.0]]],
            },
        }
        for name, code, lon in squares
    ]
    path = tmp_path / "borghi.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    seed("--zones", str(path), "--name-field", "nome", "--code-field", "codice")
    assert sorted(Zone.objects.values_list("code", "name")) == [("B1", "Borgo Uno"), ("B2", "Borgo Due")]
    assert Report.objects.count() == round(5000 / 6)
    assert (
        scalar(
            "SELECT count(*) FROM reports_report r JOIN observatory_zone z ON z.id = r.zone_id "
            "WHERE NOT ST_Covers(z.geom, r.location)"
        )
        == 0
    )


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()
