"""Staff record interventions on a page; the zones they touch are computed; bad input is refused in Italian."""

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from grants.tests.conftest import cell_centre
from interventions.models import Intervention

pytestmark = pytest.mark.django_db
NEW = reverse("interventions:new")


def _form(**overrides):
    lon, lat = cell_centre(2, 1)
    data = {"what": "Pattuglie serali in piazza", "kind": "patrols", "start_on": timezone.localdate().isoformat(),
            "latitude": lat, "longitude": lon, "night_time": "on"}  # fmt: skip
    data.update(overrides)
    return data


def test_an_officer_records_an_intervention_and_its_zone_is_computed(client, grid, officer):
    client.force_login(officer)
    response = client.post(NEW, _form())
    intervention = Intervention.objects.get()
    assert response.url == intervention.get_absolute_url()
    assert [z.code for z in intervention.zones.all()] == ["G21"] and intervention.recorded_by == officer
    page = client.get(intervention.get_absolute_url())
    assert page.status_code == 200 and "Pattuglie serali in piazza" in page.text
    assert "impact-caveats" in page.text
    assert "Pattuglie serali in piazza" in client.get(reverse("interventions:list")).text


def test_an_area_given_as_geojson_touches_every_zone_it_overlaps(client, grid, officer):
    client.force_login(officer)
    (a, b), (c, d) = cell_centre(0, 0), cell_centre(1, 1)
    area = f'{{"type": "Polygon", "coordinates": [[[{a}, {b}], [{c}, {b}], [{c}, {d}], [{a}, {d}], [{a}, {b}]]]}}'
    client.post(NEW, _form(latitude="", longitude="", place_geojson=area, kind="regeneration"))
    assert sorted(z.code for z in Intervention.objects.get().zones.all()) == ["G00", "G01", "G10", "G11"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"latitude": "", "longitude": ""}, "Indica il luogo"),
        ({"place_geojson": "{not json"}, "non è un GeoJSON valido"),
        ({"latitude": 41.9, "longitude": 12.5}, "fuori da ogni zona"),  # Rome: outside the city
        ({"end_on": "2000-01-01"}, "La fine non può precedere"),
        ({"kind": "magic"}, "Scegli"),
        ({"cost": "-5"}, "maggiore o uguale a 0"),
    ],
)
def test_bad_input_is_refused_in_italian_and_nothing_is_written(client, grid, officer, overrides, message):
    client.force_login(officer)
    response = client.post(NEW, _form(**overrides))
    assert response.status_code == 400 and message in response.text
    assert not Intervention.objects.exists()


def test_the_register_is_for_staff_only(client, grid):
    for url in (reverse("interventions:list"), NEW):
        assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(make_user("resident"))
    assert client.get(reverse("interventions:list")).status_code == 403
    assert client.post(NEW, _form()).status_code == 403
    assert not Intervention.objects.exists()
