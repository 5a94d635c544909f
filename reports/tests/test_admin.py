"""Staff edit categories and the block list in the admin; reports there are read-only (moderation is the queue)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    return client


@pytest.mark.parametrize(
    "model",
    ["reports_category", "reports_report", "reports_blockedsender", "reports_abuseflag", "reports_safetyaudit",
     "city_zone", "indicators_indicator", "indicators_alert", "indicators_hotspot"],
)  # fmt: skip
def test_every_changelist_opens_for_an_administrator(admin_client, model, two_zones):
    assert admin_client.get(reverse(f"admin:{model}_changelist")).status_code == 200


def test_a_category_can_be_renamed_in_the_admin(admin_client, category):
    url = reverse("admin:reports_category_change", args=[category.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"name_en": "Street lamp out", "attributes": "[]"}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    category.refresh_from_db()
    assert category.name_en == "Street lamp out"


def test_reports_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:reports_report_add")).status_code == 403


def test_a_moderator_without_admin_permissions_cannot_edit_categories(client, moderator):
    moderator.is_staff = True
    moderator.save()
    client.force_login(moderator)
    assert client.get(reverse("admin:reports_category_changelist")).status_code == 403
