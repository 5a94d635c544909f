"""The statistics of the indicator method that SQL cannot do well, over already-aggregated rows.

Pure functions on numbers and numpy arrays (no database): Wilson intervals, Marshall's (1991)
global empirical Bayes rates with gamma-posterior intervals, normalisation and the composite
Perceived Safety Index, its confidence grade and sensitivity analysis, and the tests behind alerts.
docs/methodology.md explains each of them; the tests check them against hand-computed cases.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .registry import COMPONENT_NAMES, COMPONENTS, DEFAULT_WEIGHTS, Component

__all__ = ["COMPONENTS", "COMPONENT_NAMES", "DEFAULT_WEIGHTS", "Component"]  # re-exported: the registry's

Z_95 = 1.959963984540054


# --- proportions -----------------------------------------------------------------------------------


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float] | tuple[None, None]:
    """Wilson score interval for a proportion; (None, None) when n is zero."""
    if n <= 0:
        return None, None
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


_WILSON_SQL = """
    ((({k})::float/({n}) + {z2}/(2*({n}))
      {sign} {z}*sqrt(({k})::float/({n})*(1-({k})::float/({n}))/({n}) + {z2}/(4*({n})^2)))
     / (1 + {z2}/({n})))
"""


def wilson_sql(k: str, n: str, sign: str) -> str:
    """The Wilson bound (sign '-' lower, '+' upper) as SQL over SQL expressions k and n (n > 0)."""
    return _WILSON_SQL.format(k=k, n=n, z=Z_95, z2=Z_95**2, sign=sign)


def t_quantiles_sql(max_df: int = 200) -> str:
    """SQL array of the 97.5% Student t quantiles for 1..max_df degrees of freedom (normal beyond)."""
    values = stats.t.ppf(0.975, np.arange(1, max_df + 1))
    return "ARRAY[" + ",".join(f"{v:.6f}" for v in values) + "]::float8[]"


# --- empirical Bayes rates (Marshall 1991, global method) ----------------------------------------


@dataclass(frozen=True)
class EBResult:
    m: float  # pooled rate sum(x) / sum(p)
    s2: float  # between-area variance of the true rates, clipped at 0
    shrinkage: np.ndarray  # C_i = s2 / (s2 + m / p_i)
    smoothed: np.ndarray  # m + C_i (r_i - m)
    lower: np.ndarray
    upper: np.ndarray


def eb_marshall(x: Sequence[float], p: Sequence[float], level: float = 0.95) -> EBResult:
    """Marshall's global empirical Bayes estimate of area rates r_i = x_i / p_i.

    m = Σx/Σp; s² = Σp_i(r_i - m)²/Σp - m/p̄ (p̄ the mean of p), clipped to 0 when negative;
    C_i = s²/(s² + m/p_i); smoothed_i = m + C_i (r_i - m). The interval is the posterior of the
    gamma-Poisson model with the same moments (prior Gamma(m²/s², m/s²), posterior
    Gamma(m²/s² + x_i, m/s² + p_i)), whose mean is exactly the smoothed rate; with s² = 0 every
    area's rate is m, and so are its bounds.
    """
    x = np.asarray(x, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(x) == 0 or p.sum() <= 0:
        empty = np.full(len(x), np.nan)
        return EBResult(float("nan"), float("nan"), empty, empty, empty, empty)
    r = x / p
    m = x.sum() / p.sum()
    s2 = float((p * (r - m) ** 2).sum() / p.sum() - m / p.mean())
    s2 = max(s2, 0.0)
    if s2 == 0.0 or m == 0.0:
        shrinkage = np.zeros(len(x))
        smoothed = np.full(len(x), m)
        return EBResult(m, s2, shrinkage, smoothed, smoothed.copy(), smoothed.copy())
    shrinkage = s2 / (s2 + m / p)
    smoothed = m + shrinkage * (r - m)
    shape, rate = m * m / s2 + x, m / s2 + p
    tail = (1 - level) / 2
    lower = stats.gamma.ppf(tail, shape, scale=1 / rate)
    upper = stats.gamma.ppf(1 - tail, shape, scale=1 / rate)
    return EBResult(m, s2, shrinkage, smoothed, lower, upper)


def eb_marshall_grouped(x, p, groups, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``eb_marshall`` for many groups at once (groups: integer codes 0..G-1); (smoothed, lower, upper).

    The same formulas, vectorised over groups; rows with p <= 0 get NaN.
    """
    x = np.asarray(x, dtype=float)
    p = np.asarray(p, dtype=float)
    g = np.asarray(groups, dtype=np.int64)
    usable = np.isfinite(p) & (p > 0)
    size = int(g.max()) + 1 if len(g) else 0
    xs, ps, gs = x[usable], p[usable], g[usable]
    sum_x = np.bincount(gs, xs, minlength=size)
    sum_p = np.bincount(gs, ps, minlength=size)
    count = np.bincount(gs, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = sum_x / sum_p
        r = xs / ps
        s2 = np.bincount(gs, ps * (r - m[gs]) ** 2, minlength=size) / sum_p - m / (sum_p / count)
    s2 = np.where(np.isfinite(s2), np.maximum(s2, 0.0), np.nan)
    mg, s2g = m[gs], s2[gs]
    informative = (s2g > 0) & (mg > 0)
    shrinkage = np.where(informative, s2g / np.where(informative, s2g + mg / ps, 1.0), 0.0)
    smoothed = mg + shrinkage * (r - mg)
    lower, upper = smoothed.copy(), smoothed.copy()
    if informative.any():
        i = informative
        shape = mg[i] ** 2 / s2g[i] + xs[i]
        rate = mg[i] / s2g[i] + ps[i]
        tail = (1 - level) / 2
        lower[i] = stats.gamma.ppf(tail, shape, scale=1 / rate)
        upper[i] = stats.gamma.ppf(1 - tail, shape, scale=1 / rate)
    out = [np.full(len(x), np.nan) for _ in range(3)]
    for array, values in zip(out, (smoothed, lower, upper), strict=True):
        array[usable] = values
    return out[0], out[1], out[2]


# --- composite index -------------------------------------------------------------------------------


# The components, their directions, goalposts and default weights are declared in the registry.


def parse_weights(spec: str | Mapping[str, float] | None) -> dict[str, float]:
    """Weights from a mapping or ``name=weight,...``; unnamed components keep their default weight."""
    weights = dict(DEFAULT_WEIGHTS)
    if not spec:
        return weights
    items = spec.items() if isinstance(spec, Mapping) else (part.split("=", 1) for part in spec.split(",") if part)
    for name, value in items:
        name = name.strip()
        if name not in weights:
            raise ValueError(f"unknown PSI component {name!r}; choose from {', '.join(COMPONENT_NAMES)}")
        weight = float(value)
        if weight < 0 or not math.isfinite(weight):
            raise ValueError(f"PSI weight of {name} must be a non-negative number")
        weights[name] = weight
    if sum(weights.values()) <= 0:
        raise ValueError("at least one PSI weight must be positive")
    return weights


def normalise(values: np.ndarray, component: Component, low: float | None = None, high: float | None = None):
    """Scores 0-100 (100 = safest) by min-max between goalposts; NaN stays NaN (missing, not zero).

    Bounded components use their natural goalposts; the others the given ``low``/``high`` (the
    minimum and maximum over the zones of the group). A group where every zone has the same value
    scores 50: the component does not tell those zones apart.
    """
    values = np.asarray(values, dtype=float)
    if component.bounds is not None:
        low, high = component.bounds
    if low is None or high is None or not np.isfinite(low) or not np.isfinite(high):
        return np.full(values.shape, np.nan)
    if high - low <= 0:
        scores = np.where(np.isnan(values), np.nan, 50.0)
    else:
        scores = 100.0 * np.clip((values - low) / (high - low), 0.0, 1.0)
    return scores if component.higher_is_safer else 100.0 - scores


def group_min_max(values: np.ndarray, groups: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-group minimum and maximum ignoring NaN (NaN for a group with no value)."""
    low = np.full(size, np.inf)
    high = np.full(size, -np.inf)
    ok = ~np.isnan(values)
    np.minimum.at(low, groups[ok], values[ok])
    np.maximum.at(high, groups[ok], values[ok])
    return np.where(np.isfinite(low), low, np.nan), np.where(np.isfinite(high), high, np.nan)


def normalise_grouped(values: np.ndarray, component: Component, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``normalise`` with per-row goalposts (low/high already indexed by each row's group)."""
    values = np.asarray(values, dtype=float)
    if component.bounds is not None:
        low = np.full(values.shape, component.bounds[0])
        high = np.full(values.shape, component.bounds[1])
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = 100.0 * np.clip((values - low) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    scores = np.where(span > 0, scaled, 50.0)
    scores = np.where(np.isnan(values) | np.isnan(span), np.nan, scores)
    return scores if component.higher_is_safer else 100.0 - scores


def composite(
    scores: np.ndarray, weights: Sequence[float], total: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean of the components present (NaN = missing), and the coverage (share of weight present).

    ``scores`` is zones x components (0-100); a zone with no component present gets NaN, never zero.
    ``total`` is the weight of the whole index (default: the sum of ``weights``; less when two
    components stand in for each other and only one can be present), coverage is capped at 1.
    """
    scores = np.asarray(scores, dtype=float)
    w = np.asarray(weights, dtype=float)
    present = ~np.isnan(scores) & (w > 0)
    weight_present = (present * w).sum(axis=1)
    total = w.sum() if total is None else total
    with np.errstate(invalid="ignore", divide="ignore"):
        psi = np.where(present, np.nan_to_num(scores) * w, 0.0).sum(axis=1) / weight_present
    psi = np.where(weight_present > 0, psi, np.nan)
    return psi, np.minimum(weight_present / total, 1.0) if total > 0 else weight_present * 0.0


GRADES = (("A", 30, 0.75), ("B", 10, 0.5), ("C", 3, 0.0))


def confidence_grade(n: int, coverage: float) -> str:
    """A: n ≥ 30 and coverage ≥ 0.75; B: n ≥ 10 and coverage ≥ 0.5; C: n ≥ 3; D otherwise (do not rank)."""
    for grade, min_n, min_coverage in GRADES:
        if n >= min_n and coverage >= min_coverage:
            return grade
    return "D"


# --- sensitivity -----------------------------------------------------------------------------------


def _ranks(values: np.ndarray) -> np.ndarray:
    return stats.rankdata(values, method="average")


def sensitivity(
    scores: np.ndarray,
    weights: Mapping[str, float],
    *,
    names: Sequence[str] = COMPONENT_NAMES,
    draws: int = 200,
    spread: float = 0.5,
    seed: int = 20_260_101,
) -> dict:
    """How much zone ranks move when the weights change (OECD/JRC Handbook, step 7).

    Scenarios: each weight multiplied by an independent U(1 - spread, 1 + spread) factor (``draws``
    times, fixed seed), and each positively weighted component dropped in turn. For each: mean and
    largest absolute rank change against the baseline ranking, and Spearman's rank correlation.
    Zones whose baseline index is missing are left out.
    """
    scores = np.asarray(scores, dtype=float)
    w = np.array([weights.get(name, 0.0) for name in names], dtype=float)
    baseline, _coverage = composite(scores, w)
    keep = ~np.isnan(baseline)
    scores, baseline = scores[keep], baseline[keep]
    result: dict = {"zones": int(keep.sum()), "weights": dict(zip(names, w.tolist(), strict=True)), "scenarios": []}
    if len(baseline) < 3:
        return result
    base_ranks = _ranks(baseline)

    def compare(label: str, psi: np.ndarray) -> dict:
        psi = np.where(np.isnan(psi), baseline, psi)  # a zone left with no component keeps its place
        ranks = _ranks(psi)
        shift = np.abs(ranks - base_ranks)
        rho = stats.spearmanr(baseline, psi).statistic
        return {
            "scenario": label,
            "mean_abs_rank_change": float(shift.mean()),
            "max_abs_rank_change": float(shift.max()),
            "spearman": float(rho) if np.isfinite(rho) else 1.0,
        }

    rng = np.random.default_rng(seed)
    perturbed = [compare("perturbed", composite(scores, w * rng.uniform(1 - spread, 1 + spread, len(w)))[0])
                 for _ in range(draws)]  # fmt: skip
    result["scenarios"].append(
        {
            "scenario": f"weights x U({1 - spread:g}, {1 + spread:g}), {draws} draws",
            "mean_abs_rank_change": float(np.mean([p["mean_abs_rank_change"] for p in perturbed])),
            "max_abs_rank_change": float(np.max([p["max_abs_rank_change"] for p in perturbed])),
            "spearman": float(np.mean([p["spearman"] for p in perturbed])),
        }
    )
    for i, name in enumerate(names):
        if w[i] <= 0:
            continue
        dropped = w.copy()
        dropped[i] = 0.0
        if dropped.sum() <= 0:
            continue
        result["scenarios"].append(compare(f"without {name}", composite(scores, dropped)[0]))
    return result


# --- tests behind alerts ---------------------------------------------------------------------------


def two_proportion_drop_test(k1, n1, k0, n0) -> tuple[np.ndarray, np.ndarray]:
    """One-sided pooled two-proportion z-test of H1: p1 < p0 (current below baseline); (z, p-value)."""
    k1, n1, k0, n0 = (np.asarray(a, dtype=float) for a in (k1, n1, k0, n0))
    pooled = (k1 + k0) / (n1 + n0)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, (k1 / n1 - k0 / n0) / se, 0.0)
    return z, stats.norm.cdf(z)


def rate_increase_test(x1, t1, x0, t0) -> np.ndarray:
    """One-sided exact conditional test of H1: rate1 > rate0 for Poisson counts over exposures t1, t0.

    Given x1 + x0, x1 is Binomial(x1 + x0, t1 / (t1 + t0)) under H0; the p-value is P(X ≥ x1).
    """
    x1, t1, x0, t0 = (np.asarray(a, dtype=float) for a in (x1, t1, x0, t0))
    total = x1 + x0
    return np.where(total > 0, stats.binom.sf(x1 - 1, total, t1 / (t1 + t0)), 1.0)


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = stats.false_discovery_control(p[ok], method="bh")
    return q
