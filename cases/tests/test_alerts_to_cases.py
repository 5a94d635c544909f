"""Alerts lead to work: the departments covering the zone are told, an officer opens a case from the alert with
tasks pre-filled from those departments, and the alerts page shows the case, its owner and the follow-up date."""

import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case
from city.models import OutboundEmail
from indicators.models import Alert

pytestmark = pytest.mark.django_db


def make_alert(zone) -> Alert:
    today = timezone.localdate()
    return Alert.objects.create(
        zone=zone, slot="night", metric="share_feeling_safe", window_start=today - dt.timedelta(days=27),
        window_end=today, method_version="test", baseline=0.7, current=0.3, baseline_n=40, current_n=40,
        statistic=-3.2, p_value=0.001, q_value=0.01, created_at=timezone.now(),
    )  # fmt: skip


def test_a_new_alert_tells_the_departments_covering_its_zone_once(city):
    make_alert(city["west"])
    assert services.alerts_notify() == 1
    assert services.alerts_notify() == 0
    told = set(OutboundEmail.objects.filter(kind="case.alert").values_list("to", flat=True))
    assert told == {"illuminazione@comune.example", "polizia@comune.example", "circ1@comune.example"}


def test_an_officer_opens_a_case_from_an_alert_with_the_zones_departments_ticked(client, city, officer):
    alert = make_alert(city["west"])
    client.force_login(officer)
    form = client.get(f"/cases/from-alert/{alert.pk}/")
    assert form.status_code == 200
    ticked = set(form.context["form"].initial["departments"])
    assert ticked == {city["lighting"].pk, city["police"].pk, city["council"].pk}
    response = client.post(f"/cases/from-alert/{alert.pk}/", {"title": "Calo in Ovest",
                           "departments": [city["lighting"].pk, city["council"].pk]})  # fmt: skip
    case = Case.objects.get(alert=alert)
    assert response["Location"] == f"/cases/{case.pk}/"
    assert sorted(case.tasks.values_list("department__code", flat=True)) == ["circ-1", "lighting"]
    assert case.owner == officer
    alerts_page = client.get("/dashboard/alerts/").content.decode()
    assert f'href="/cases/{case.pk}/"' in alerts_page and "officer" in alerts_page


def test_a_case_from_an_alert_refuses_no_departments_or_unknown_ones(client, city, officer):
    alert = make_alert(city["west"])
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    assert client.post(f"/cases/from-alert/{alert.pk}/", {"title": "x"}).status_code == 400
    response = client.post(f"/cases/from-alert/{alert.pk}/", {"title": "x", "departments": [999999]})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Case.objects.exists()


def test_only_officers_open_cases_from_alerts(client, city, moderator):
    alert = make_alert(city["west"])
    assert client.get(f"/cases/from-alert/{alert.pk}/")["Location"].startswith("/accounts/login/")
    client.force_login(city["lighting_member"])
    assert client.get(f"/cases/from-alert/{alert.pk}/").status_code == 403
    client.force_login(moderator)
    assert client.get(f"/cases/from-alert/{alert.pk}/").status_code == 403
    assert "Open a case" not in client.get("/dashboard/alerts/").content.decode()


def test_acknowledging_an_alert_requires_a_note(client, city, officer):
    alert = make_alert(city["west"])
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    refused = client.post(f"/dashboard/alerts/{alert.pk}/acknowledge/", {"note": "   "})
    assert refused.status_code == 400 and "Please say in a note what follows" in refused.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
