"""The public page of a zone (``/map/zones/<code>/``): what citizens reported there, how safe those who
reported feel beside how safe the residents feel (the weighted survey, where one exists), the funded projects
and the interventions done in the zone with their measured effect.

It lives in ``dashboards`` because this is the lowest layer allowed to read both the citizens' reports and
indicators and the grants' public projects (layers: dashboards > grants > indicators > reports > city); the
officers' zone page reads the same selectors. Only public data: published reports, indicator shares with
their n and interval, the survey's published estimates, public projects, the interventions register.
Cached under the data version and the public-content token.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from city import nightslots
from city.i18n import english_active
from city.models import Zone
from city.publiccache import cached_public
from indicators import registry
from indicators import selectors as indicator_selectors
from interventions import impact as intervention_impact
from interventions import selectors as intervention_selectors
from reports.models import PerceivedSafety, Report
from surveys import representative

from . import filters, selectors

PUBLIC_REPORTS_DAYS = 365
LATEST_REPORTS = 10


def public_zone_summary(zone: Zone) -> dict:
    """Everything the public zone page shows, in a few bounded queries (the page caches what it renders)."""
    f = filters.parse_filters({})
    rows = indicator_selectors.zone_slot_rows(
        zone_id=zone.pk,
        metrics=[registry.SHARE_FEELING_SAFE],
        period_kind=f.period_kind,
        first=f.first_night,
        last=f.last_night,
    )
    by_slot = {row[0]: row for row in rows}
    shares = []
    for code, label in nightslots.slot_choices():
        row = by_slot.get(code)
        value, lower, upper, n = (row[2], row[3], row[4], row[5]) if row else (None, None, None, 0)
        shares.append({"slot": str(label), "value": value, "lower": lower, "upper": upper, "n": n or 0})
    since = nightslots.night_of(timezone.now()) - dt.timedelta(days=PUBLIC_REPORTS_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT {"c.name_en" if english_active() else "c.name_it"}, count(*),
                   count(*) FILTER (WHERE r.perceived_safety = ANY(%s))
            FROM reports_report r JOIN reports_category c ON c.id = r.category_id
            WHERE r.zone_id = %s AND r.is_published AND r.status <> ALL(%s::text[]) AND r.night >= %s
            GROUP BY 1 ORDER BY 2 DESC, 1
            """,
            [list(PerceivedSafety.feeling_safe()), zone.pk, list(Report.NOT_PUBLIC_STATUSES), since],
        )
        categories = [{"name": name, "reports": n, "feeling_safe": k} for name, n, k in cursor.fetchall()]
    latest = [
        {
            "url": r.get_absolute_url(),
            "category": r.category.name,
            "level": r.perceived_safety,
            "level_label": str(r.get_perceived_safety_display()),
            "occurred_at": timezone.localtime(r.occurred_at),
            "status": str(r.get_status_display()),
        }
        for r in Report.objects.public()
        .filter(zone=zone)
        .select_related("category")
        .order_by("-night", "-occurred_at")[:LATEST_REPORTS]
    ]
    return {
        "period_first": f.first_night,
        "period_last": f.last_night,
        "shares": shares,
        "categories": categories,
        "reports_total": sum(c["reports"] for c in categories),
        "latest": latest,
        "projects": selectors.project_rows(zone_id=zone.pk),
        **_survey_share(zone),
        "interventions": _interventions(zone),
    }


def _survey_share(zone: Zone) -> dict:
    """The residents' share from the latest representative survey, with what its label must say (or None)."""
    share = representative.zone_share(zone.pk)
    return {"survey": share, "survey_label": representative.share_provenance(share) if share else None}


def _interventions(zone: Zone) -> list[dict]:
    """What was done in the zone (newest first, cancelled ones left out) with the measured change in the share
    feeling safe per time of day where the estimator has one, else why it cannot say yet."""
    rows = [row for row in intervention_selectors.intervention_rows(zone_ids=[zone.pk]) if not row["cancelled"]]
    impacts = intervention_impact.impacts_for_interventions([row["id"] for row in rows]) if rows else {}
    reasons = intervention_impact.reason_texts()
    for row in rows:
        row["kind_label"] = str(row["kind_label"])
        row["effects"], row["no_effect_reason"] = [], ""
        found = impacts.get(row["id"])
        if found is None:
            continue
        for slot in found.outcome(intervention_impact.SHARE.code).slots:
            if slot.estimate is None:
                row["no_effect_reason"] = row["no_effect_reason"] or reasons.get(slot.reason, "")
                continue
            estimate = slot.estimate
            verdict = "unclear" if estimate.covers_zero else "safer" if estimate.effect > 0 else "less_safe"
            row["effects"].append(
                {"slot": str(slot.label), "points": estimate.effect_points, "lower": estimate.lower_points,
                 "upper": estimate.upper_points, "verdict": verdict}
            )  # fmt: skip
    return rows


def _zone_page(code: str) -> dict:
    zone = get_object_or_404(Zone.objects.select_related("parent").defer("geom", "parent__geom").with_codes([code]))
    body = render_to_string("dashboards/_public_zone_body.html", {"zone": zone, **public_zone_summary(zone)})
    return {"title": zone.place_label, "body": body}


@require_safe
def public_zone(request: HttpRequest, code: str) -> HttpResponse:
    # The body is the same for every reader of a language: it is cached rendered, under the data version and
    # the public-content token, so a warm page costs no query and renders only the site's frame around it. An
    # unknown code raises 404 inside the build and caches nothing.
    page = cached_public("zone-page", (code,), lambda: _zone_page(code))
    ctx = {"title": page["title"], "body": mark_safe(page["body"])}  # noqa: S308 - our own template's output
    return render(request, "dashboards/public_zone.html", ctx)
