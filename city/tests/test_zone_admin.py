"""A zone edited or deleted in the admin moves the indicator data version on, so no page shows it stale."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from city.dataversion import data_version
from city.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    return client


def test_renaming_a_zone_in_the_admin_moves_the_data_version_on(
    admin_client, two_zones, django_capture_on_commit_callbacks
):
    west, _east = two_zones
    before = data_version()
    url = reverse("admin:city_zone_change", args=[west.pk])
    data = {"code": west.code, "name": "Borgo Nuovo", "kind": west.kind, "parent": "", "population": "1200"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302
    assert Zone.objects.get(pk=west.pk).name == "Borgo Nuovo"
    assert data_version() != before


def test_deleting_a_zone_in_the_admin_moves_the_data_version_on(
    admin_client, two_zones, django_capture_on_commit_callbacks
):
    west, _east = two_zones
    before = data_version()
    url = reverse("admin:city_zone_delete", args=[west.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Zone.objects.filter(pk=west.pk).exists()
    assert data_version() != before
