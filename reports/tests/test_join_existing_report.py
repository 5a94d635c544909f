"""Adding one's experience to an open report nearby ("me too") instead of sending a duplicate.

The citizen's submission is kept as a report of its own, closed at once as a duplicate of the one they chose:
it counts once in the indicators (as a moderator's merge does), it has its own tracking page pointing at the
report it joined, the original shows how many people added to it, and a joiner's e-mail gets its updates.
"""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from city.models import StaleZoneNight
from indicators import engine, registry
from indicators.models import Indicator
from reports.models import BlockedSender, Category, PerceivedSafety, Report, StatusChange
from reports.services import report_merge, report_publish, report_reject_spam, report_set_status, report_submit

from .factories import jpeg_with_gps, submit

pytestmark = pytest.mark.django_db
URL = reverse("reports:new")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def original(two_zones, category, moderator):
    """A published open report: only those are offered to add to, and only those can be joined."""
    return report_publish(report=submit(category, lon=7.675, lat=45.065, hours_ago=3), user=moderator)


def join(original, **extra):
    """A citizen about 50 m away adds their experience through the same service every channel uses."""
    fields = {
        "category": original.category,
        "location": Point(7.6755, 45.0652, srid=4326),
        "perceived_safety": PerceivedSafety.VERY_UNSAFE,
        "occurred_at": timezone.now() - dt.timedelta(hours=1),
        "duplicate_of": original,
    }
    fields.update(extra)
    return report_submit(**fields)


def form_data(category, **overrides):
    data = {
        "category": category.pk,
        "perceived_safety": PerceivedSafety.VERY_UNSAFE,
        "latitude": "45.0652",
        "longitude": "7.6755",
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "offer_duplicates": "1",  # as the page's own form sends it
    }
    data.update(overrides)
    return data


# --- the service ------------------------------------------------------------------------------------


def test_a_joined_report_is_kept_closed_as_a_duplicate_of_the_one_chosen(original):
    joined = join(original, description="Anche io, ieri sera")
    assert (joined.status, joined.duplicate_of) == (Report.Status.DUPLICATE, original)
    assert joined.description == "Anche io, ieri sera"
    assert list(joined.history.values_list("action", "from_status", "to_status", "detail")) == [
        ("submit", "", "submitted", "web"),
        ("join", "submitted", "duplicate", original.tracking_code),
    ]
    recorded = original.history.get(action=StatusChange.Action.JOINED)
    assert recorded.detail == joined.tracking_code
    assert list(Report.objects.added_to(original)) == [joined]


def test_a_joined_report_counts_once_in_the_indicators(original):
    engine.recompute_stale()
    StaleZoneNight.objects.all().delete()
    join(original, occurred_at=original.occurred_at)
    assert not StaleZoneNight.objects.exists()  # nothing changes in the indicators
    engine.recompute_all()
    share = Indicator.objects.get(
        metric=registry.SHARE_FEELING_SAFE, period_kind="night", zone=original.zone, period_start=original.night
    )
    assert share.n == 1


def test_without_a_place_the_joined_report_takes_the_originals(original):
    joined = join(original, location=None)
    assert joined.location == original.location
    assert joined.zone == original.zone


def test_the_categorys_required_description_and_answers_are_not_asked_again(original, category):
    category.requires_description = True
    category.attributes = [{"code": "pole_number", "datatype": "string", "required": True, "description": "Pole"}]
    category.save()
    joined = join(original)
    assert joined.status == Report.Status.DUPLICATE
    with pytest.raises(ValidationError) as refused:
        submit(category)  # a new report still needs them
    assert {"description", "attribute[pole_number]"} <= set(refused.value.message_dict)


@pytest.mark.parametrize(
    "reason",
    ["unpublished", "closed", "spam", "far_away", "other_category", "too_old", "itself_a_duplicate"],
)
def test_only_a_published_open_report_nearby_of_the_same_category_can_be_joined(original, moderator, reason):
    extra = {}
    target = original
    if reason == "unpublished":
        target = submit(original.category, lon=7.675, lat=45.065, hours_ago=2)
    elif reason == "closed":
        report_set_status(report=original, status=Report.Status.RESOLVED, user=moderator)
    elif reason == "spam":
        report_reject_spam(report=original, user=moderator)
    elif reason == "far_away":
        extra["location"] = Point(7.685, 45.065, srid=4326)  # about 800 m east
    elif reason == "other_category":
        extra["category"] = Category.objects.get(code="dark-area")
    elif reason == "too_old":
        Report.objects.filter(pk=original.pk).update(occurred_at=timezone.now() - dt.timedelta(days=30))
    elif reason == "itself_a_duplicate":
        target = join(original)
    before = Report.objects.count()
    with pytest.raises(ValidationError) as refused:
        join(target, **extra)
    assert "duplicate_of" in refused.value.message_dict
    assert Report.objects.count() == before


def test_a_joined_report_is_validated_like_any_other(original):
    with pytest.raises(ValidationError) as refused:
        join(
            original,
            description="<b>x</b>",
            contact_email="a@example.org",
            perceived_safety=9,
            occurred_at=timezone.now() + dt.timedelta(days=1),
        )
    assert {"description", "contact_consent", "perceived_safety", "occurred_at"} <= set(refused.value.message_dict)
    assert Report.objects.count() == 1


def test_a_blocked_sender_joining_is_hidden_and_not_counted_as_added(original):
    BlockedSender.objects.create(kind=BlockedSender.Kind.EMAIL, value="troll@example.org")
    joined = join(original, contact_email="troll@example.org", contact_consent=True)
    assert joined.status == Report.Status.HIDDEN
    assert not Report.objects.added_to(original).exists()


# --- e-mails ----------------------------------------------------------------------------------------


def test_a_joiners_email_gets_the_originals_status_changes(
    two_zones, category, moderator, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the outbox's send task runs in the test, after commit
    original = submit(category, contact_email="first@example.org", contact_consent=True)
    report_publish(report=original, user=moderator)
    joined = join(original, contact_email="second@example.org", contact_consent=True)
    join(original)  # a third person, without an e-mail
    with django_capture_on_commit_callbacks(execute=True):
        report_set_status(
            report=original, status=Report.Status.RESOLVED, public_note="Lampione riparato", user=moderator
        )
    assert sorted(message.to[0] for message in mail.outbox) == ["first@example.org", "second@example.org"]
    assert all(len(message.to) == 1 for message in mail.outbox)  # nobody sees another's address
    to_joiner = next(message for message in mail.outbox if message.to == ["second@example.org"])
    assert original.tracking_code in to_joiner.subject
    assert "Lampione riparato" in to_joiner.body
    assert original.get_absolute_url() in to_joiner.body
    assert joined.tracking_code not in to_joiner.subject


def test_a_moderator_merge_also_makes_the_merged_reporter_follow(
    two_zones, category, moderator, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the outbox's send task runs in the test, after commit
    original = submit(category)
    other = submit(category, contact_email="merged@example.org", contact_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        report_merge(report=other, into=original, user=moderator)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report_set_status(report=original, status=Report.Status.IN_PROGRESS, user=moderator)
    assert [message.to for message in mail.outbox] == [["merged@example.org"]]


# --- the form, with JavaScript (the choice is sent with the form) -----------------------------------


def test_choosing_a_report_nearby_adds_to_it_and_leads_to_the_new_tracking_page(client, original):
    response = client.post(URL, form_data(original.category, join=original.tracking_code, description="Anche io"))
    assert response.status_code == 302
    joined = Report.objects.exclude(pk=original.pk).get()
    assert response["Location"] == joined.get_absolute_url() + "?new=1"
    assert joined.duplicate_of == original and joined.status == Report.Status.DUPLICATE

    page = client.get(response["Location"]).content.decode()
    assert joined.tracking_code in page
    assert f'href="{original.get_absolute_url()}"' in page
    assert 'id="joined-report"' in page

    original_page = client.get(original.get_absolute_url()).content.decode()
    assert 'id="added-count"' in original_page
    assert "1 altra persona" in original_page


def test_choosing_new_sends_a_report_of_its_own(client, original):
    response = client.post(URL, form_data(original.category, join="new"))
    assert response.status_code == 302
    created = Report.objects.exclude(pk=original.pk).get()
    assert (created.status, created.duplicate_of) == (Report.Status.SUBMITTED, None)


def test_an_unknown_or_closed_choice_comes_back_with_a_message(client, original, moderator):
    response = client.post(URL, form_data(original.category, join="NOPE2345"))
    assert response.status_code == 400
    assert 'id="id_join-error"' in response.content.decode()
    report_set_status(report=original, status=Report.Status.RESOLVED, user=moderator)
    response = client.post(URL, form_data(original.category, join=original.tracking_code, photo=jpeg_with_gps()))
    assert response.status_code == 400
    assert Report.objects.count() == 1


def test_an_unpublished_code_is_refused_exactly_like_an_unknown_one(client, original):
    unpublished = submit(original.category, lon=7.6755, lat=45.0652)
    answers = []
    for code in (unpublished.tracking_code, "NOPE2345"):
        response = client.post(URL, form_data(original.category, join=code))
        assert response.status_code == 400
        page = response.content.decode()
        answers.append(page[page.index('id="id_join-error"') :][:400])
        assert code not in page.replace(f'value="{code}"', "")  # echoed in the field at most, never listed
    assert answers[0].replace(unpublished.tracking_code, "X") == answers[1].replace("NOPE2345", "X")
    assert Report.objects.count() == 2


def test_the_honeypot_and_the_rate_limit_apply_to_joining(client, original, settings):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "2/h"
    response = client.post(URL, form_data(original.category, join=original.tracking_code, website="http://x"))
    assert response.status_code == 400
    assert client.post(URL, form_data(original.category, join=original.tracking_code)).status_code == 302
    assert client.post(URL, form_data(original.category, join=original.tracking_code)).status_code == 429
    assert Report.objects.added_to(original).count() == 1


# --- the form, without JavaScript (the possible duplicates step) ------------------------------------


def test_without_javascript_the_form_first_comes_back_with_the_reports_nearby(client, original):
    response = client.post(URL, form_data(original.category, description="Lampione spento"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="duplicates-step"' in page
    assert f'value="{original.tracking_code}"' in page  # a radio: add my experience to it
    assert 'id="join-new" checked' in page  # or send it as new
    assert "Lampione spento" in page  # nothing typed is lost
    assert Report.objects.count() == 1

    response = client.post(URL, form_data(original.category, join=original.tracking_code))
    assert response.status_code == 302
    assert Report.objects.added_to(original).count() == 1


def test_the_step_says_a_photo_must_be_chosen_again(client, original):
    response = client.post(URL, form_data(original.category, photo=jpeg_with_gps()))
    assert response.status_code == 200
    assert 'id="photo-dropped"' in response.content.decode()


def test_without_reports_nearby_there_is_no_step(client, two_zones, category):
    submit(category, lon=7.685, lat=45.065)  # too far
    response = client.post(URL, form_data(category))
    assert response.status_code == 302


def test_clients_that_do_not_send_the_pages_marker_are_never_held_at_the_step(client, original):
    data = form_data(original.category)
    del data["offer_duplicates"]
    assert client.post(URL, data).status_code == 302
    assert Report.objects.count() == 2


def test_the_nearby_list_says_how_many_added_and_offers_to_add(client, original):
    join(original)
    response = client.get(
        reverse("reports:nearby"), {"category": original.category.pk, "lat": "45.0652", "lon": "7.6755"}
    )
    (item,) = response.json()["reports"]
    assert item["tracking_code"] == original.tracking_code
    assert item["added"] == 1
    assert original.tracking_code in item["join_label"]


# --- staff and API ----------------------------------------------------------------------------------


def test_moderators_see_who_added_to_a_report(client, original, moderator):
    joined = join(original, description="Anche io, con mia figlia")
    client.force_login(moderator)
    page = client.get(reverse("reports:moderation-detail", args=[original.tracking_code])).content.decode()
    assert 'id="moderation-added"' in page
    assert joined.tracking_code in page and "Anche io, con mia figlia" in page


def test_the_api_can_add_to_a_report_nearby(client, original):
    body = {
        "category": original.category.code,
        "perceived_safety": 1,
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "latitude": 45.0652,
        "longitude": 7.6755,
        "duplicate_of": original.tracking_code.lower(),
    }
    response = client.post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "duplicate"
    body["duplicate_of"] = "NOPE2345"
    response = client.post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 400
    assert "duplicate_of" in response.json()
    unknown = response.json()
    body["duplicate_of"] = submit(original.category, lon=7.6755, lat=45.0652).tracking_code  # not published
    response = client.post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == unknown  # says nothing of whether the code exists
