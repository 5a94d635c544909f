"""The full citizen form: photos without metadata, plain text, consent, honeypot, rate limit, places without a pin."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from city.models import StaleZoneNight
from reports.models import BlockedSender, PerceivedSafety, Report, StatusChange
from reports.services import report_publish

from .factories import jpeg_with_gps, png, submit

pytestmark = pytest.mark.django_db
URL = reverse("reports:new")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def form_data(category, **overrides):
    when = timezone.localtime() - dt.timedelta(hours=1)
    data = {
        "category": category.pk,
        "perceived_safety": PerceivedSafety.A_BIT_UNSAFE,
        "latitude": "45.065",
        "longitude": "7.675",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "description": "Lampione spento",
    }
    data.update(overrides)
    return data


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_photo_is_stored_upright_without_gps_or_any_exif(client, two_zones, category, media_in_tmp):
    response = client.post(URL, form_data(category, photo=jpeg_with_gps(size=(40, 20), orientation=6)))
    assert response.status_code == 302, response.content.decode()[:3000]
    report = Report.objects.get()
    with Image.open(report.photo.path) as stored:
        exif = stored.getexif()
        assert stored.format == "JPEG"
        assert stored.size == (20, 40)  # orientation 6 applied: the landscape shot is now upright
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.Base.GPSInfo not in exif
        assert len(exif) == 0
        assert "exif" not in stored.info


def test_a_png_is_accepted_and_re_encoded(client, two_zones, category):
    assert client.post(URL, form_data(category, photo=png())).status_code == 302
    assert Report.objects.get().photo.name.endswith(".jpg")


def test_a_text_file_renamed_jpg_is_refused_and_nothing_is_saved(client, two_zones, category, media_in_tmp):
    fake = io.BytesIO(b"just some text, not a photo\n" * 10)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(URL, form_data(category, photo=SimpleUploadedFile("x.jpg", fake.getvalue(), "image/jpeg")))
    assert response.status_code == 400
    assert "JPEG, PNG" in response.content.decode()
    assert not Report.objects.exists()
    assert stored_files(media_in_tmp) == []


def test_a_gif_is_refused_whatever_its_name(client, two_zones, category):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(URL, form_data(category, photo=SimpleUploadedFile("x.png", buffer.getvalue())))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_an_oversized_photo_is_refused(client, two_zones, category, settings):
    settings.OBSERVATORY_PHOTO_MAX_BYTES = 200
    response = client.post(URL, form_data(category, photo=jpeg_with_gps(size=(200, 200))))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_photo_with_too_many_pixels_is_refused(client, two_zones, category, settings):
    settings.OBSERVATORY_PHOTO_MAX_PIXELS = 100
    response = client.post(URL, form_data(category, photo=jpeg_with_gps(size=(20, 20))))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_no_orphan_file_when_another_field_is_wrong(client, two_zones, category, media_in_tmp):
    response = client.post(URL, form_data(category, photo=jpeg_with_gps(), latitude="46.5", longitude="8.5"))
    assert response.status_code == 400
    assert stored_files(media_in_tmp) == []


def test_html_in_the_description_is_refused_with_a_clear_message(client, two_zones, category):
    client.cookies["django_language"] = "en"  # the person switched to English
    response = client.post(URL, form_data(category, description="<script>alert(1)</script>"))
    assert response.status_code == 400
    assert "plain text" in response.content.decode()
    assert not Report.objects.exists()


def test_an_email_without_consent_is_refused(client, two_zones, category):
    response = client.post(URL, form_data(category, contact_email="a@example.org"))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_an_email_with_consent_is_kept_for_updates(client, two_zones, category):
    response = client.post(URL, form_data(category, contact_email="a@example.org", contact_consent="on"))
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.contact_email, report.contact_consent) == ("a@example.org", True)


def test_the_honeypot_field_filled_refuses_the_report(client, two_zones, category):
    response = client.post(URL, form_data(category, website="http://spam.example"))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_too_many_submissions_from_one_ip_get_429(client, two_zones, category, settings):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "2/h"
    assert client.post(URL, form_data(category)).status_code == 302
    assert client.post(URL, form_data(category)).status_code == 302
    response = client.post(URL, form_data(category))
    assert response.status_code == 429
    assert Report.objects.count() == 2


def test_choosing_a_zone_without_a_pin_places_the_report_inside_it(client, two_zones, category):
    _west, east = two_zones
    response = client.post(URL, form_data(category, latitude="", longitude="", zone=east.pk))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.zone == east
    assert east.geom.covers(report.location)


def test_a_typed_address_naming_a_zone_is_placed_in_it(client, two_zones, category):
    response = client.post(URL, form_data(category, latitude="", longitude="", address="Via Roma 1, Est"))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.zone == two_zones[1]
    assert report.address == "Via Roma 1, Est"


def test_no_place_at_all_is_refused(client, two_zones, category):
    response = client.post(URL, form_data(category, latitude="", longitude=""))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_time_in_the_future_is_refused(client, two_zones, category):
    future = timezone.localtime() + dt.timedelta(days=1)
    response = client.post(URL, form_data(category, occurred_at=future.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 400


def test_a_csrf_token_is_required(two_zones, category):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(URL, form_data(category))
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_a_blocked_sender_report_is_kept_but_hidden_and_not_counted(client, two_zones, category):
    BlockedSender.objects.create(kind=BlockedSender.Kind.EMAIL, value="Troll@Example.org")
    response = client.post(URL, form_data(category, contact_email="troll@example.org", contact_consent="on"))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == Report.Status.HIDDEN
    assert not StaleZoneNight.objects.exists()
    assert report.history.filter(action=StatusChange.Action.BLOCKED).exists()


def test_a_blocked_ip_report_is_hidden(client, two_zones, category):
    BlockedSender.objects.create(kind=BlockedSender.Kind.IP, value="127.0.0.1")
    client.post(URL, form_data(category))
    assert Report.objects.get().status == Report.Status.HIDDEN


def test_possible_duplicates_nearby_are_offered(client, two_zones, category, moderator):
    earlier = report_publish(report=submit(category, lon=7.6751, lat=45.0651), user=moderator)
    report_publish(report=submit(category, lon=7.685, lat=45.065), user=moderator)  # about 800 m east: too far
    response = client.get(reverse("reports:nearby"), {"category": category.pk, "lat": "45.065", "lon": "7.675"})
    assert response.status_code == 200
    codes = [r["tracking_code"] for r in response.json()["reports"]]
    assert codes == [earlier.tracking_code]
    assert response.json()["unpublished_nearby"] is False


def test_of_unpublished_reports_nearby_only_their_possible_existence_is_said(client, two_zones, category):
    unpublished = submit(category, lon=7.6751, lat=45.0651, description="Lampione spento davanti a casa mia")
    response = client.get(reverse("reports:nearby"), {"category": category.pk, "lat": "45.065", "lon": "7.675"})
    body = response.json()
    assert body["reports"] == []
    assert body["unpublished_nearby"] is True
    assert unpublished.tracking_code not in response.content.decode()
    assert set(body) == {"reports", "unpublished_nearby", "unpublished_display"}


def test_the_nearby_endpoint_refuses_bad_parameters_naming_each(client, db):
    response = client.get(reverse("reports:nearby"), {"category": "x", "lat": "a"})
    assert response.status_code == 400
    assert set(response.json()) == {"category", "lat", "lon"}
    assert "-90" in response.json()["lat"][0] and "180" in response.json()["lon"][0]


def test_the_confirmation_page_lists_published_duplicates(client, two_zones, category, moderator):
    earlier = report_publish(report=submit(category), user=moderator)
    unpublished = submit(category)
    response = client.post(URL, form_data(category), follow=True)
    page = response.content.decode()
    assert earlier.tracking_code in page
    assert unpublished.tracking_code not in page
    assert 'id="nearby-unpublished"' in page


def test_the_tracking_page_shows_history_and_public_notes(client, two_zones, category, moderator):
    from reports.services import report_set_status

    report = submit(category)
    report_set_status(report=report, status=Report.Status.IN_PROGRESS, public_note="Squadra inviata", user=moderator)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Squadra inviata" in page
    assert 'id="status-history"' in page


def test_an_email_is_sent_on_each_status_change(
    two_zones, category, moderator, django_capture_on_commit_callbacks, settings
):
    from reports.services import report_set_status

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the outbox's send task runs in the test, after commit
    report = submit(category, contact_email="a@example.org", contact_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        report_set_status(report=report, status=Report.Status.RESOLVED, public_note="Lampione riparato", user=moderator)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.org"]
    assert "Lampione riparato" in mail.outbox[0].body
    assert report.tracking_code in mail.outbox[0].subject


def test_a_category_that_needs_a_photo_refuses_a_report_without_one(client, two_zones, category):
    category.requires_photo = True
    category.save()
    response = client.post(URL, form_data(category))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_abuse_can_be_reported_on_a_published_report(client, two_zones, category, moderator):
    from reports.services import report_publish

    report = report_publish(report=submit(category), user=moderator)
    assert "abuse" in client.get(report.get_absolute_url()).content.decode()
    response = client.post(reverse("reports:abuse", args=[report.tracking_code]), {"reason": "Contiene un nome"})
    assert response.status_code == 302
    assert report.abuse_flags.count() == 1


def test_the_audit_form_saves_nine_scores(client, two_zones):
    from reports.models import SafetyAudit

    data = dict.fromkeys(SafetyAudit.PARAMETERS, "2")
    when = timezone.localtime() - dt.timedelta(hours=2)
    data.update(latitude="45.065", longitude="7.675", occurred_at=when.strftime("%Y-%m-%dT%H:%M"))
    response = client.post(reverse("reports:audit-new"), data)
    assert response.status_code == 302
    assert SafetyAudit.objects.get().zone == two_zones[0]
