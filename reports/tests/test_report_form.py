"""A citizen submits a report through the public form; bad input is refused in their language."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from city.models import StaleZoneNight
from reports.models import PerceivedSafety, Report

pytestmark = pytest.mark.django_db
URL = reverse("reports:new")


def form_data(chosen, **overrides):
    when = timezone.localtime() - dt.timedelta(hours=1)
    data = {
        "category": chosen.pk,
        "perceived_safety": PerceivedSafety.A_BIT_UNSAFE,
        "latitude": "45.065",
        "longitude": "7.675",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "description": "Lampione spento in via Roma",
    }
    data.update(overrides)
    return data


def test_the_form_opens_in_italian_by_default(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert '<html lang="it">' in response.content.decode()


def test_it_saves_a_report_stamped_with_zone_night_and_slot(client, two_zones, category):
    west, _east = two_zones
    today = timezone.localdate()
    last_saturday = today - dt.timedelta(days=(today.weekday() - 5) % 7 or 7)
    occurred = timezone.make_aware(dt.datetime.combine(last_saturday, dt.time(1, 30)))  # Saturday 01:30 in Rome
    response = client.post(URL, form_data(category, occurred_at=occurred.strftime("%Y-%m-%dT%H:%M")))
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url() + "?new=1"
    assert report.zone == west
    assert report.occurred_at == occurred
    assert report.night == last_saturday - dt.timedelta(days=1)
    assert report.slot == "night"
    assert report.perceived_safety == PerceivedSafety.A_BIT_UNSAFE
    assert StaleZoneNight.objects.filter(zone=west, night=report.night).exists()


def test_the_tracking_page_shows_the_code_and_status(client, two_zones, category):
    client.post(URL, form_data(category))
    report = Report.objects.get()
    page = client.get(report.get_absolute_url())
    assert page.status_code == 200
    assert report.tracking_code in page.content.decode()
    assert client.get(reverse("reports:status", args=[report.tracking_code.lower()])).status_code == 200


def test_an_unknown_tracking_code_is_404(client):
    assert client.get(reverse("reports:status", args=["NOPE1234"])).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "italian", "english"),
    [
        (
            {"latitude": "45.5", "longitude": "7.2"},
            "area coperta dall",
            "outside the area the observatory covers",
        ),
        ({"category": ""}, "Scegli una categoria", "Please choose a category"),
        ({"category": "999999"}, "Scegli una categoria", "Please choose a category"),
        ({"perceived_safety": "7"}, "Scegli un", "Select a valid choice"),
        ({"latitude": "north"}, "La latitudine deve essere un numero tra -90", "Latitude must be a number between -90"),
        ({"occurred_at": "yesterday"}, "data/ora valida", "valid date/time"),
    ],
)
def test_bad_input_is_refused_in_the_users_language_and_nothing_is_saved(
    client, two_zones, category, overrides, italian, english
):
    response = client.post(URL, form_data(category, **overrides))
    assert response.status_code == 400
    assert italian in response.content.decode()
    client.cookies["django_language"] = "en"
    response = client.post(URL, form_data(category, **overrides))
    assert response.status_code == 400
    assert english in response.content.decode()
    assert not Report.objects.exists()
    assert not StaleZoneNight.objects.exists()


def test_a_time_in_the_future_is_refused(client, two_zones, category):
    tomorrow = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(URL, form_data(category, occurred_at=tomorrow))
    assert response.status_code == 400
    assert "nel futuro" in response.content.decode()
    client.cookies["django_language"] = "en"
    assert "in the future" in client.post(URL, form_data(category, occurred_at=tomorrow)).content.decode()
    assert not Report.objects.exists()


def test_a_time_older_than_the_limit_is_refused(client, two_zones, category, settings):
    settings.OBSERVATORY_REPORT_MAX_AGE_DAYS = 30
    long_ago = (timezone.localtime() - dt.timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(URL, form_data(category, occurred_at=long_ago))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_missing_category_is_refused(client, two_zones, category):
    data = form_data(category)
    del data["category"]
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "Scegli una categoria" in response.content.decode()
    assert not Report.objects.exists()


def test_the_form_works_in_english_after_switching_language(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": URL}, follow=True)
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    assert "How safe did you feel?" in response.content.decode()


def test_an_english_browser_still_gets_italian_until_the_person_switches(client):
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="it">' in response.content.decode()
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in client.get(URL, HTTP_ACCEPT_LANGUAGE="it").content.decode()
