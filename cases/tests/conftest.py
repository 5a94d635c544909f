"""The city of the cases tests: two zones, lighting and police covering them, a district council on the west
zone, a partner, and one person in each role. Built through the product's own models and services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from city.models import Department, DepartmentMembership
from conftest import make_user
from reports.models import Category

from .. import services
from ..models import RoutingRule

DARK = "dark-area"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Six staff users a test: the real hasher's million rounds would be most of the suite's time (tests log in
    # with force_login; nothing here checks a password).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def italian_by_default():
    # A client request leaves its language active in the thread; each test starts in the default, Italian.
    from django.utils import translation

    translation.activate("it")
    yield
    translation.deactivate()


def member(username: str, department: Department, role=DepartmentMembership.Role.MEMBER, **extra) -> User:
    user = make_user(username, email=f"{username}@comune.example", **extra)
    DepartmentMembership.objects.create(user=user, department=department, role=role)
    return user


@pytest.fixture
def city(two_zones):
    west, east = two_zones
    lighting = Department.objects.get(code="lighting")
    police = Department.objects.get(code="municipal_police")
    for department, inbox in ((lighting, "illuminazione@comune.example"), (police, "polizia@comune.example")):
        department.inbox_email = inbox
        department.save()
        department.zones.set([west, east])
    council = Department.objects.create(
        code="circ-1", name_it="Circoscrizione 1", name_en="District 1", kind=Department.Kind.DISTRICT_COUNCIL,
        inbox_email="circ1@comune.example",
    )  # fmt: skip
    council.zones.set([west])
    partner = Department.objects.create(
        code="partner", name_it="Associazione Notte", name_en="Night association", kind=Department.Kind.PARTNER
    )
    dark, _ = Category.objects.get_or_create(
        code=DARK, defaults={"name_it": "Zona buia", "name_en": "Dark area", "group": "lighting"}
    )
    dark.default_department = lighting
    dark.save()
    RoutingRule.objects.create(category=dark, department=lighting)
    RoutingRule.objects.create(category=dark, department=police)
    return {
        "west": west, "east": east, "lighting": lighting, "police": police, "council": council, "partner": partner,
        "dark": dark,
        "lighting_member": member("lux", lighting),
        "lighting_coordinator": member("lux-coord", lighting, DepartmentMembership.Role.COORDINATOR),
        "police_member": member("vigile", police),
        "police_coordinator": member("vigile-coord", police, DepartmentMembership.Role.COORDINATOR),
        "council_member": member("circ1", council),
        "partner_member": member("partner-user", partner),
    }  # fmt: skip


@pytest.fixture
def dark_report(city):
    from reports.tests.factories import submit

    return submit(
        city["dark"], lon=7.675, lat=45.065, description="Sottopasso buio", contact_email="cittadina@example.org",
        contact_consent=True,
    )  # fmt: skip


@pytest.fixture
def dark_case(dark_report):
    return dark_report.case_link.case


__all__ = ["member", "services"]
