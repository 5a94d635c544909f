"""An observatory installed before the split into city/indicators upgrades with `migrate` and keeps every row.

The database is taken back to the leaf migrations of that layout (observatory 0004 with every model,
reports 0009, sensors 0004, grants 0007), filled through the historical models, then migrated forward
to today's leaves: the rows, the foreign keys between apps and the permissions a group held on the
moved models must all still be there.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import GeometryCollection, MultiPolygon, Point, Polygon
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from city.models import StaleZoneNight, Zone
from grants.models import Project
from indicators.models import Alert, HotSpot, Indicator
from reports.models import Report
from sensors.models import Sensor

BEFORE_THE_SPLIT = [
    ("observatory", "0004_stale_sources"),
    ("reports", "0009_covering_zone_night_index"),
    ("sensors", "0004_readings_night_brin"),
    ("grants", "0007_disbursement_labels"),
]
# The apps the models moved to did not exist yet.
NEW_APPS = [("city", None), ("indicators", None)]
NIGHT = dt.date(2026, 11, 20)


def migrate_to(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    nodes = [target for target in targets if target[1] is not None]
    return MigrationExecutor(connection).loader.project_state(nodes).apps


def fill_the_old_layout(old) -> dict:
    """Rows in every moved table and in each app that points at a zone, through the historical models."""
    Zone_, Indicator_ = old.get_model("observatory", "Zone"), old.get_model("observatory", "Indicator")
    square = MultiPolygon(Polygon.from_bbox((7.68, 45.06, 7.69, 45.07)), srid=4326)
    parent = Zone_.objects.create(code="T", name="Torino", kind="municipality", geom=square)
    zone = Zone_.objects.create(
        code="T-01", name="Centro", kind="district", geom=square, parent=parent, population=9000
    )
    now = timezone.now()
    Indicator_.objects.create(
        zone=zone,
        period_kind="night",
        period_start=NIGHT,
        slot="night",
        metric="psi",
        method_version="2.0",
        value=61.5,
        n=12,
        computed_at=now,
    )
    old.get_model("observatory", "HotSpot").objects.create(
        zone=zone,
        slot="night",
        period_kind="rolling28",
        period_start=NIGHT,
        method_version="2.0",
        value=61.5,
        computed_at=now,
    )
    old.get_model("observatory", "Alert").objects.create(
        zone=zone,
        slot="night",
        metric="share_feeling_safe",
        window_start=NIGHT,
        window_end=NIGHT,
        method_version="2.0",
        baseline=0.7,
        current=0.4,
        baseline_n=40,
        current_n=35,
        statistic=-2.9,
        p_value=0.004,
        q_value=0.01,
        created_at=now,
    )
    old.get_model("observatory", "StaleZoneNight").objects.create(zone=zone, night=NIGHT, sensors=True)
    category = old.get_model("reports", "Category").objects.order_by("id").first()
    report = old.get_model("reports", "Report").objects.create(
        tracking_code="MIGRATE1",
        category=category,
        location=Point(7.685, 45.065, srid=4326),
        perceived_safety=2,
        occurred_at=now,
        zone=zone,
        night=NIGHT,
        slot="night",
    )
    kind = old.get_model("sensors", "SensorKind").objects.order_by("id").first()
    sensor = old.get_model("sensors", "Sensor").objects.create(
        kind=kind, location=Point(7.685, 45.065, srid=4326), zone=zone, installed_on=NIGHT
    )
    site = GeometryCollection(Point(7.685, 45.065, srid=4326), srid=4326)
    call = old.get_model("grants", "Call").objects.create(
        kind="infrastructure",
        title_it="Bando",
        title_en="Call",
        budget=Decimal("100000.00"),
        opens_on=NIGHT,
        closes_on=NIGHT + dt.timedelta(days=30),
    )
    application = old.get_model("grants", "Application").objects.create(
        call=call,
        organisation="Ass. Luce",
        contact_name="Ada",
        contact_email="ada@example.org",
        title="Luce",
        summary="Più luce.",
        requested_amount=Decimal("50000.00"),
        co_financing=Decimal("0.00"),
        sites=site,
        submitted_on=NIGHT,
    )
    project = old.get_model("grants", "Project").objects.create(
        application=application,
        call=call,
        beneficiary="Ass. Luce",
        title_it="Luce",
        title_en="Light",
        granted_amount=Decimal("40000.00"),
        start_on=NIGHT,
        end_on=NIGHT + dt.timedelta(days=200),
        sites=site,
    )
    project.zones.add(zone)
    # An officer group allowed to see zones and indicators in the admin, on the old app label.
    ContentType, Permission = old.get_model("contenttypes", "ContentType"), old.get_model("auth", "Permission")
    group = old.get_model("auth", "Group").objects.get(name="officer")
    for model in ("zone", "indicator"):
        content_type, _created = ContentType.objects.get_or_create(app_label="observatory", model=model)
        permission, _created = Permission.objects.get_or_create(
            content_type=content_type, codename=f"view_{model}", defaults={"name": f"Can view {model}"}
        )
        group.permissions.add(permission)
    return {"zone": zone.pk, "parent": parent.pk, "report": report.pk, "sensor": sensor.pk, "project": project.pk}


@pytest.mark.django_db(transaction=True)
def test_an_installation_from_before_the_split_migrates_without_losing_a_row():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    ids = fill_the_old_layout(migrate_to(BEFORE_THE_SPLIT + NEW_APPS))

    migrate_to(latest)

    zone = Zone.objects.get(code="T-01")
    assert (zone.pk, zone.parent_id, zone.population) == (ids["zone"], ids["parent"], 9000)
    assert Indicator.objects.get(zone=zone, metric="psi").value == 61.5
    assert HotSpot.objects.filter(zone=zone).count() == 1
    assert Alert.objects.get(zone=zone).current_n == 35
    assert StaleZoneNight.objects.get(zone=zone, night=NIGHT).sensors is True
    assert Report.objects.get(pk=ids["report"]).zone == zone
    assert Sensor.objects.get(pk=ids["sensor"]).zone == zone
    assert list(Project.objects.get(pk=ids["project"]).zones.all()) == [zone]
    assert set(zone.reports.values_list("tracking_code", flat=True)) == {"MIGRATE1"}
    held = {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name="officer").permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    assert {"city.view_zone", "indicators.view_indicator"} <= held
    assert not any(permission.startswith("observatory.") for permission in held)
