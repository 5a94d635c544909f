"""The public sees published reports only, at snapped places, without contact data; contacts expire."""

import datetime as dt
import math

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import Report
from reports.services import report_contacts_erase, report_publish

from .factories import submit

pytestmark = pytest.mark.django_db


def metres_between(a, b) -> float:
    dy = (a[1] - b[1]) * 111_320
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dx, dy)


def test_the_public_location_is_snapped_to_the_grid(two_zones, category, settings):
    exact = (7.67537, 45.06521)
    report = submit(category, lon=exact[0], lat=exact[1])
    snapped = Report.objects.with_public_location().get(pk=report.pk).public_location
    distance = metres_between(exact, (snapped.x, snapped.y))
    assert 0 < distance <= settings.OBSERVATORY_PRIVACY_GRID_M * math.sqrt(2) / 2 + 1
    nearby = submit(category, lon=exact[0] + 0.0001, lat=exact[1] + 0.0001)  # ~13 m away: same cell
    assert Report.objects.with_public_location().get(pk=nearby.pk).public_location == snapped


def test_the_map_geojson_shows_only_published_reports_without_contact_or_text(client, two_zones, category, moderator):
    hidden = submit(category, contact_email="a@example.org", contact_consent=True, description="Mario Rossi")
    shown = report_publish(report=submit(category, description="Mario Rossi"), user=moderator, public_description="")
    response = client.get(reverse("public-map-geojson"))
    body = response.content.decode()
    data = response.json()
    assert [f["properties"]["tracking_code"] for f in data["features"]] == [shown.tracking_code]
    assert hidden.tracking_code not in body
    assert "a@example.org" not in body and "Mario" not in body
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert (lon, lat) != (shown.location.x, shown.location.y)


def test_the_public_map_page_opens(client, db):
    response = client.get(reverse("public-map"))
    assert response.status_code == 200
    assert "public-map" in response.content.decode()


def test_contact_data_is_erased_after_the_retention_period(two_zones, category, settings):
    settings.OBSERVATORY_CONTACT_RETENTION_DAYS = 30
    old = submit(category, contact_email="old@example.org", contact_consent=True)
    recent = submit(category, contact_email="new@example.org", contact_consent=True)
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    assert report_contacts_erase() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.contact_email, old.contact_erased_at is not None) == ("", True)
    assert recent.contact_email == "new@example.org"
    assert report_contacts_erase() == 0  # idempotent


def test_the_erasure_runs_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["erase-expired-report-contacts"]
    from observatory.celery import app

    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
