"""The demo's intersectoral work: Torino-like departments, eight circoscrizioni over the demo zones, department
logins, routing rules and cases in every state, all made through the cases services."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from cases.models import Case, CaseEvent, RoutingRule, Task
from city.models import Department, Zone

from .test_seed_demo import seed


@pytest.mark.django_db
def test_the_demo_seeds_departments_councils_people_rules_and_cases_in_every_state():
    output = seed()
    councils = Department.objects.filter(kind=Department.Kind.DISTRICT_COUNCIL, code__startswith="circ-")
    assert councils.count() == 8
    covered = set(Zone.objects.filter(departments__in=councils).values_list("id", flat=True))
    assert covered == set(Zone.objects.values_list("id", flat=True))  # every zone has its circoscrizione
    assert Department.objects.filter(kind=Department.Kind.PARTNER).exists()
    assert RoutingRule.objects.filter(category__code="dark-area").count() == 2
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == {"open", "closed"}
    assert Task.objects.overdue().exists() and Task.objects.filter(status="in_progress").exists()
    assert CaseEvent.objects.filter(action=CaseEvent.Action.REOPENED).exists()  # a citizen said "no"
    lighting = User.objects.get(username="demo-lighting")
    assert lighting.memberships.get().department.code == "lighting"
    assert "demo-circ1" in output and "demo-police-coord" in output
    client = Client()
    assert client.login(username="demo-lighting", password=settings.DEMO_PASSWORD)
    assert len(client.get("/cases/").context["tasks"]) > 0
