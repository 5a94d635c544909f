"""The city's staff correct or add a house number by hand in the admin (a door the last import missed): the
address search of the forms finds it at once; a door outside the city or a blank street is refused."""

import json

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.urls import reverse

from city.models import CivicNumber, Street
from conftest import square_zone
from reports.services import address_match


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ufficio", "ufficio@example.org", "x" * 16))
    return client


@pytest.mark.django_db
def test_a_door_added_by_hand_is_found_by_the_address_search(admin_client):
    square_zone("CEN", 7.67, 45.06, name="Centro")
    Street.objects.create(name="Via Roma", geom=MultiLineString(LineString((7.671, 45.065), (7.679, 45.065))))
    assert admin_client.get(reverse("admin:city_civicnumber_add")).status_code == 200
    response = admin_client.post(
        reverse("admin:city_civicnumber_add"),
        {"street_name": "  Via   Roma ", "number": "12", "suffix": "",
         "point": json.dumps({"type": "Point", "coordinates": [7.6745, 45.0652]})},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-1500:]
    door = CivicNumber.objects.get()
    assert door.street_name == "Via Roma" and door.number == 12
    match = address_match("via roma 12")
    assert match.exact and match.point.coords == pytest.approx((7.6745, 45.0652))
    page = admin_client.get(reverse("admin:city_civicnumber_changelist") + "?q=roma").content.decode()
    assert "Via Roma" in page


@pytest.mark.django_db
def test_a_door_outside_the_city_or_without_a_street_is_refused(admin_client):
    square_zone("CEN", 7.67, 45.06, name="Centro")
    response = admin_client.post(
        reverse("admin:city_civicnumber_add"),
        {"street_name": " ", "number": "3", "suffix": "",
         "point": json.dumps({"type": "Point", "coordinates": [12.49, 41.89]})},
    )  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "outside every zone of the city" in page or "fuori da ogni zona" in page
    assert not CivicNumber.objects.exists()
