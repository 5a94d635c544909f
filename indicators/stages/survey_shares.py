"""Stage 2b, survey shares: the representative share feeling safe per cell, from the stored survey estimates.

A survey is fieldwork over some weeks, not a nightly stream: its estimate stands for a zone from the
night its campaign opened until a later campaign replaces it, for at most a year after fieldwork
closed (``SURVEY_VALID_DAYS``). For each touched cell and night slot the stage takes the latest such
estimate of a campaign that is not self-selected (probability samples and imports), in ISTAT's
reading ("never goes out alone after dark" counts as not feeling safe), the small-area EBLUP first,
else the weighted direct one, never a suppressed value; the slot's own estimate where the
questionnaire asks about slots, else the whole night's. The day slot gets none: the item asks about
after dark. ``unit`` keeps which estimator it was (``small_area`` or ``weighted``).
"""

from __future__ import annotations

from city import nightslots
from surveys.estimation import METHOD_VERSION as SURVEY_METHOD_VERSION
from surveys.models import Campaign, NeverOutReading, SurveyEstimate

from .. import registry
from ..registry import SURVEY_SHARE
from .base import COLUMNS, LIVE_TABLE, METHOD_VERSION, upsert

SURVEY_VALID_DAYS = 365
SURVEY_METHODS = [SurveyEstimate.Method.SMALL_AREA.value, SurveyEstimate.Method.WEIGHTED.value]  # preferred first


@registry.computes(registry.STAGE_SURVEY_SHARES, "survey shares")
def write_survey_shares(cursor, *, full: bool, target: str) -> None:
    """Upsert the survey share of every touched cell x night slot that has a representative estimate."""
    night_slots = [s for s in nightslots.slot_codes() if s != nightslots.baseline_slot()]
    source = f"""
        SELECT c.zone_id, c.period_kind, c.period_start, s.slot, '{SURVEY_SHARE}'::text AS metric,
               e.value, e.lower, e.upper, e.n, e.method
        FROM _cells c CROSS JOIN unnest(%(slots)s::text[]) AS s(slot)
        CROSS JOIN LATERAL (
            SELECT e.value, e.lower, e.upper, e.n, e.method
            FROM {SurveyEstimate._meta.db_table} e JOIN {Campaign._meta.db_table} k ON k.id = e.campaign_id
            WHERE e.zone_id = c.zone_id AND e.period_kind = %(campaign)s AND e.reading = %(reading)s
              AND e.method = ANY(%(methods)s) AND NOT e.suppressed AND NOT e.self_selected
              AND e.method_version = %(survey_version)s AND e.slot IN (s.slot, '')
              AND (k.opens_at AT TIME ZONE %(tz)s)::date <= c.period_end
              AND (coalesce(k.closes_at, e.computed_at) AT TIME ZONE %(tz)s)::date + %(valid)s >= c.period_start
            ORDER BY k.opens_at DESC, e.slot = s.slot DESC, array_position(%(methods)s, e.method::text), e.id
            LIMIT 1
        ) e
    """
    params = {
        "slots": night_slots,
        "campaign": SurveyEstimate.PeriodKind.CAMPAIGN.value,
        "reading": NeverOutReading.NOT_SAFE.value,
        "methods": SURVEY_METHODS,
        "survey_version": SURVEY_METHOD_VERSION,
        "tz": str(nightslots.city_timezone()),
        "valid": SURVEY_VALID_DAYS,
        "version": METHOD_VERSION,
    }
    if not full:
        cursor.execute(
            f"""
            DELETE FROM {LIVE_TABLE} i USING _cells c
            WHERE i.zone_id = c.zone_id AND i.period_kind = c.period_kind AND i.period_start = c.period_start
              AND i.method_version = %(version)s AND i.metric = '{SURVEY_SHARE}'
              AND NOT EXISTS (SELECT 1 FROM ({source}) s WHERE s.zone_id = i.zone_id
                              AND s.period_kind = i.period_kind AND s.period_start = i.period_start
                              AND s.slot = i.slot)
            """,
            params,
        )
    cursor.execute(
        f"""
        INSERT INTO {target} {COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, metric, %(version)s, value, NULL, n, lower, upper,
               NULL, NULL, method, NULL, '', now()
        FROM ({source}) s
        ORDER BY zone_id, period_kind, period_start, slot
        {upsert(full)}
        """,
        params,
    )
