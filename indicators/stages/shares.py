"""Stage 2, shares and audits: the share feeling safe (Wilson interval) and the audit scores per cell."""

from __future__ import annotations

from .. import registry
from .. import statistics as st
from ..statistics import Z_95
from .base import (
    AUDIT_PARAMETERS,
    AUDIT_SCORE,
    COLUMNS,
    METHOD_VERSION,
    SHARE_FEELING_SAFE,
    audit_metric,
    delete_cells_without,
    upsert,
)


@registry.computes(registry.STAGE_SHARES_AND_AUDITS, "shares and audits")
def write_shares_and_audits(cursor, *, full: bool, target: str) -> None:
    """Share feeling safe (reports + audits, Wilson interval) and audit means (t interval)."""
    share_source = f"""
        SELECT coalesce(r.zone_id, a.zone_id) AS zone_id, coalesce(r.period_kind, a.period_kind) AS period_kind,
               coalesce(r.period_start, a.period_start) AS period_start, coalesce(r.slot, a.slot) AS slot,
               '{SHARE_FEELING_SAFE}'::text AS metric,
               coalesce(r.n, 0) + coalesce(a.n, 0) AS n, coalesce(r.k, 0) + coalesce(a.k, 0) AS k
        FROM _cell_reports r FULL JOIN _cell_audits a
          ON a.zone_id = r.zone_id AND a.period_kind = r.period_kind AND a.period_start = r.period_start
         AND a.slot = r.slot
    """
    delete_cells_without(cursor, [SHARE_FEELING_SAFE], share_source, full=full)
    cursor.execute(
        f"""
        INSERT INTO {target} {COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, metric, %s, k::float / n, k, n,
               greatest(0, {st.wilson_sql("k", "n", "-")}), least(1, {st.wilson_sql("k", "n", "+")}),
               NULL, NULL, '', NULL, '', now()
        FROM ({share_source}) s
        ORDER BY zone_id, period_kind, period_start, slot
        {upsert(full)}
        """,
        [METHOD_VERSION],
    )
    names = ("score", *AUDIT_PARAMETERS)
    metrics = [AUDIT_SCORE if n == "score" else audit_metric(n) for n in names]
    values = ", ".join(f"('{m}', s_{n}, ss_{n})" for m, n in zip(metrics, names, strict=True))
    audit_source = f"""
        SELECT a.zone_id, a.period_kind, a.period_start, a.slot, v.metric, a.n, v.s, v.ss
        FROM _cell_audits a CROSS JOIN LATERAL (VALUES {values}) AS v(metric, s, ss)
    """
    delete_cells_without(cursor, metrics, audit_source, full=full)
    # Mean with a Student t interval, clipped to the 0-3 scale; one audit says nothing about the spread.
    cursor.execute(
        f"""
        INSERT INTO {target} {COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, metric, %s, mean, s, n,
               CASE WHEN n > 1 THEN greatest(0, mean - half) ELSE 0 END,
               CASE WHEN n > 1 THEN least(3, mean + half) ELSE 3 END,
               NULL, NULL, '', NULL, '', now()
        FROM (
            SELECT *, s / n AS mean,
                   CASE WHEN n > 1 THEN coalesce(({st.t_quantiles_sql()})[n - 1], {Z_95})
                        * sqrt(greatest(ss - s * s / n, 0) / (n - 1)) / sqrt(n) END AS half
            FROM ({audit_source}) x
        ) y
        ORDER BY zone_id, period_kind, period_start, slot, metric
        {upsert(full)}
        """,
        [METHOD_VERSION],
    )
