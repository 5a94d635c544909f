"""The place picker: the map's own layers, the pin's place in words, street suggestions, addresses resolved
without JavaScript, zone choices that read as places, and the audit form's same picker."""

import json

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.urls import reverse

from city.dataversion import bump_data_version
from city.models import Street
from conftest import square_zone
from reports.models import Report, SafetyAudit

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
