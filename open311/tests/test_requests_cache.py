"""Open311 GET requests is cached under the data version and the public-content token: a report written or
moderated shows at once, and a repeated read costs no query."""

import pytest
from django.contrib.auth.models import User

from reports import services
from reports.tests.factories import submit

pytestmark = pytest.mark.django_db


def listed(client):
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 200
    return [row["service_request_id"] for row in response.json()]


def test_requests_are_cached_and_fresh_after_each_moderation(
    client, two_zones, category, django_assert_num_queries, django_capture_on_commit_callbacks
):
    moderator = User.objects.create_user("mod-311")
    first = services.report_publish(report=submit(category), user=moderator)
    assert listed(client) == [first.tracking_code]
    with django_assert_num_queries(0):
        assert listed(client) == [first.tracking_code]
    # The token moves on when each write commits.
    with django_capture_on_commit_callbacks(execute=True):
        second = services.report_publish(report=submit(category), user=moderator)
    assert listed(client) == [second.tracking_code, first.tracking_code]
    with django_capture_on_commit_callbacks(execute=True):
        services.report_reject_spam(report=second, user=moderator)
    assert listed(client) == [first.tracking_code]
    xml = client.get("/open311/v2/requests.xml")
    assert xml["Content-Type"].startswith("text/xml") or xml["Content-Type"].startswith("application/xml")
