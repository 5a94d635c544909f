"""What the monthly intersectoral brief says, for a scope (the city, one zone, or a district's zones) and a month.

``brief_build`` gathers every section with a bounded number of queries (set-based reads through the
indicators' read API, the interventions' estimator, the grants' and the cases' selectors); the page,
the PDF and the ``brief`` command all render what it returns.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils.translation import gettext as _

from cases import selectors as cases
from city import nightslots
from city.models import Department, Zone
from grants.models import Disbursement, Project
from indicators import registry
from indicators import selectors as indicators
from indicators import statistics as st
from interventions import impact
from interventions import selectors as interventions
from surveys import labels as sources
from surveys import representative
from surveys.models import NationalReference

TREND_MONTHS = 6  # the month and the five before it
AFTER_DARK = impact.AFTER_DARK
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


class BriefError(ValueError):
    """A brief that cannot be built as asked (bad month, unknown zone): the message is for the reader."""


@dataclass(frozen=True)
class Scope:
    label: str
    zone_ids: list[int] | None  # None: the whole city
    code: str = ""


def month_parse(text: str) -> dt.date:
    """'2026-11' -> 1 November 2026; anything else is refused with a message in the active language."""
    match = MONTH_PATTERN.match((text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
        raise BriefError(_("Give the month as YYYY-MM, for instance 2026-11."))
    return dt.date(int(match[1]), int(match[2]), 1)


def month_last(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def months_back(first: dt.date, count: int) -> dt.date:
    year, month = divmod(first.year * 12 + first.month - 1 - count, 12)
    return dt.date(year, month + 1, 1)


def district_councils():
    return Department.objects.active().filter(kind=Department.Kind.DISTRICT_COUNCIL).order_by("code")


def scope_resolve(*, zone_code: str = "", council_code: str = "") -> Scope:
    """The city (no code), one zone (for a zone with zones inside it, a district: those zones), or the zones
    a district council covers."""
    zone_code, council_code = (zone_code or "").strip(), (council_code or "").strip()
    if zone_code and council_code:
        raise BriefError(_("Choose a zone or a district council, not both."))
    if council_code:
        council = district_councils().filter(code=council_code).first()
        if council is None:
            raise BriefError(_("There is no district council with the code %(code)s.") % {"code": council_code})
        zone_ids = list(council.zones.values_list("pk", flat=True))
        if not zone_ids:
            raise BriefError(_("The district council %(name)s covers no zone.") % {"name": council.name})
        return Scope(council.name, zone_ids, council.code)
    if not zone_code:
        return Scope(_("The whole city"), None)
    zone = Zone.objects.with_codes([zone_code]).first()
    if zone is None:
        raise BriefError(_("There is no zone with the code %(code)s.") % {"code": zone_code})
    children = list(zone.children.values_list("pk", flat=True))
    return Scope(f"{zone.name} ({zone.code})", children or [zone.pk], zone.code)


# --- indicators ---------------------------------------------------------------------------------------


@dataclass
class MonthValue:
    month: dt.date
    value: float | None = None  # shares in percent, the index in points
    lower: float | None = None
    upper: float | None = None
    n: int = 0


@dataclass
class IndicatorLine:
    code: str
    label: str
    unit: str
    months: list[MonthValue] = field(default_factory=list)

    @property
    def current(self) -> MonthValue:
        return self.months[-1]

    @property
    def previous(self) -> MonthValue | None:
        return self.months[-2] if len(self.months) > 1 else None

    @property
    def change(self) -> float | None:
        prev = self.previous
        if prev is None or prev.value is None or self.current.value is None:
            return None
        return self.current.value - prev.value

    @property
    def trend(self) -> str:
        """'up', 'down' or 'flat' against the previous month: flat when the two intervals overlap."""
        prev, now = self.previous, self.current
        if prev is None or None in (prev.lower, prev.upper, now.lower, now.upper):
            return "unknown"
        if now.lower > prev.upper:
            return "up"
        if now.upper < prev.lower:
            return "down"
        return "flat"


def _share_lines(counts: list[tuple], months: list[dt.date]) -> list[IndicatorLine]:
    """Per slot (after dark pooled first), the share feeling safe of each month with its Wilson interval."""
    baseline = nightslots.baseline_slot()
    pooled: dict[tuple[dt.date, str], list[int]] = {}
    for month, slot, n, k in counts:
        for key in [(month, slot)] + ([(month, AFTER_DARK)] if slot != baseline else []):
            totals = pooled.setdefault(key, [0, 0])
            totals[0] += n
            totals[1] += k
    lines = []
    for code, label in impact.slot_choices():
        line = IndicatorLine(code, str(label), "%")
        for month in months:
            n, k = pooled.get((month, code), (0, 0))
            lower, upper = st.wilson_interval(k, n)
            line.months.append(MonthValue(month, 100 * k / n, 100 * lower, 100 * upper, n) if n else MonthValue(month))
        lines.append(line)
    return lines


def _index_lines(rows: list[tuple], months: list[dt.date]) -> list[IndicatorLine]:
    """Per slot, the mean monthly index of the scope's zones; its interval combines the zones' own
    (half-widths read as 1.96 standard errors, zones taken as independent)."""
    grouped: dict[tuple[dt.date, str], list[tuple]] = {}
    for month, slot, _zone, value, lower, upper, n in rows:
        grouped.setdefault((month, slot), []).append((value, lower, upper, n))
    lines = []
    for code, label in nightslots.slot_choices():
        line = IndicatorLine(code, str(label), _("points"))
        for month in months:
            values = grouped.get((month, code), [])
            if not values:
                line.months.append(MonthValue(month))
                continue
            mean = sum(v for v, *_rest in values) / len(values)
            ses = [((u - lo) / (2 * st.Z_95)) if lo is not None and u is not None else 0.0 for _v, lo, u, _n in values]
            half = st.Z_95 * math.sqrt(sum(se**2 for se in ses)) / len(values)
            line.months.append(MonthValue(month, mean, mean - half, mean + half, sum(n for *_r, n in values)))
        lines.append(line)
    return lines


# --- the brief ------------------------------------------------------------------------------------------


@dataclass
class Brief:
    scope: Scope
    month: dt.date
    last: dt.date
    months: list[dt.date]
    shares: list[IndicatorLine]
    index: list[IndicatorLine]
    alerts: list[dict]
    hotspots: list[dict]
    interventions: list[dict]
    projects: list[dict]
    cases: list[dict] | None = None  # per department, when the cases app answers
    satisfaction: list[dict] | None = None
    # The residents' representative share (weighted survey) and the national reference collected the same way:
    # the reporters' share above is never set against a national survey.
    survey: representative.RepresentativeShare | None = None
    reference: NationalReference | None = None
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def headline(self) -> IndicatorLine:
        return self.shares[0]

    @property
    def reference_source(self) -> str:
        """The national reference named by its survey, year and mode (surveys.labels)."""
        return sources.reference_source(self.reference) if self.reference else ""


def _alert_rows(scope: Scope, first: dt.date, last: dt.date) -> list[dict]:
    labels = dict(nightslots.slot_choices())
    return [
        {
            "zone": f"{a.zone.name} ({a.zone.code})",
            "slot": str(labels.get(a.slot, a.slot)),
            "metric": str(registry.METRIC_LABELS.get(a.metric, a.metric)),
            "window_end": a.window_end,
            "baseline": a.baseline,
            "current": a.current,
            "is_share": a.metric == registry.SHARE_FEELING_SAFE,
            "acknowledged": a.acknowledged_at is not None,
        }
        for a in indicators.alerts_between(zone_ids=scope.zone_ids, first=first, last=last)[:50]
    ]


def _hotspot_rows(scope: Scope, last: dt.date) -> list[dict]:
    labels = dict(nightslots.slot_choices())
    return [
        {
            "zone": f"{h.zone.name} ({h.zone.code})",
            "slot": str(labels.get(h.slot, h.slot)),
            "cluster": h.cluster,
            "cluster_label": h.get_cluster_display(),
            "index": h.value,
            "window_start": h.period_start,
        }
        for h in indicators.hotspots_as_of(zone_ids=scope.zone_ids, last=last)[:30]
    ]


def _headline_effects(measured) -> dict:
    """The after-dark estimates of one intervention (share in points, index in points), or the reason."""
    out = {}
    for outcome in measured.outcomes:
        row = outcome.slot(AFTER_DARK)
        out[outcome.outcome.code] = {"estimate": row.estimate, "reason": row.reason}
    return out


def _intervention_rows(scope: Scope, first: dt.date, last: dt.date) -> list[dict]:
    rows = [r for r in interventions.intervention_rows(zone_ids=scope.zone_ids, first=first, last=last)
            if not r["cancelled"]][:40]  # fmt: skip
    measured = impact.impacts_for_interventions([r["id"] for r in rows])
    for row in rows:
        effect = measured.get(row["id"])
        row["effects"] = _headline_effects(effect) if effect else {}
    return rows


def _project_rows(scope: Scope, first: dt.date, last: dt.date) -> list[dict]:
    projects = Project.objects.filter(start_on__lte=last, end_on__gte=first).exclude(status=Project.Status.WITHDRAWN)
    if scope.zone_ids is not None:
        projects = projects.filter(zones__in=scope.zone_ids).distinct()
    projects = list(projects.select_related("call").order_by("start_on", "id")[:40])
    paid = dict(
        Disbursement.objects.filter(project__in=projects, paid_on__lte=last)
        .values("project")
        .annotate(total=Sum("amount"))
        .values_list("project", "total")
    )
    return [
        {
            "title": p.title,
            "beneficiary": p.beneficiary,
            "status": p.get_status_display(),
            "granted": p.granted_amount,
            "disbursed": paid.get(p.pk) or 0,
            "start_on": p.start_on,
            "end_on": p.end_on,
            "url": p.get_absolute_url(),
        }
        for p in projects
    ]


def brief_build(*, month: dt.date, scope: Scope) -> Brief:
    """Everything the brief of ``month`` for ``scope`` says (in the active language)."""
    last = month_last(month)
    months = [months_back(month, back) for back in range(TREND_MONTHS - 1, -1, -1)]
    counts = indicators.monthly_share_counts(zone_ids=scope.zone_ids, first=months[0], last=last)
    index_rows = indicators.monthly_index_rows(zone_ids=scope.zone_ids, first=months[0], last=last)
    brief = Brief(
        scope=scope,
        month=month,
        last=last,
        months=months,
        shares=_share_lines(counts, months),
        index=_index_lines(index_rows, months),
        alerts=_alert_rows(scope, month, last),
        hotspots=_hotspot_rows(scope, last),
        interventions=_intervention_rows(scope, month, last),
        projects=_project_rows(scope, month, last),
        reasons=impact.reason_texts(),
        cases=cases.case_figures(zone_ids=scope.zone_ids, start=month, end=last),
        satisfaction=cases.satisfaction(zone_ids=scope.zone_ids, start=month, end=last),
    )
    if scope.zone_ids is None:
        brief.survey = representative.city_share()
    elif len(scope.zone_ids) == 1:
        brief.survey = representative.zone_share(scope.zone_ids[0])
    if brief.survey is not None and not brief.survey.suppressed:
        brief.reference = representative.reference_for(brief.survey.collection)
    return brief
