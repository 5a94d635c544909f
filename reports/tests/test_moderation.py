"""Moderators publish, reject, merge, assign and set statuses; everything is recorded, nothing deleted."""

import pytest
from django.urls import reverse

from city.models import StaleZoneNight
from conftest import make_user
from reports.models import Report, StatusChange
from reports.services import report_merge, report_publish, report_reject_spam, report_set_status

from .factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(two_zones, category):
    return submit(category, description="Lampione spento davanti al civico 3, Mario Rossi")


def act(client, report, action, **data):
    return client.post(reverse("reports:moderation-action", args=[report.tracking_code, action]), data)


# --- who may moderate -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reports:moderation", "reports:moderation-detail"])
def test_moderation_pages_are_for_moderators(client, report, moderator, officer, name):
    args = [report.tracking_code] if name.endswith("detail") else []
    url = reverse(name, args=args)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(officer)
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("action", ["publish", "spam", "assign", "status", "merge", "hide-photo"])
def test_moderation_actions_are_refused_to_other_roles_and_anonymous(client, report, officer, action):
    assert act(client, report, action, status="resolved", department="lighting").status_code == 302
    client.force_login(officer)
    assert act(client, report, action, status="resolved", department="lighting").status_code == 403
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    assert not report.is_published
    assert report.history.count() == 1  # only the submission


def test_the_queue_shows_new_reports_first(client, two_zones, category, moderator):
    old = submit(category)
    report_publish(report=old, user=moderator)
    new = submit(category)
    client.force_login(moderator)
    page = client.get(reverse("reports:moderation"), {"show": "all"}).content.decode()
    assert page.index(new.tracking_code) < page.index(old.tracking_code)
    assert old.tracking_code not in client.get(reverse("reports:moderation")).content.decode()


# --- what each action does --------------------------------------------------------------------------


def test_publishing_uses_the_moderated_text_and_records_who(client, report, moderator):
    client.force_login(moderator)
    act(client, report, "publish", public_description="Lampione spento davanti al civico 3")
    report.refresh_from_db()
    assert report.is_published
    assert report.public_description == "Lampione spento davanti al civico 3"
    change = report.history.get(action=StatusChange.Action.PUBLISH)
    assert change.user == moderator


def test_rejecting_as_spam_hides_the_report_and_marks_its_night_stale(client, report, moderator):
    StaleZoneNight.objects.all().delete()
    client.force_login(moderator)
    act(client, report, "spam")
    report.refresh_from_db()
    assert report.status == Report.Status.SPAM
    assert not Report.objects.public().filter(pk=report.pk).exists()
    assert StaleZoneNight.objects.filter(zone=report.zone, night=report.night).exists()
    assert Report.objects.filter(pk=report.pk).exists()  # nothing deleted


def test_merging_closes_the_duplicate_and_points_at_the_original(client, report, category, moderator):
    original = report_publish(report=submit(category), user=moderator)
    StaleZoneNight.objects.all().delete()
    client.force_login(moderator)
    act(client, report, "merge", into=original.tracking_code.lower())
    report.refresh_from_db()
    assert report.status == Report.Status.DUPLICATE
    assert report.duplicate_of == original
    assert StaleZoneNight.objects.filter(zone=report.zone, night=report.night).exists()
    assert original.tracking_code in client.get(report.get_absolute_url()).content.decode()


def test_a_report_merged_into_an_unpublished_one_never_names_it(client, report, category, moderator):
    report_publish(report=report, user=moderator)
    original = submit(category)  # not published
    client.force_login(moderator)
    act(client, report, "merge", into=original.tracking_code)
    client.logout()
    assert original.tracking_code not in client.get(report.get_absolute_url()).content.decode()
    feature = client.get(f"/api/v1/reports/{report.tracking_code}/").json()
    assert feature["properties"]["duplicate_of"] is None
    report_publish(report=original, user=moderator)
    feature = client.get(f"/api/v1/reports/{report.tracking_code}/").json()
    assert feature["properties"]["duplicate_of"] == original.tracking_code


def test_a_report_cannot_be_merged_into_itself_or_into_a_cycle(report, category, moderator):
    from django.core.exceptions import ValidationError

    other = submit(category)
    with pytest.raises(ValidationError):
        report_merge(report=report, into=report, user=moderator)
    report_merge(report=other, into=report, user=moderator)
    with pytest.raises(ValidationError):
        report_merge(report=report, into=other, user=moderator)


def test_merging_into_an_unknown_code_is_refused_with_a_message(client, report, moderator):
    client.force_login(moderator)
    response = act(client, report, "merge", into="NOPE", public_note="Stesso lampione")
    # The page comes back at once with the reason and what the moderator typed, rather than a redirect.
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nessuna segnalazione ha questo codice" in page
    assert 'value="NOPE"' in page and 'value="Stesso lampione"' in page
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED


def test_assigning_a_department_is_recorded(client, report, moderator):
    client.force_login(moderator)
    act(client, report, "assign", department="municipal_police")
    report.refresh_from_db()
    assert report.department_id == "municipal_police"  # the row keeps its code (city.Department)
    assert report.history.filter(action=StatusChange.Action.ASSIGN, detail="municipal_police").exists()


def test_setting_a_status_with_a_public_note(client, report, moderator):
    client.force_login(moderator)
    act(client, report, "status", status="action_scheduled", public_note="Intervento previsto giovedì")
    report.refresh_from_db()
    assert report.status == Report.Status.ACTION_SCHEDULED
    change = report.history.get(action=StatusChange.Action.STATUS)
    assert (change.from_status, change.to_status, change.user) == ("submitted", "action_scheduled", moderator)
    assert "Intervento previsto giovedì" in client.get(report.get_absolute_url()).content.decode()


def test_an_unknown_status_is_refused(client, report, moderator):
    client.force_login(moderator)
    act(client, report, "status", status="exploded")
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED


def test_a_status_change_that_stops_counting_marks_the_night_stale(report, moderator):
    StaleZoneNight.objects.all().delete()
    report_set_status(report=report, status=Report.Status.IN_PROGRESS, user=moderator)
    assert not StaleZoneNight.objects.exists()  # still counts: nothing to recompute
    report_set_status(report=report, status=Report.Status.HIDDEN, user=moderator)
    assert StaleZoneNight.objects.filter(zone=report.zone, night=report.night).exists()


def test_hiding_a_photo_keeps_it_for_staff_only(report, moderator):
    from reports.services import report_hide_photo

    report_hide_photo(report=report, user=moderator)
    report.refresh_from_db()
    assert report.photo_hidden
    assert report.public_photo_url == ""


def test_the_spam_then_publish_history_is_complete(report, moderator):
    report_reject_spam(report=report, user=moderator)
    report_publish(report=report, user=moderator)
    actions = list(report.history.values_list("action", flat=True))
    assert actions == ["submit", "spam", "publish"]


def test_a_superuser_may_moderate(client, report):
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(reverse("reports:moderation")).status_code == 200
