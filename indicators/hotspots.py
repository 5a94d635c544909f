"""Hot spots of the Perceived Safety Index: Getis-Ord Gi* and local Moran's I over zone contiguity.

Weights come from one PostGIS query of touching or overlapping zone pairs (queen contiguity), turned
into a libpysal ``W``; the statistics are esda's, with conditional permutation inference under a
fixed seed (same data, same p-values) and Benjamini-Hochberg q-values over the zones of a run.
Results are keyed by (zone, slot, period, method version), so re-running replaces them.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from city import nightslots

from . import engine, registry
from . import statistics as st

HOTSPOT_SEED = 20_260_101
MIN_ZONES = 5


def contiguity_pairs() -> list[tuple[int, int]]:
    """(zone, zone) pairs that share a border or a corner, or overlap; each pair once, lower id first."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, b.id FROM observatory_zone a
            JOIN observatory_zone b ON a.id < b.id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)
            ORDER BY a.id, b.id
            """
        )
        return cursor.fetchall()


def contiguity_weights(zone_ids: list[int], pairs: list[tuple[int, int]]):
    """A libpysal W over ``zone_ids`` (in that order, ids as keys) from the pairs among them."""
    from libpysal.weights import W

    present = set(zone_ids)
    neighbours: dict[int, list[int]] = {z: [] for z in zone_ids}
    for a, b in pairs:
        if a in present and b in present:
            neighbours[a].append(b)
            neighbours[b].append(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands are reported by the caller, not as warnings
        return W(neighbours, id_order=list(zone_ids), silence_warnings=True)


def _latest_window() -> dt.date:
    return engine.anchor_night() - dt.timedelta(days=registry.ROLLING_NIGHTS - 1)


def local_statistics(values: np.ndarray, w, *, permutations: int, seed: int = HOTSPOT_SEED) -> dict[str, np.ndarray]:
    """Gi* (binary weights, self included) and local Moran's I (row-standardised) with permutation p-values."""
    import esda

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gi = esda.G_Local(values, w, transform="B", star=True, permutations=permutations, seed=seed, n_jobs=1)
        moran = esda.Moran_Local(values, w, transformation="r", permutations=permutations, seed=seed, n_jobs=1)
    return {
        "gi_z": np.asarray(gi.Zs, dtype=float),
        "gi_p": np.asarray(gi.p_sim, dtype=float),
        "moran_i": np.asarray(moran.Is, dtype=float),
        "moran_p": np.asarray(moran.p_sim, dtype=float),
        "moran_quadrant": np.asarray(moran.q, dtype=int),
    }


QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def compute_hotspots(
    *,
    period_kind: str = "rolling28",
    period_start: dt.date | None = None,
    slots: list[str] | None = None,
    permutations: int | None = None,
) -> int:
    """Hot spots of the index for each slot of one period (default: the latest rolling 28 nights); rows written."""
    period_start = period_start or _latest_window()
    permutations = permutations or settings.OBSERVATORY_HOTSPOT_PERMUTATIONS
    fdr = settings.OBSERVATORY_ALERT_FDR
    pairs = contiguity_pairs()
    rows: list[tuple] = []
    for slot in slots or nightslots.slot_codes():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT zone_id, value FROM observatory_indicator
                WHERE metric = %s AND method_version = %s AND period_kind = %s AND period_start = %s AND slot = %s
                  AND value IS NOT NULL
                ORDER BY zone_id
                """,
                [registry.PSI, registry.METHOD_VERSION, period_kind, period_start, slot],
            )
            found = cursor.fetchall()
        if len(found) < MIN_ZONES:
            continue
        zone_ids = [z for z, _v in found]
        values = np.array([v for _z, v in found], dtype=float)
        w = contiguity_weights(zone_ids, pairs)
        cardinality = np.array([w.cardinalities[z] for z in zone_ids])
        connected = cardinality > 0
        result = dict.fromkeys(("gi_z", "gi_p", "moran_i", "moran_p"), np.full(len(zone_ids), np.nan))
        quadrant = np.zeros(len(zone_ids), dtype=int)
        if connected.sum() >= MIN_ZONES:
            sub_ids = [z for z, c in zip(zone_ids, connected, strict=True) if c]
            local = local_statistics(values[connected], contiguity_weights(sub_ids, pairs), permutations=permutations)
            for key in ("gi_z", "gi_p", "moran_i", "moran_p"):
                full = np.full(len(zone_ids), np.nan)
                full[connected] = local[key]
                result[key] = full
            quadrant[connected] = local["moran_quadrant"]
        gi_q = st.benjamini_hochberg(result["gi_p"])
        moran_q = st.benjamini_hochberg(result["moran_p"])
        for i, zone in enumerate(zone_ids):
            significant = np.isfinite(gi_q[i]) and gi_q[i] <= fdr
            cluster = "none"
            if significant:
                cluster = "unsafe" if result["gi_z"][i] < 0 else "safe"
            rows.append(
                (zone, slot, period_kind, period_start, registry.METHOD_VERSION, float(values[i]),
                 *(_num(result[k][i]) for k in ("gi_z", "gi_p")), _num(gi_q[i]),
                 *(_num(result[k][i]) for k in ("moran_i", "moran_p")), _num(moran_q[i]),
                 QUADRANTS.get(int(quadrant[i]), ""), cluster, int(cardinality[i]))
            )  # fmt: skip
    _store(rows, period_kind=period_kind, period_start=period_start)
    return len(rows)


def _num(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 12)


def _store(rows: list[tuple], *, period_kind: str, period_start: dt.date) -> None:
    columns = (
        "zone_id, slot, period_kind, period_start, method_version, value, gi_z, gi_p, gi_q, moran_i, moran_p,"
        " moran_q, moran_quadrant, cluster, neighbours"
    )
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else repr(v) if isinstance(v, float) else str(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('observatory.hotspots'))")
        cursor.execute("DROP TABLE IF EXISTS _hotspots")
        cursor.execute(
            f"CREATE TEMP TABLE _hotspots ON COMMIT DROP AS SELECT {columns} FROM observatory_hotspot WITH NO DATA"
        )
        cursor.copy_expert(f"COPY _hotspots ({columns}) FROM STDIN", buffer)
        cursor.execute(
            f"""
            DELETE FROM observatory_hotspot WHERE method_version <> %s;
            DELETE FROM observatory_hotspot h WHERE h.period_kind = %s AND h.period_start = %s
              AND NOT EXISTS (SELECT 1 FROM _hotspots t WHERE t.zone_id = h.zone_id AND t.slot = h.slot);
            INSERT INTO observatory_hotspot ({columns}, computed_at)
            SELECT {columns}, now() FROM _hotspots ORDER BY zone_id, slot
            ON CONFLICT (zone_id, slot, period_kind, period_start, method_version) DO UPDATE SET
                value = EXCLUDED.value, gi_z = EXCLUDED.gi_z, gi_p = EXCLUDED.gi_p, gi_q = EXCLUDED.gi_q,
                moran_i = EXCLUDED.moran_i, moran_p = EXCLUDED.moran_p, moran_q = EXCLUDED.moran_q,
                moran_quadrant = EXCLUDED.moran_quadrant, cluster = EXCLUDED.cluster,
                neighbours = EXCLUDED.neighbours, computed_at = EXCLUDED.computed_at;
            DROP TABLE _hotspots;
            """,
            [registry.METHOD_VERSION, period_kind, period_start],
        )
