"""Under the README's run command (gunicorn with WhiteNoise) a published photo is served and an unpublished one
is not: the photos' view works in the real server, not only in Django's test client."""

from __future__ import annotations

import time

import pytest
import requests

from reports.services import report_publish
from reports.tests.factories import jpeg_with_gps, submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_gunicorn_serves_published_photos_and_nothing_else(web_server, two_zones, category, moderator):
    # The server reads the same MEDIA_ROOT as this process (both from the environment).
    published = report_publish(report=submit(category, photo=jpeg_with_gps()), user=moderator)
    unpublished = submit(category, photo=jpeg_with_gps())
    try:
        response = requests.get(web_server + published.public_photo_url, timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        with published.photo.open("rb") as stored:
            assert response.content == stored.read()
        assert requests.get(web_server + unpublished.photo_url, timeout=10).status_code == 404
        assert requests.get(f"{web_server}/media/{published.photo.name}", timeout=10).status_code == 404
    finally:
        for report in (published, unpublished):
            report.photo.storage.delete(report.photo.name)
        let_a_running_worker_finish()


def let_a_running_worker_finish(timeout: float = 30.0) -> None:
    """The reports queued an indicator recompute. If a Celery worker runs (another test started one), let it
    finish before the database is flushed under it; without one the task just waits in the tests' queue."""
    from city.models import StaleZoneNight
    from observatory.celery import app

    if not app.control.ping(timeout=0.5):
        return
    deadline = time.monotonic() + timeout
    while StaleZoneNight.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
