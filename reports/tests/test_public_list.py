"""The public lists stay fast on millions of reports: keyset (cursor) pages on the REST API, and the queries of
the API and of Open311 GET requests read partial indexes in their own order instead of sorting the table."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports.models import Report
from reports.services import report_publish

from .factories import submit

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"


@pytest.fixture
def published(two_zones, category, moderator) -> list[Report]:
    """Seven published reports, three of them at the very same instant (ties are settled by id), one hidden."""
    same_time = timezone.now() - dt.timedelta(hours=5)
    reports = []
    for i in range(7):
        report = report_publish(report=submit(category, hours_ago=1 + i), user=moderator)
        if i in (2, 3, 4):
            Report.objects.filter(pk=report.pk).update(occurred_at=same_time)
        reports.append(report)
    submit(category)  # never published: never listed
    return sorted(Report.objects.public(), key=lambda r: (r.occurred_at, r.pk), reverse=True)


def codes(body) -> list[str]:
    return [feature["id"] for feature in body["features"]]


def follow(client, link):
    parts = urlsplit(link)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_pages_follow_each_other_newest_first_without_gaps_or_repeats(client, published):
    body = client.get(URL, {"page_size": 2}).json()
    assert body["type"] == "FeatureCollection" and body["previous"] is None
    assert "count" not in body  # no COUNT(*) over the whole table
    pages = [codes(body)]
    while body["next"]:
        body = follow(client, body["next"])
        pages.append(codes(body))
    assert [code for page in pages for code in page] == [r.tracking_code for r in published]
    assert [len(page) for page in pages] == [2, 2, 2, 1]

    # and back again, page by page
    back = [codes(body)]
    while body["previous"]:
        body = follow(client, body["previous"])
        back.append(codes(body))
    assert back == list(reversed(pages))


def test_a_report_arriving_meanwhile_does_not_shift_the_next_page(client, published, category, moderator):
    body = client.get(URL, {"page_size": 3}).json()
    report_publish(report=submit(category, hours_ago=0), user=moderator)  # newer than everything listed
    assert codes(follow(client, body["next"])) == [r.tracking_code for r in published[3:6]]


def test_filters_keep_working_with_cursors(client, published):
    body = client.get(URL, {"page_size": 1, "zone": "W"}).json()
    assert len(codes(body)) == 1 and "zone=W" in body["next"]


@pytest.mark.parametrize(
    "params", [{"cursor": "not-a-cursor"}, {"cursor": "bnx5ZXN0ZXJkYXl8MQ"}, {"page_size": "many"}, {"cursor": "%%%"}]
)
def test_a_bad_cursor_or_page_size_is_a_400(client, published, params):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response.json()


def test_the_page_size_is_capped(client, published):
    assert len(codes(client.get(URL, {"page_size": 100000}).json())) == len(published)
    assert len(codes(client.get(URL, {"page_size": 0}).json())) == 1


def test_a_page_takes_a_bounded_number_of_queries(client, published):
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    def queries(size: int) -> int:
        cache.clear()  # public reads are cached: count what a page costs when it is built
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"page_size": size}).status_code == 200
        return len(captured)

    # The same few queries whatever the page holds: no query per report.
    assert queries(1) == queries(5) <= 8


PLANNER_OFF = ("enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_incremental_sort")


def plan_of(sql: str) -> str:
    """The plan of a query when scanning the whole table or sorting it are ruled out, as they are on a large
    table: only an index that holds both the WHERE and the ORDER BY can then answer it."""
    with connection.cursor() as cursor:
        for knob in PLANNER_OFF:
            cursor.execute(f"SET LOCAL {knob} = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for knob in PLANNER_OFF:
            cursor.execute(f"SET LOCAL {knob} = on")
    return plan


def ordered_list_query(client, path, params) -> str:
    """The request's one query that reads reports in an order (the list itself)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params).status_code == 200
    (sql,) = [q["sql"] for q in captured.captured_queries if "reports_report" in q["sql"] and "ORDER BY" in q["sql"]]
    return sql


def read_in_order_from_an_index(plan: str) -> bool:
    """The rows come from an index in the order asked for: no sort of the table (whatever the index is named)."""
    return "Index Scan" in plan and "Sort" not in plan


def test_the_public_api_list_reads_an_index_in_order(client, published):
    assert read_in_order_from_an_index(plan_of(ordered_list_query(client, URL, {"page_size": 2})))
    cursor = parse_qs(urlsplit(client.get(URL, {"page_size": 2}).json()["next"]).query)["cursor"][0]
    following = ordered_list_query(client, URL, {"page_size": 2, "cursor": cursor})
    assert read_in_order_from_an_index(plan_of(following))


def test_the_public_map_reads_an_index_in_order(client, published):
    assert read_in_order_from_an_index(plan_of(ordered_list_query(client, "/map/reports.geojson", {})))
