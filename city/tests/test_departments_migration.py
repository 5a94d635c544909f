"""Departments become rows: an installation whose reports carry the old hard-coded codes migrates without any
report or category losing its department, and an empty code becomes no department."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from city.models import Department
from reports.models import Category, Report

BEFORE_DEPARTMENTS = [("reports", "0010_zone_moves_to_city"), ("city", "0002_outbound_email")]


def migrate_to(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_reports_keep_their_department_when_codes_become_rows():
    old = migrate_to(BEFORE_DEPARTMENTS)
    Zone_, Category_, Report_ = (old.get_model(*name.split(".")) for name in ("city.Zone", "reports.Category",
                                                                               "reports.Report"))  # fmt: skip
    zone = Zone_.objects.create(
        code="Z", name="Z", geom=MultiPolygon(Polygon.from_bbox((7.6, 45.0, 7.7, 45.1)), srid=4326)
    )
    category = Category_.objects.create(
        code="old-cat", name_it="Vecchia", name_en="Old", default_department="transport"
    )
    common = {"category": category, "location": Point(7.65, 45.05, srid=4326), "perceived_safety": 2,
              "occurred_at": timezone.now(), "zone": zone, "night": dt.date(2026, 11, 20), "slot": "night"}  # fmt: skip
    police = Report_.objects.create(tracking_code="POLICE01", department="municipal_police", **common)
    unassigned = Report_.objects.create(tracking_code="NOBODY01", department="", **common)
    odd = Report_.objects.create(tracking_code="ODDCODE1", department="night_watch", **common)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Report.objects.get(pk=police.pk).department.code == "municipal_police"
    assert Report.objects.get(pk=unassigned.pk).department is None
    assert Report.objects.get(pk=odd.pk).department == Department.objects.get(code="night_watch")  # kept, as a row
    assert Category.objects.get(pk=category.pk).default_department.code == "transport"
    assert Department.objects.get(code="lighting").name_en == "Public lighting"
