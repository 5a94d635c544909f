"""The moderation queue as a work list: search, filters, oldest first, bulk actions, merge into this, next report."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import Report

from .factories import submit

pytestmark = pytest.mark.django_db
QUEUE = reverse("reports:moderation")


def _age(report, days):
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - dt.timedelta(days=days))


@pytest.fixture
def reports(two_zones, category):
    """Three new reports: an old one in the west, a newer one in the east, and the newest in the west."""
    old = submit(category, lon=7.675, description="Sottopasso buio e sporco")
    middle = submit(category, lon=7.685, description="Lampione spento in via Po")
    newest = submit(category, lon=7.676, description="Piazza illuminata male")
    _age(old, 10)
    _age(middle, 4)
    return old, middle, newest


def codes(response):
    return [r.tracking_code for r in response.context["page"]]


def test_the_queue_shows_the_oldest_waiting_report_first(client, moderator, reports):
    client.force_login(moderator)
    old, middle, newest = reports
    assert codes(client.get(QUEUE)) == [old.tracking_code, middle.tracking_code, newest.tracking_code]
    assert codes(client.get(QUEUE, {"order": "newest"})) == [newest.tracking_code, middle.tracking_code,
                                                            old.tracking_code]  # fmt: skip


def test_search_finds_a_report_by_its_code_or_by_words_of_its_text(client, moderator, reports):
    client.force_login(moderator)
    old, middle, _newest = reports
    assert codes(client.get(QUEUE, {"q": middle.tracking_code.lower()})) == [middle.tracking_code]
    assert codes(client.get(QUEUE, {"q": "sottopasso"})) == [old.tracking_code]


def test_filters_by_zone_category_status_and_age_narrow_the_queue(client, moderator, reports, category):
    client.force_login(moderator)
    old, middle, newest = reports
    assert codes(client.get(QUEUE, {"zone": "E"})) == [middle.tracking_code]
    assert codes(client.get(QUEUE, {"zone": "W", "age": "7"})) == [old.tracking_code]
    assert codes(client.get(QUEUE, {"age": "-1"})) == [newest.tracking_code]
    assert len(codes(client.get(QUEUE, {"category": category.pk, "show": "all", "status": "submitted"}))) == 3
    assert codes(client.get(QUEUE, {"show": "all", "status": "resolved"})) == []


def test_a_bad_filter_is_a_message_in_italian_not_an_error_page(client, moderator, reports):
    client.force_login(moderator)
    response = client.get(QUEUE, {"zone": "NOWHERE", "age": "9999", "category": "x"})
    assert response.status_code == 400
    assert response.text.count("opzione valida") == 3  # zone, category and age, each named by its field


def test_bulk_publish_and_assign_act_on_every_ticked_report(client, moderator, reports):
    client.force_login(moderator)
    old, middle, newest = reports
    bulk = reverse("reports:moderation-bulk")
    response = client.post(bulk, {"action": "publish", "codes": [old.tracking_code, middle.tracking_code]})
    assert response.status_code == 302
    assert set(Report.objects.filter(is_published=True).values_list("tracking_code", flat=True)) == {
        old.tracking_code, middle.tracking_code}  # fmt: skip
    client.post(bulk, {"action": "assign", "department": "lighting", "codes": [newest.tracking_code]})
    newest.refresh_from_db()
    assert newest.department_id == "lighting"


def test_bulk_spam_asks_to_confirm_before_it_rejects_anything(client, moderator, reports):
    client.force_login(moderator)
    old, middle, _newest = reports
    bulk = reverse("reports:moderation-bulk")
    asked = client.post(bulk, {"action": "spam", "codes": [old.tracking_code, middle.tracking_code]})
    assert asked.status_code == 200 and 'id="bulk-confirm-spam"' in asked.text
    assert not Report.objects.filter(status=Report.Status.SPAM).exists()
    client.post(bulk, {"action": "spam", "confirm": "on", "codes": [old.tracking_code, middle.tracking_code]})
    assert Report.objects.filter(status=Report.Status.SPAM).count() == 2


def test_a_bulk_action_with_nothing_ticked_or_a_missing_department_changes_nothing(client, moderator, reports):
    client.force_login(moderator)
    bulk = reverse("reports:moderation-bulk")
    response = client.post(bulk, {"action": "publish"}, follow=True)
    assert "Seleziona almeno una segnalazione" in response.text
    before = list(Report.objects.order_by("pk").values_list("department_id", "is_published"))
    client.post(bulk, {"action": "assign", "codes": [reports[0].tracking_code]})
    assert list(Report.objects.order_by("pk").values_list("department_id", "is_published")) == before


def test_bulk_actions_are_for_moderators_only(client, officer, reports):
    bulk = reverse("reports:moderation-bulk")
    assert client.post(bulk, {"action": "publish", "codes": [reports[0].tracking_code]}).status_code == 302
    client.force_login(officer)
    assert client.post(bulk, {"action": "publish", "codes": [reports[0].tracking_code]}).status_code == 403
    assert not Report.objects.filter(is_published=True).exists()


def test_merge_into_this_closes_the_nearby_report_as_a_duplicate_and_stays_on_the_original(
    client, moderator, two_zones, category
):
    client.force_login(moderator)
    original = submit(category, lon=7.675, lat=45.065)
    nearby = submit(category, lon=7.6751, lat=45.0651)
    page = client.get(reverse("reports:moderation-detail", args=[original.tracking_code]))
    assert f'id="merge-into-this-{nearby.tracking_code}"' in page.text
    assert 'id="moderation-map"' in page.text  # the report's place on a map
    response = client.post(
        reverse("reports:moderation-action", args=[nearby.tracking_code, "merge"]),
        {"into": original.tracking_code, "back_to": original.tracking_code},
    )
    assert response.url == reverse("reports:moderation-detail", args=[original.tracking_code])
    nearby.refresh_from_db()
    assert nearby.status == Report.Status.DUPLICATE and nearby.duplicate_of == original


def test_after_an_action_the_next_report_of_the_same_queue_opens(client, moderator, reports):
    client.force_login(moderator)
    old, middle, newest = reports
    response = client.post(
        reverse("reports:moderation-action", args=[old.tracking_code, "publish"]),
        {"public_description": "", "next": "next", "queue": "zone=W"},
    )
    assert response.url.startswith(reverse("reports:moderation-detail", args=[newest.tracking_code]))
    page = client.get(response.url)
    assert 'id="next-report"' not in page.text or middle.tracking_code not in page.text  # the east is filtered out
    last = client.post(
        reverse("reports:moderation-action", args=[newest.tracking_code, "publish"]),
        {"public_description": "", "next": "next", "queue": "zone=W"},
    )
    assert last.url == QUEUE + "?zone=W"  # the queue is done


def test_the_queue_reads_in_a_number_of_queries_that_does_not_grow_with_the_reports(
    client, moderator, reports, category, django_assert_num_queries
):
    client.force_login(moderator)
    client.get(QUEUE)  # the session and the reference rows are warm from here on
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE, {"q": "via"})
    for _ in range(5):
        submit(category, lon=7.685, description="Ancora buio in via Po")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(QUEUE, {"q": "via"})
