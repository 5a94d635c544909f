"""Stage 6, the composite: the Perceived Safety Index per zone of each group, with coverage and grade."""

from __future__ import annotations

import numpy as np

from .. import registry
from .. import statistics as st
from .base import (
    COLUMNS,
    METHOD_VERSION,
    PSI,
    SHARE_FEELING_SAFE,
    copy_in_arrays,
    copy_out_arrays,
    delete_groups_without,
    psi_weights,
    upsert,
)


def _grades(n: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """``statistics.confidence_grade`` over arrays, as the grade's position in GRADE_LETTERS."""
    conditions = [(n >= min_n) & (coverage >= min_coverage) for _grade, min_n, min_coverage in st.GRADES]
    return np.select(conditions, list(range(len(st.GRADES))), default=len(st.GRADES))


GRADE_LETTERS = "".join(grade for grade, _n, _c in st.GRADES) + "D"
# Which share feeling safe an index row rests on (its ``unit``): the reporters' or the weighted survey's.
SHARE_USED_REPORTERS = "reporters"
SHARE_USED_SURVEY = "survey"


def compose_index(cursor, *, full: bool, target: str) -> None:
    """The Perceived Safety Index per zone of each affected (period, slot) group, with coverage and grade."""
    components = st.COMPONENTS
    weights = psi_weights()
    w = np.array([weights[c.name] for c in components])
    metrics = [c.metric for c in components]
    share = metrics.index(SHARE_FEELING_SAFE)
    # Cells (group, zone) and groups as integer codes, numbered in one sort.
    cursor.execute(
        f"""
        CREATE TEMP TABLE _psi_input ON COMMIT DROP AS
        SELECT dense_rank() OVER (ORDER BY i.period_kind COLLATE "C", i.period_start, i.slot COLLATE "C", i.zone_id)
                   - 1 AS cell,
               dense_rank() OVER (ORDER BY i.period_kind COLLATE "C", i.period_start, i.slot COLLATE "C") - 1 AS grp,
               i.zone_id, i.period_kind, i.period_start, i.slot, array_position(%s::text[], i.metric::text) - 1 AS j,
               i.value, coalesce(i.lower, i.value) AS lower, coalesce(i.upper, i.value) AS upper, i.n
        FROM {target} i
        JOIN _groups g ON g.period_kind = i.period_kind AND g.period_start = i.period_start AND g.slot = i.slot
        WHERE i.metric = ANY(%s) AND i.method_version = %s AND i.value IS NOT NULL
        """,
        [metrics, metrics, METHOD_VERSION],
    )
    cell, group, component, n_row, value, lower, upper = copy_out_arrays(
        cursor, "SELECT cell, grp, j::int8, n::int8, value, lower, upper FROM _psi_input", "iiiifff"
    )
    cursor.execute(
        """
        CREATE TEMP TABLE _psi_values (cell bigint, value float8, lower float8, upper float8, n bigint,
                                       coverage float8, grade bigint, share_used bigint) ON COMMIT DROP
        """
    )
    if len(cell):
        cells, groups = int(cell.max()) + 1, int(group.max()) + 1
        cell_group = np.zeros(cells, dtype=np.int64)
        cell_group[cell] = group
        shape = (cells, len(components))
        matrices = {name: np.full(shape, np.nan) for name in ("value", "lower", "upper")}
        matrices["value"][cell, component] = value
        matrices["lower"][cell, component] = lower
        matrices["upper"][cell, component] = upper
        n = np.zeros(cells, dtype=np.int64)
        n[cell[component == share]] = n_row[component == share]
        # A component that stands in for another (the survey's share for the reporters') masks it where
        # present, and the index's n is then its n. ``used`` says which share entered (0 none, 1 reporters,
        # 2 survey), stored in the index row's ``unit``.
        used = np.where(np.isnan(matrices["value"][:, share]), 0, 1)
        for j, comp in enumerate(components):
            if comp.replaces:
                replaced = metrics.index(registry.BY_NAME[comp.replaces].metric)
                present = ~np.isnan(matrices["value"][:, j])
                for matrix in matrices.values():
                    matrix[present, replaced] = np.nan
                n[cell[component == j]] = n_row[component == j]
                if replaced == share:
                    used = np.where(present, 2, used)
        scores, pessimistic, optimistic = (np.full(shape, np.nan) for _ in range(3))
        for j, comp in enumerate(components):
            low, high = st.group_min_max(matrices["value"][:, j], cell_group, groups)
            low, high = low[cell_group], high[cell_group]
            scores[:, j] = st.normalise_grouped(matrices["value"][:, j], comp, low, high)
            a = st.normalise_grouped(matrices["lower"][:, j], comp, low, high)
            b = st.normalise_grouped(matrices["upper"][:, j], comp, low, high)
            pessimistic[:, j], optimistic[:, j] = np.fmin(a, b), np.fmax(a, b)
        total = sum(weights[c.name] for c in components if not c.replaces)
        psi, coverage = st.composite(scores, w, total)
        psi_low, _c = st.composite(pessimistic, w, total)
        psi_high, _c = st.composite(optimistic, w, total)
        kept = np.flatnonzero(~np.isnan(psi))
        coverage = np.round(coverage[kept], 10)
        copy_in_arrays(
            cursor,
            "_psi_values",
            ["cell", "value", "lower", "upper", "n", "coverage", "grade", "share_used"],
            [kept, np.round(psi[kept], 10), np.round(psi_low[kept], 10), np.round(psi_high[kept], 10), n[kept],
             coverage, _grades(n[kept], coverage), used[kept]],
            "ifffifii",
        )  # fmt: skip
    cursor.execute(
        """
        CREATE TEMP TABLE _psi ON COMMIT DROP AS
            SELECT k.zone_id, k.period_kind, k.period_start, k.slot, v.value, v.lower, v.upper, v.n::int AS n,
                   v.coverage, substr(%s, v.grade::int + 1, 1) AS grade,
                   (ARRAY['', %s, %s])[v.share_used::int + 1] AS share_used
            FROM _psi_values v
            JOIN (SELECT DISTINCT ON (cell) cell, zone_id, period_kind, period_start, slot FROM _psi_input) k
              USING (cell)
        """,
        [GRADE_LETTERS, SHARE_USED_REPORTERS, SHARE_USED_SURVEY],
    )
    delete_groups_without(cursor, PSI, "_psi", full=full)
    cursor.execute(
        f"""
        INSERT INTO {target} {COLUMNS}
        SELECT zone_id, period_kind, period_start, slot, %s, %s, value, NULL, n, lower, upper,
               NULL, NULL, share_used, coverage, grade, now()
        FROM _psi ORDER BY zone_id, period_kind, period_start, slot
        {upsert(full)}
        """,
        [PSI, METHOD_VERSION],
    )
