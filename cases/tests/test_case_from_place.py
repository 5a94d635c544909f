"""Opening a case from a place: the officers' zone page, a hot spot and an alert lead to the case form pre-filled
with the zone (and the point when there is one), the title and the departments routing gives the place; the case
opens with one task each. Only officers see the action and may open the form."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case, Priority, RoutingRule
from indicators import registry
from indicators.models import HotSpot

from .test_alerts_to_cases import make_alert

pytestmark = pytest.mark.django_db


def test_the_zone_page_leads_an_officer_to_the_case_form_with_the_zones_departments(client, city, officer):
    client.force_login(officer)
    page = client.get(f"/dashboard/zones/{city['west'].code}/").content.decode()
    assert f'href="/cases/new/?zone={city["west"].code}"' in page
    form = client.get(f"/cases/new/?zone={city['west'].code}")
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert initial["zone"] == "W" and initial["title"] == "Caso in Ovest"
    # Routing of the place: every department covering the zone, the district council among them.
    assert set(initial["departments"]) == {city["lighting"].pk, city["police"].pk, city["council"].pk}
    response = client.post("/cases/new/?zone=W", {"title": "Piazza buia", "zone": "W", "priority": "high",
                           "departments": [city["lighting"].pk, city["council"].pk]})  # fmt: skip
    case = Case.objects.get(title="Piazza buia")
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.zone == city["west"] and case.place is None and case.owner == officer
    assert sorted(case.tasks.values_list("department__code", "priority")) == [("circ-1", "high"), ("lighting", "high")]


def test_a_category_routes_the_place_as_a_report_of_it_would_be(client, city, officer):
    east = city["east"]
    city["council"].zones.set([])
    city["lighting"].zones.set([])
    city["police"].zones.set([])
    RoutingRule.objects.create(category=city["dark"], zone=east, department=city["partner"])
    client.force_login(officer)
    form = client.get(f"/cases/new/?zone=E&category={city['dark'].pk}")
    # The dark-area rules for any zone (lighting, police) and the one for the east zone (the partner).
    assert set(form.context["form"].initial["departments"]) == {
        city["lighting"].pk, city["police"].pk, city["partner"].pk
    }  # fmt: skip


def test_a_point_prefills_its_zone_and_is_kept_on_the_case(client, city, officer):
    client.force_login(officer)
    form = client.get("/cases/new/?lat=45.0625&lon=7.6855")
    initial = form.context["form"].initial
    assert initial["zone"] == "E" and initial["lat"] == 45.0625 and initial["lon"] == 7.6855
    client.post("/cases/new/", {"title": "Lampione spento", "zone": "E", "lat": "45.0625", "lon": "7.6855",
                                "priority": "normal", "departments": [city["lighting"].pk]})  # fmt: skip
    case = Case.objects.get(title="Lampione spento")
    assert case.zone == city["east"] and (round(case.place.x, 4), round(case.place.y, 4)) == (7.6855, 45.0625)


def test_bad_places_are_refused_in_the_officers_language_and_nothing_is_written(client, city, officer):
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    base = {"title": "x", "priority": "normal", "departments": [city["lighting"].pk]}
    outside = client.post("/cases/new/", {**base, "zone": "W", "lat": "45.0625", "lon": "7.6855"})
    assert outside.status_code == 400 and "The point is outside the zone" in outside.content.decode()
    half = client.post("/cases/new/", {**base, "zone": "W", "lat": "45.0625"})
    assert half.status_code == 400 and "Give both the latitude and the longitude" in half.content.decode()
    nowhere = client.post("/cases/new/", {**base})
    assert nowhere.status_code == 400 and "Choose the zone (or give a point)" in nowhere.content.decode()
    unknown = client.post("/cases/new/", {**base, "zone": "NOPE"})
    assert unknown.status_code == 400 and "Select a valid choice" in unknown.content.decode()
    no_department = client.post("/cases/new/", {"title": "x", "zone": "W", "priority": "normal"})
    assert no_department.status_code == 400
    assert client.get("/cases/new/?zone=NOPE").status_code == 404
    assert not Case.objects.exists()


def test_a_hot_spot_leads_to_the_form_with_its_zone_and_slot_in_the_title(client, city, officer):
    last_night = timezone.localdate() - dt.timedelta(days=1)
    HotSpot.objects.create(
        zone=city["west"], slot="night", period_kind="rolling28",
        period_start=last_night - dt.timedelta(days=registry.ROLLING_NIGHTS - 1),
        method_version=registry.METHOD_VERSION, value=31.0, gi_z=-3.1, gi_p=0.001, gi_q=0.01, cluster="unsafe",
        computed_at=timezone.now(),
    )  # fmt: skip
    client.force_login(officer)
    page = client.get(f"/dashboard/hotspots/?slot=night&last_night={last_night.isoformat()}").content.decode()
    link = "/cases/new/?zone=W&amp;slot=night&amp;from=hotspot"
    assert link in page
    form = client.get(link.replace("&amp;", "&"))
    assert form.context["form"].initial["title"].startswith("Hot spot: Ovest, Notte")
    assert form.context["form"].initial["zone"] == "W"


def test_an_alert_leads_to_the_same_form_with_its_zone_and_a_high_priority(client, city, officer):
    alert = make_alert(city["west"])
    client.force_login(officer)
    assert f'href="/cases/from-alert/{alert.pk}/"' in client.get("/dashboard/alerts/").content.decode()
    form = client.get(f"/cases/from-alert/{alert.pk}/")
    assert form.context["form"].initial["priority"] == Priority.HIGH
    client.post(f"/cases/from-alert/{alert.pk}/", {"title": "Calo", "priority": "high", "zone": "E",
                "departments": [city["police"].pk]})  # fmt: skip
    case = Case.objects.get(alert=alert)
    assert case.zone == city["west"]  # the alert's zone, whatever the form says


def test_only_officers_see_and_open_the_case_form_on_a_place(client, city, moderator):
    assert client.get("/cases/new/?zone=W")["Location"].startswith("/accounts/login/")
    assert client.post("/cases/new/", {"title": "x", "zone": "W"})["Location"].startswith("/accounts/login/")
    for user in (moderator, city["lighting_coordinator"], city["council_member"]):
        client.force_login(user)
        assert client.get("/cases/new/?zone=W").status_code == 403
        assert client.post("/cases/new/", {"title": "x", "zone": "W", "priority": "normal",
                                           "departments": [city["lighting"].pk]}).status_code == 403  # fmt: skip
    client.force_login(moderator)
    assert "/cases/new/" not in client.get("/dashboard/zones/W/").content.decode()
    assert "/cases/new/" not in client.get("/dashboard/hotspots/").content.decode()
    assert not Case.objects.exists()
