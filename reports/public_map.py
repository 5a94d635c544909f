"""The public map of published reports: filters, server-side clusters on the privacy grid, and the paged list.

Every location comes from the one privacy rule (``reports.privacy``): reports are snapped to the grid first,
then counted per cell of a grid of the zoom's size (never smaller than the privacy grid), so no cluster,
count or popup says more about a place than the snapped points do. Everything is cached under the data
version and the public-content token (``city.publiccache``), which moderation moves on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from city import nightslots, webmap
from city.i18n import english_active
from city.publiccache import cached_public

from .models import Category, PerceivedSafety, Report
from .privacy import snapped_sql

PERIOD_DAYS = {"30": 30, "90": 90, "365": 365}
PAGE_SIZE = 20
# A cluster is about this many screen pixels wide.
CLUSTER_PIXELS = 56
MAX_CLUSTERS = 3000


class PublicMapForm(forms.Form):
    """The public map's filters (GET). Unknown values are form errors, shown in the page's language."""

    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(active=True).order_by("sort_order", "id"),
        to_field_name="code",
        required=False,
        empty_label=_("All categories"),
        error_messages={"invalid_choice": _("Please choose a category from the list.")},
    )
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("30", _("Last 30 days")),
            ("90", _("Last 3 months")),
            ("365", _("Last 12 months")),
        ],
        error_messages={"invalid_choice": _("Please choose a period from the list.")},
    )
    slot = forms.ChoiceField(
        label=_("Time of night"),
        required=False,
        error_messages={"invalid_choice": _("Please choose a time of night from the list.")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and closed")), ("open", _("Still open")), ("closed", _("Closed"))],
        error_messages={"invalid_choice": _("Please choose a status from the list.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [("", _("Any time of day")), *nightslots.slot_choices()]

    def filters(self) -> PublicFilters:
        """The filters as given; the defaults (everything) when the form is unbound or invalid."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        category = data.get("category")
        return PublicFilters(
            category_id=category.pk if category else None,
            period=data.get("period") or "",
            slot=data.get("slot") or "",
            status=data.get("status") or "",
        )


@dataclass(frozen=True)
class PublicFilters:
    category_id: int | None = None
    period: str = ""
    slot: str = ""
    status: str = ""

    def key(self) -> tuple:
        # The period is relative to today: the cache key carries the night it counts from.
        return (self.category_id, self.first_night(), self.slot, self.status)

    def first_night(self) -> dt.date | None:
        days = PERIOD_DAYS.get(self.period)
        return nightslots.night_of(timezone.now()) - dt.timedelta(days=days) if days else None

    def sql(self) -> tuple[str, list]:
        """The WHERE clause (on ``r``) of the published reports these filters keep, and its parameters."""
        clauses = ["r.is_published", "r.status <> ALL(%s::text[])"]
        params: list = [list(Report.NOT_PUBLIC_STATUSES)]
        if self.category_id is not None:
            clauses.append("r.category_id = %s")
            params.append(self.category_id)
        if (first := self.first_night()) is not None:
            clauses.append("r.night >= %s")
            params.append(first)
        if self.slot:
            clauses.append("r.slot = %s")
            params.append(self.slot)
        if self.status:
            statuses = Report.OPEN_STATUSES if self.status == "open" else Report.CLOSED_STATUSES
            clauses.append("r.status = ANY(%s::text[])")
            params.append([str(s) for s in statuses])
        return " AND ".join(clauses), params

    def queryset(self):
        qs = Report.objects.public()
        if self.category_id is not None:
            qs = qs.filter(category_id=self.category_id)
        if (first := self.first_night()) is not None:
            qs = qs.filter(night__gte=first)
        if self.slot:
            qs = qs.filter(slot=self.slot)
        if self.status:
            qs = qs.filter(status__in=Report.OPEN_STATUSES if self.status == "open" else Report.CLOSED_STATUSES)
        return qs


def cluster_cell_m(zoom: int) -> float:
    """A cluster cell in Web-Mercator metres at ``zoom``: about CLUSTER_PIXELS on screen, never finer than the
    privacy grid (so one cell never splits what the grid already merged)."""
    from .privacy import grid_size_mercator

    return max(CLUSTER_PIXELS * webmap.metres_per_pixel(zoom), grid_size_mercator())


CLUSTERS_SQL = """
    WITH r AS (
        SELECT r.tracking_code, ST_Transform({snap}, 3857) AS pt, r.perceived_safety, r.occurred_at, r.status,
               {category} AS category, z.code AS zone_code
        FROM reports_report r
        JOIN reports_category c ON c.id = r.category_id
        LEFT JOIN observatory_zone z ON z.id = r.zone_id
        WHERE {where}
    ),
    cells AS (
        SELECT ST_SnapToGrid(pt, %s) AS cell, * FROM r
    ),
    clusters AS (
        SELECT ST_Transform(ST_Centroid(ST_Collect(pt)), 4326) AS centre, count(*) AS n,
               count(*) FILTER (WHERE perceived_safety = 1) AS l1, count(*) FILTER (WHERE perceived_safety = 2) AS l2,
               count(*) FILTER (WHERE perceived_safety = 3) AS l3, count(*) FILTER (WHERE perceived_safety = 4) AS l4,
               mode() WITHIN GROUP (ORDER BY zone_code) AS zone_code,
               (array_agg(json_build_object(
                    'code', tracking_code, 'category', category, 'level', perceived_safety, 'status', status,
                    'date', to_char(occurred_at AT TIME ZONE %s, 'YYYY-MM-DD'))
                    ORDER BY occurred_at DESC, tracking_code))[1:3] AS latest
        FROM cells GROUP BY cell
        ORDER BY count(*) DESC LIMIT %s
    )
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'geometry', ST_AsGeoJSON(centre, 6)::json,
        'properties', json_build_object('count', n, 'levels', json_build_array(l1, l2, l3, l4),
                                        'zone', zone_code, 'latest', to_json(latest))
    )), '[]'::json))::text
    FROM clusters
"""


def public_clusters_geojson(filters: PublicFilters, *, zoom: int) -> str:
    """Published reports counted per cell of the zoom's grid, as GeoJSON text: each cluster's centre (of the
    snapped points), its count, its counts per safety level (1 very unsafe .. 4 very safe), its zone and its
    three latest reports (category, level, date, status)."""
    zoom = webmap.clamp_zoom(zoom)

    def build() -> str:
        snap, snap_params = snapped_sql("r.location")
        where, where_params = filters.sql()
        sql = CLUSTERS_SQL.format(snap=snap, where=where, category="c.name_en" if english_active() else "c.name_it")
        with connection.cursor() as cursor:
            cursor.execute(sql, [*snap_params, *where_params, cluster_cell_m(zoom), settings.TIME_ZONE, MAX_CLUSTERS])
            return cursor.fetchone()[0]

    return cached_public("map-clusters", (filters.key(), zoom), build)


def public_report_page(filters: PublicFilters, page_number) -> dict:
    """One page of the published reports the filters keep, newest first, for the list that works without
    JavaScript: what the popups say (category, safety level, date, status) and the zone, never the place."""

    def build() -> dict:
        qs = filters.queryset().select_related("category", "zone__parent").defer("zone__geom", "zone__parent__geom")
        paginator = Paginator(qs.order_by("-occurred_at", "-id"), PAGE_SIZE)
        page = paginator.get_page(page_number)
        return {
            "number": page.number,
            "pages": paginator.num_pages,
            "count": paginator.count,
            "rows": [
                {
                    "code": r.tracking_code,
                    "url": r.get_absolute_url(),
                    "category": r.category.name,
                    "level": r.perceived_safety,
                    "level_label": str(PerceivedSafety(r.perceived_safety).label),
                    "occurred_at": timezone.localtime(r.occurred_at),
                    "status": str(r.get_status_display()),
                    "zone": r.zone.place_label if r.zone else "",
                    "zone_code": r.zone.code if r.zone else "",
                }
                for r in page.object_list
            ],
        }

    return cached_public("map-list", (filters.key(), str(page_number)), build)
