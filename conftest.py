"""Fixtures shared by every test: zones, categories and the staff roles, built through the product's own code."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Polygon

from city.models import Zone
from reports.models import Category

# The real processes (Celery worker, gunicorn, Chromium) as fixtures, shared by every app's tests.
pytest_plugins = ["tests.processes"]

# Rows the data migrations create. Transactional tests flush every table, so they are put back
# before each database test (and after a --reuse-db run that ended with a flush).
REFERENCE_DATA_MIGRATIONS = [
    ("observatory.migrations.0002_staff_groups", "create_groups"),
    ("city.migrations.0003_departments", "seed"),
    ("reports.migrations.0002_seed_categories", "seed"),
    ("reports.migrations.0005_category_defaults", "seed"),
    ("reports.migrations.0007_bilingual_questions", "seed"),
    ("sensors.migrations.0002_seed_kinds", "add_kinds"),
    ("surveys.migrations.0002_national_reference", "add_references"),
]
DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


def ensure_reference_data() -> None:
    if Group.objects.filter(name="officer").exists() and Category.objects.exists():
        return
    for module, function in REFERENCE_DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(django_apps, None)
    from django.contrib.auth.models import Permission

    from grants.permissions import grant_group_permissions

    grant_group_permissions(Group, Permission)


@pytest.fixture(autouse=True)
def reference_data(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not DB_FIXTURES & set(request.fixturenames):
        return
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    request.getfixturevalue("transactional_db" if transactional or "transactional_db" in request.fixturenames else "db")
    ensure_reference_data()
    # Pages cache derived data under the indicator data version: each test starts a version of its own.
    from city.dataversion import bump_data_version

    bump_data_version()
    forget_open311_throttles()


def forget_open311_throttles() -> None:
    """Open311's POST counters (open311/throttles.py) live in Redis across tests and runs: each test starts at 0."""
    from django.core.cache import cache

    client = cache._cache.get_client()
    keys = list(client.scan_iter(match="*throttle_open311_*", count=1000))
    if keys:
        client.delete(*keys)


def square_zone(code: str, lon: float, lat: float, size: float = 0.01, **fields) -> Zone:
    """A square zone with its south-west corner at (lon, lat); neighbours share borders exactly."""
    polygon = Polygon.from_bbox((lon, lat, lon + size, lat + size))
    return Zone.objects.create(
        code=code,
        name=fields.pop("name", f"Zone {code}"),
        kind=fields.pop("kind", Zone.Kind.OTHER),
        geom=MultiPolygon(polygon, srid=4326),
        **fields,
    )


@pytest.fixture
def two_zones(db) -> tuple[Zone, Zone]:
    """Two neighbouring squares in central Torino sharing the meridian 7.68 E."""
    west = square_zone("W", 7.67, 45.06, population=12000, name="Ovest")
    east = square_zone("E", 7.68, 45.06, population=8000, name="Est")
    return west, east


@pytest.fixture
def category(db) -> Category:
    # get_or_create: transactional tests flush the rows the data migration seeded.
    category, _ = Category.objects.get_or_create(
        code="broken-street-light",
        defaults={"name_it": "Lampione spento o guasto", "name_en": "Street light out or broken", "group": "lighting"},
    )
    return category


TEST_PASSWORD = "test-password-1"  # noqa: S105 (test fixture)


def make_user(username: str, *groups: str, **extra) -> User:
    user = User.objects.create_user(username=username, password=TEST_PASSWORD, **extra)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def officer(db) -> User:
    return make_user("officer", "officer")


@pytest.fixture
def moderator(db) -> User:
    return make_user("moderator", "moderator")


@pytest.fixture
def citizen_account(db) -> User:
    """A logged-in user with no staff role (an outsider to the dashboards)."""
    return make_user("outsider")
