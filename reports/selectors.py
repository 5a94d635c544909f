"""Reads of the moderation queue: the filters a moderator sets, the queue they give, and the next report in it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .models import Report

SHOW_CHOICES = ("new", "open", "all")
ORDERS = ("oldest", "newest")


@dataclass(frozen=True)
class QueueFilters:
    show: str = "new"  # new (submitted, unpublished), open, all
    q: str = ""  # a tracking code (or its start) or words of the citizen's text or address
    zone_id: int | None = None
    category_id: int | None = None
    department_code: str = ""  # the department first responsible for the report
    status: str = ""
    older_than_days: int | None = None
    newer_than_days: int | None = None
    order: str = "oldest"  # the oldest waiting first: nobody is left at the bottom of the pile


# The citizen's text and address as the search reads them: accents and case dropped (city_search_text, the
# IMMUTABLE unaccent wrapper of city/0003). The trigram GIN index reports_report_search_trgm (reports/0012) is on
# exactly this expression, so a LIKE '%word%' on it is an index scan rather than a read of every report.
REPORT_SEARCH_SQL = "city_search_text(reports_report.description || ' ' || reports_report.address)"


def _like_escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _words_match(text: str) -> Q:
    """Every word of ``text`` found somewhere in the report's description or address, as a part of a word
    ("lampion" finds "lampioni"), whatever the accents or case ("caffe" finds "Caffè")."""
    condition = Q()
    for word in text.split()[:10]:
        condition &= Q(
            RawSQL(  # noqa: S611 (the SQL is a constant; the word goes in as a parameter)
                f"{REPORT_SEARCH_SQL} LIKE '%%' || city_search_text(%s) || '%%'",
                (_like_escaped(word),),
                output_field=BooleanField(),
            )
        )
    return condition


def moderation_queue(filters: QueueFilters) -> QuerySet[Report]:
    """The reports the filters select, new (unpublished, submitted) ones first, then by age (one query)."""
    queryset = Report.objects.select_related("category", "zone", "department").annotate(flags=Count("abuse_flags"))
    if filters.show == "new":
        queryset = queryset.filter(status=Report.Status.SUBMITTED, is_published=False)
    elif filters.show == "open":
        queryset = queryset.filter(status__in=Report.OPEN_STATUSES)
    if filters.q:
        text = filters.q.strip()
        queryset = queryset.filter(Q(tracking_code__startswith=text.upper()) | _words_match(text))
    if filters.zone_id is not None:
        queryset = queryset.filter(zone_id=filters.zone_id)
    if filters.category_id is not None:
        queryset = queryset.filter(category_id=filters.category_id)
    if filters.department_code:
        queryset = queryset.filter(department_id=filters.department_code)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    now = timezone.now()
    if filters.older_than_days is not None:
        queryset = queryset.filter(created_at__lte=now - dt.timedelta(days=filters.older_than_days))
    if filters.newer_than_days is not None:
        queryset = queryset.filter(created_at__gte=now - dt.timedelta(days=filters.newer_than_days))
    queryset = queryset.annotate(
        is_new=Case(
            When(status=Report.Status.SUBMITTED, is_published=False, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    age = ("created_at", "id") if filters.order == "oldest" else ("-created_at", "-id")
    return queryset.order_by("is_new", *age)


def next_in_queue(filters: QueueFilters, *, after: Report) -> Report | None:
    """The report a moderator opens next: the first of the same queue other than the one just handled."""
    return moderation_queue(filters).exclude(pk=after.pk).first()
