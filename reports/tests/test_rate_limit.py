"""A fair submission limit: only what is really sent counts, with a burst allowance, and over the limit the form
comes back with everything typed, when to send it, and a Retry-After header."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from reports.models import PerceivedSafety, Report
from reports.ratelimit import parse_burst, parse_rate, rate_limit_reset, rate_limit_take, rate_limit_wait
from reports.services import report_publish

from .factories import submit

pytestmark = pytest.mark.django_db
URL = reverse("reports:new")


def form_data(category, **overrides):
    data = {
        "category": category.pk,
        "perceived_safety": PerceivedSafety.A_BIT_UNSAFE,
        "latitude": "45.065",
        "longitude": "7.675",
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "description": "Lampione spento davanti al civico 12",
    }
    data.update(overrides)
    return data


def test_a_citizen_who_makes_two_mistakes_still_sends_the_report(client, two_zones, category, settings):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "1/h"
    assert client.post(URL, form_data(category, perceived_safety="")).status_code == 400  # forgot the feeling
    assert client.post(URL, form_data(category, latitude="45,065,1")).status_code == 400  # mistyped the place
    response = client.post(URL, form_data(category))
    assert response.status_code == 302
    assert Report.objects.count() == 1


def test_the_possible_duplicates_step_costs_nothing(client, two_zones, category, moderator, settings):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "1/h"
    report_publish(report=submit(category, lon=7.675, lat=45.065, hours_ago=3), user=moderator)
    step = client.post(URL, form_data(category, offer_duplicates="1"))
    assert step.status_code == 200 and 'id="duplicates-step"' in step.content.decode()
    assert client.post(URL, form_data(category, offer_duplicates="1", join="new")).status_code == 302


def test_over_the_limit_the_form_comes_back_with_what_was_typed_and_when_to_retry(
    client, two_zones, category, settings
):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "2/h"
    for _ in range(2):
        assert client.post(URL, form_data(category)).status_code == 302
    response = client.post(URL, form_data(category, description="Portici bui, nessuno in giro"))
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 30 * 60  # one submission every 30 minutes: the next in at most that
    page = response.content.decode()
    assert "Portici bui, nessuno in giro" in page  # what was typed is kept
    assert 'id="report-form"' in page and 'id="rate-limited"' in page
    at = timezone.localtime(timezone.now() + dt.timedelta(seconds=retry_after)).strftime("%H:%M")
    assert "puoi inviarlo dalle" in page and at in page  # in Italian, with the time to send it
    assert Report.objects.count() == 2


def test_the_429_speaks_english_to_an_english_page_and_asks_for_the_photo_again(client, two_zones, category, settings):
    from .factories import png

    settings.OBSERVATORY_REPORT_RATE_LIMIT = "1/h"
    client.cookies["django_language"] = "en"
    assert client.post(URL, form_data(category)).status_code == 302
    response = client.post(URL, form_data(category, photo=png()))
    assert response.status_code == 429
    page = response.content.decode()
    assert "you can send it from" in page and "please choose it again" in page


def test_a_burst_goes_at_once_then_one_submission_per_interval(two_zones, settings):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "6/h"  # one every ten minutes
    settings.OBSERVATORY_REPORT_RATE_BURST = "3"
    address = "192.0.2.10"
    rate_limit_reset(address)
    try:
        assert [rate_limit_take(address) for _ in range(3)] == [0, 0, 0]
        wait = rate_limit_take(address)
        assert 590 <= wait <= 600
        assert rate_limit_wait(address) == pytest.approx(wait, abs=1)  # asking counts nothing
        assert rate_limit_take("192.0.2.11") == 0  # another address has a bucket of its own
    finally:
        rate_limit_reset(address)
        rate_limit_reset("192.0.2.11")


def test_an_api_body_that_is_refused_costs_nothing(client, two_zones, category, settings):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "1/h"
    url = "/api/v1/reports/"
    body = {
        "category": category.code,
        "perceived_safety": 2,
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "latitude": 45.065,
        "longitude": 7.675,
    }
    assert client.post(url, {**body, "perceived_safety": 9}, content_type="application/json").status_code == 400
    assert client.post(url, body, content_type="application/json").status_code == 201
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


@pytest.mark.parametrize("rate", ["ten an hour", "10/fortnight", "0.5/h", "-1/h"])
def test_a_malformed_rate_stops_with_a_clear_error(rate):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(rate)


def test_the_burst_is_at_most_the_rate_and_empty_means_all_of_it():
    assert parse_burst("", 20) == 20
    assert parse_burst("5", 20) == 5
    assert parse_burst("50", 20) == 20
    with pytest.raises(ImproperlyConfigured):
        parse_burst("many", 20)
