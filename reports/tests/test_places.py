"""The place picker: the map's own layers, the pin's place in words, street suggestions, addresses resolved
without JavaScript, zone choices that read as places, and the audit form's same picker."""

import json

import pytest
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.urls import reverse

from city.dataversion import bump_data_version
from city.models import CivicNumber, Street
from conftest import square_zone
from reports.models import Report, SafetyAudit
from reports.services import locate_address

pytestmark = pytest.mark.django_db
EN = {"HTTP_COOKIE": "django_language=en"}


@pytest.fixture
def city(db):
    west = square_zone("W", 7.67, 45.06, name="San Salvario", district="Circoscrizione 8")
    east = square_zone("E", 7.68, 45.06, name="Borgo Po", district="Circoscrizione 8")
    Street.objects.create(
        name="Via della Libertà", geom=MultiLineString(LineString((7.671, 45.065), (7.679, 45.065)), srid=4326)
    )
    Street.objects.create(name="Corso Casale", geom=MultiLineString(LineString((7.682, 45.061), (7.682, 45.069))))
    bump_data_version()
    return west, east


def test_map_layers_draw_boundary_zones_districts_and_streets_and_are_cached(client, city, django_assert_num_queries):
    response = client.get(reverse("reports:map-layers"))
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    features = json.loads(response.content)["features"]
    layers = [f["properties"]["layer"] for f in features]
    assert layers.count("boundary") == 1 and layers.count("zone") == 2 and layers.count("street") == 2
    assert {f["properties"]["name"] for f in features if f["properties"]["layer"] == "district_label"} == {
        "Circoscrizione 8"
    }
    zone = next(f for f in features if f["properties"].get("code") == "W")
    assert zone["properties"]["name"] == "San Salvario" and zone["properties"]["district"] == "Circoscrizione 8"
    with django_assert_num_queries(0):
        assert client.get(reverse("reports:map-layers")).content == response.content
    Street.objects.create(name="Via Po", geom=MultiLineString(LineString((7.672, 45.062), (7.676, 45.062))))
    bump_data_version()  # what import_streets does after it commits
    again = json.loads(client.get(reverse("reports:map-layers")).content)["features"]
    assert [f["properties"]["layer"] for f in again].count("street") == 3


def test_the_pin_is_confirmed_in_words(client, city):
    response = client.get(reverse("reports:place-where"), {"lat": "45.0652", "lon": "7.675"}, **EN)
    assert response.json() == {
        "inside": True, "zone": "San Salvario, Circoscrizione 8", "zone_id": city[0].pk,
        "street": "Via della Libertà", "text": "You are in: San Salvario, Circoscrizione 8, near Via della Libertà",
    }  # fmt: skip
    far = client.get(reverse("reports:place-where"), {"lat": "45.0", "lon": "7.0"}, **EN).json()
    assert far["inside"] is False and "outside the area" in far["text"]


def test_bad_coordinates_are_a_400_in_the_users_language(client, city):
    response = client.get(reverse("reports:place-where"), {"lat": "north", "lon": "7.675"})
    assert response.status_code == 400 and "latitudine" in response.json()["lat"][0]


def test_street_suggestions_ignore_accents(client, city):
    response = client.get(reverse("reports:street-search"), {"q": "liberta"})
    streets = response.json()["streets"]
    assert streets[0]["name"] == "Via della Libertà" and streets[0]["lat"] == pytest.approx(45.065)
    assert client.get(reverse("reports:street-search"), {"q": "x" * 101}).status_code == 400


def report_post(**place):
    return {"category": "1", "perceived_safety": "2", "occurred_at": "2026-11-30T22:30", **place}


def test_without_javascript_the_typed_street_places_the_report(client, city, category):
    data = report_post(address="via della liberta 12")
    data["category"] = str(category.pk)
    response = client.post(reverse("reports:new"), data)
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.zone == city[0] and report.address == "via della liberta 12"
    assert report.location.distance(Street.objects.get(name="Via della Libertà").geom) < 1e-9


def test_a_street_the_register_does_not_know_is_said_so(client, city, category):
    data = report_post(address="Via Inventata")
    data["category"] = str(category.pk)
    response = client.post(reverse("reports:new"), data, **EN)
    assert response.status_code == 400
    assert "We could not find this address in the city&#x27;s street register" in response.content.decode()
    assert not Report.objects.exists()


@pytest.fixture
def doors(city):
    """Via della Libertà's register of house numbers: 12 and 12/A a few metres apart, 14 further on."""
    for number, suffix, lon in [(12, "", 7.6731), (12, "a", 7.6732), (14, "", 7.6736)]:
        CivicNumber.objects.create(street_name="VIA DELLA LIBERTA", number=number, suffix=suffix,
                                   point=Point(lon, 45.0651, srid=4326))  # fmt: skip
    return city


@pytest.mark.parametrize("typed", ["Via della Libertà 12", "via della liberta, 12", "Via della Liberta n. 12"])
def test_a_house_number_in_the_register_gives_the_exact_point(client, doors, typed):
    found = client.get(reverse("reports:street-search"), {"q": typed}).json()
    assert found["address"] == {"name": "Via della Libertà 12", "lat": 45.0651, "lon": 7.6731, "exact": True,
                                "note": ""}  # fmt: skip
    assert found["streets"][0]["name"] == "Via della Libertà"  # the street itself is still suggested
    assert (locate_address(typed).x, locate_address(typed).y) == pytest.approx((7.6731, 45.0651))


def test_a_suffix_finds_its_own_door(client, doors):
    found = client.get(reverse("reports:street-search"), {"q": "via della liberta 12/A"}).json()["address"]
    assert found["name"] == "Via della Libertà 12/A" and found["lon"] == 7.6732 and found["exact"] is True


def test_a_number_the_register_does_not_hold_gives_the_street_with_a_note(client, doors):
    found = client.get(reverse("reports:street-search"), {"q": "Via della Libertà 13"}, **EN).json()["address"]
    assert found["name"] == "Via della Libertà" and found["exact"] is False
    assert found["note"] == (
        "Number 13 of Via della Libertà is not in the city's register of house numbers: the pin is on the street. "
        "Move it to the exact place if you can."
    )
    assert found["lat"] == pytest.approx(45.065)  # the street's point
    italian = client.get(reverse("reports:street-search"), {"q": "Via della Libertà 13"}).json()["address"]
    assert italian["note"].startswith("Il numero 13 di Via della Libertà non è nel registro dei numeri civici")


def test_a_street_without_a_number_has_no_note_and_an_unknown_street_no_address(client, doors):
    assert client.get(reverse("reports:street-search"), {"q": "Corso Casale"}).json()["address"] == {
        "name": "Corso Casale", "lat": 45.065, "lon": 7.682, "exact": False, "note": "",
    }  # fmt: skip
    assert client.get(reverse("reports:street-search"), {"q": "Via Inventata 3"}).json()["address"] is None


def test_without_javascript_the_typed_house_number_places_the_report_at_its_door(client, doors, category):
    data = report_post(address="via della liberta, 14")
    data["category"] = str(category.pk)
    assert client.post(reverse("reports:new"), data).status_code == 302
    report = Report.objects.get()
    assert (report.location.x, report.location.y) == pytest.approx((7.6736, 45.0651))
    assert report.zone == doors[0]


def test_zone_choices_read_as_places_grouped_by_district(client, city):
    html = client.get(reverse("reports:new")).content.decode()
    assert '<optgroup label="Circoscrizione 8">' in html
    assert f'<option value="{city[1].pk}" >Borgo Po, Circoscrizione 8</option>' in html


def test_the_audit_form_has_the_same_place_picker(client, city):
    html = client.get(reverse("reports:audit-new")).content.decode()
    assert 'id="report-map"' in html and 'name="zone"' in html and 'list="street-suggestions"' in html
    scores = dict.fromkeys(SafetyAudit.PARAMETERS, "2")
    assert (
        client.post(
            reverse("reports:audit-new"), {"zone": city[1].pk, "occurred_at": "2026-11-30T22:00", **scores}
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("reports:audit-new"), {"address": "Corso Casale", "occurred_at": "2026-11-30T22:00", **scores}
        ).status_code
        == 302
    )
    assert list(SafetyAudit.objects.order_by("id").values_list("zone__code", flat=True)) == ["E", "E"]
    refused = client.post(reverse("reports:audit-new"), {"occurred_at": "2026-11-30T22:00", **scores}, **EN)
    assert refused.status_code == 400 and "Please place the pin on the map" in refused.content.decode()


def test_the_time_field_offers_the_moments_people_report_most():
    """At 9:30 in the morning: now, an hour ago, yesterday at 22:00 and today at 02:00 (last night)."""
    import datetime as dt

    from django.utils import timezone, translation

    from reports.places import recent_moments

    morning = timezone.make_aware(dt.datetime(2026, 12, 1, 9, 30))
    with translation.override("it"):
        moments = recent_moments(morning)
    assert [m["value"] for m in moments] == [
        "2026-12-01T09:30",
        "2026-12-01T08:30",
        "2026-12-01T02:00",
        "2026-11-30T22:00",
    ]
    assert [m["label"] for m in moments] == ["Adesso", "Un'ora fa", "oggi alle 02:00", "ieri alle 22:00"]
    late = timezone.make_aware(dt.datetime(2026, 12, 1, 23, 15))
    with translation.override("en"):
        assert [m["label"] for m in recent_moments(late)][2:] == ["today at 22:00", "today at 02:00"]
