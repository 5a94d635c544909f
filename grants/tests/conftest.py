"""Grants fixtures: a small city of square zones, calls with criteria, applications moved through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.gis.geos import GeometryCollection, Point, Polygon
from django.utils import timezone, translation

from conftest import make_user, square_zone
from grants import services
from grants.models import Application, Call, CommissionMember, Criterion
from grants.permissions import grant_group_permissions

LON0, LAT0, CELL = 7.64, 45.04, 0.01  # a 4 x 4 grid of 0.01° squares in Torino (about 790 m x 1110 m)
TODAY = timezone.localdate


def cell_centre(column: int, row: int) -> tuple[float, float]:
    return LON0 + (column + 0.5) * CELL, LAT0 + (row + 0.5) * CELL


@pytest.fixture
def grid(db) -> list:
    """16 zones G<col><row>, populations varying so that matching has something to match on."""
    zones = []
    for row in range(4):
        for column in range(4):
            zones.append(
                square_zone(
                    f"G{column}{row}",
                    LON0 + column * CELL,
                    LAT0 + row * CELL,
                    CELL,
                    population=5000 + 1000 * ((column * 7 + row * 3) % 5),
                )
            )
    return zones


def site_at(column: int, row: int, half: float = 0.001) -> GeometryCollection:
    lon, lat = cell_centre(column, row)
    return GeometryCollection(Polygon.from_bbox((lon - half, lat - half, lon + half, lat + half)), srid=4326)


def point_site(lon: float, lat: float) -> GeometryCollection:
    return GeometryCollection(Point(lon, lat, srid=4326), srid=4326)


def make_call(budget="100000.00", kind=Call.Kind.SOCIAL_INNOVATION, criteria=(("Impatto", "0.6"), ("Qualità", "0.4"))):
    today = TODAY()
    call = Call.objects.create(
        kind=kind,
        title_it="Bando di prova",
        title_en="Test call",
        budget=Decimal(budget),
        opens_on=today - dt.timedelta(days=90),
        closes_on=today - dt.timedelta(days=30),
        eligibility="Enti del terzo settore.",
    )
    for name, weight in criteria:
        Criterion.objects.create(call=call, name=name, weight=Decimal(weight))
    return call


def submit(call, *, requested="40000.00", sites=None, title="Luci in piazza", **extra) -> Application:
    fields = {
        "organisation": "Associazione Quartiere Vivo",
        "contact_name": "Maria Rossi",
        "contact_email": "maria.rossi@example.org",
        "contact_phone": "+39 011 555 0199",
        "summary": "Animazione serale della piazza.",
        "submitted_on": call.opens_on + dt.timedelta(days=5),
        **extra,
    }
    return services.application_submit(
        call=call, title=title, requested_amount=requested, sites=sites or site_at(1, 1), **fields
    )


def seat(call, evaluator, *, has_conflict=False):
    """The evaluator on the call's commission, declaration signed (no conflict unless asked)."""
    member = CommissionMember.objects.filter(call=call, evaluator=evaluator).first()
    if member is None:
        services.commission_assign(call=call, evaluator=evaluator)
    if member is None or member.declared_at is None:
        services.commission_declare(
            call=call, evaluator=evaluator, has_conflict=has_conflict, declaration="Parente del legale rappresentante."
        )


def make_ranked(call, evaluator, *, requested="40000.00", scores=(8, 7), sites=None, title="Luci in piazza"):
    application = submit(call, requested=requested, sites=sites, title=title)
    services.application_transition(application=application, to_status=Application.Status.ELIGIBLE, actor=evaluator)
    seat(call, evaluator)
    for criterion, value in zip(call.criteria.order_by("id"), scores, strict=True):
        services.score_record(
            application=application, criterion=criterion, evaluator=evaluator, score=value, reason="Motivata."
        )
    services.application_transition(application=application, to_status=Application.Status.SCORED, actor=evaluator)
    services.call_rank(call=call, actor=evaluator)
    application.refresh_from_db()
    return application


_serial = itertools.count(1)


def organisation_tax_code(serial: int) -> str:
    """A valid 11-digit tax code (its check digit computed as the Agenzia delle Entrate does)."""
    body = f"{serial:010d}"
    total = 0
    for index, digit in enumerate(int(c) for c in body):
        if index % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return body + str((10 - total % 10) % 10)


def make_organisation(name="Associazione Quartiere Vivo", *, durc_days=120, **checks):
    organisation = services.organisation_register(
        name=name, tax_code=organisation_tax_code(next(_serial)), email="info@quartierevivo.example"
    )
    return services.organisation_checks_record(
        organisation=organisation, durc_valid_until=TODAY() + dt.timedelta(days=durc_days), **checks
    )


def next_cup() -> str:
    return f"C11G{TODAY():%y}{next(_serial):09d}"


def award(application, amount="30000.00", *, start=None, actor=None, publish=True, **extra):
    """Award through the services with what a payment needs: a beneficiary with a valid DURC, a CUP, the
    RUP, the office, the award act and (unless ``publish=False``) the art. 26 publication."""
    start = start or TODAY() - dt.timedelta(days=20)
    details = {
        "organisation": make_organisation(application.organisation),
        "cup": next_cup(),
        "rup": "Dott.ssa Laura Verdi",
        "office": "Divisione Servizi Sociali",
        "award_act_number": "DD 123/2026",
        "award_act_date": TODAY() - dt.timedelta(days=25),
        **extra,
    }
    project = services.project_award(
        application=application,
        granted_amount=amount,
        start_on=start,
        end_on=start + dt.timedelta(days=365),
        actor=actor,
        **details,
    )
    if publish:
        services.project_publish(project=project)
    return project


@pytest.fixture(autouse=True)
def english_messages():
    """Services speak the active language (Italian by default); the tests read their English source."""
    with translation.override("en"):
        yield


@pytest.fixture
def grants_admin(db):
    grant_group_permissions(Group, Permission)  # transactional tests flush the migration's grants
    return make_user("grants-admin", "grants_admin", is_staff=True)


@pytest.fixture
def evaluator(db):
    return make_user("evaluator", "grants_admin", is_staff=True)
