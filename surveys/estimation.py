"""Survey estimation: weights, design-based shares and small-area estimates, as pure functions.

Nothing here touches the database: the inputs are numpy arrays and pandas DataFrames, so the
same code runs in the weighting service, the simulation tests and the benchmark. The method is
docs/methodology.md, "Surveys"; its version is ``METHOD_VERSION``.

The steps, in the order a weighting run takes them:

1. ``design_weights``: inverse inclusion probability per stratum (N_h / n_h, stratified SRS).
2. ``nonresponse_adjusted``: within each stratum the respondents carry the weight of the sampled.
3. ``complete_profiles``: respondents who left sex or age band empty are split into fractions over
   the missing levels, in proportion to their zone's residents (fractional imputation): kept, never
   dropped, and never given a guessed profile of their own.
4. ``rake``: iterative proportional fitting (``svy``) to residents by zone, zone x sex, zone x age band
   and city-wide sex x age band, then trimming of extreme weights within zones; levels without
   respondents are collapsed into a neighbour first, and coarser margins are tried when raking
   cannot meet the finest.
5. ``domain_shares``: the weighted share feeling safe per domain (zone, zone x slot, city), with a
   linearisation variance that uses the raking residuals (Deville and Särndal 1992), a Student t
   95% interval, n and Kish's effective n.
6. ``fay_herriot``: the area-level EBLUP with its Prasad-Rao MSE, for zones with few respondents.
7. ``suppressed``: values under a minimum effective n are withheld ("too few answers").
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, sparse, stats
from scipy.sparse.linalg import splu

METHOD_VERSION = "s1.0"  # docs/methodology.md, "Surveys"; stored on every weighting run and estimate
Z_95 = stats.norm.ppf(0.975)
DEFAULT_TRIM_RATIO = 5.0  # a weight above 5 x the median weight is trimmed (the excess spread over the others)
RAKING_TOLERANCE = 1e-6  # largest relative misfit of any margin level accepted as converged
RAKING_MAX_ITERATIONS = 200

# Column names of the respondent and population frames.
ZONE, SEX, AGE, WEIGHT, POPULATION, SAFE, UNIT = "zone", "sex", "age_band", "weight", "population", "safe", "unit"


# --- 1-2. design weights and non-response ----------------------------------------------------------


def design_weights(stratum: np.ndarray, stratum_population: Mapping) -> np.ndarray:
    """N_h / n_h for each sampled unit: the inverse of its inclusion probability under stratified SRS."""
    stratum = np.asarray(stratum)
    levels, inverse, counts = np.unique(stratum, return_inverse=True, return_counts=True)
    sizes = np.array([float(stratum_population[level]) for level in levels])
    if (sizes < counts).any():
        raise ValueError("a stratum has more sampled units than its population")
    return (sizes / counts)[inverse]


def nonresponse_adjusted(weights: np.ndarray, stratum: np.ndarray, responded: np.ndarray) -> np.ndarray:
    """Weights after the non-response adjustment within strata (weighting-class method).

    Each respondent's weight is multiplied by (sum of the weights sampled in its stratum) / (sum of
    the respondents' weights there); non-respondents get 0. A stratum with no respondent keeps no
    weight: its population is then carried by raking alone (and flagged by the caller).
    """
    weights = np.asarray(weights, dtype=float)
    responded = np.asarray(responded, dtype=bool)
    _levels, code = np.unique(np.asarray(stratum), return_inverse=True)
    sampled = np.bincount(code, weights=weights)
    answered = np.bincount(code, weights=weights * responded)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(answered > 0, sampled / answered, 0.0)
    return np.where(responded, weights * factor[code], 0.0)


# --- 3. respondents with sex or age band empty -----------------------------------------------------


def complete_profiles(respondents: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """One row per (respondent, profile) with a ``fraction``; complete profiles have one row of fraction 1.

    A respondent without sex, age band or both is split over the missing levels in proportion to
    the residents of their zone with the levels they did give (fractional imputation, Kim and Fuller
    2004): someone who gave "F" but no age in zone Z counts as F in every age band, each fraction
    being that band's share of Z's women. Their answers count once in total (fractions sum to 1),
    and the variance treats the fractions as one unit (column ``unit``). A zone without residents on
    record for the levels given leaves the respondent out of raking: the caller reports them.
    """
    rows = respondents.reset_index(drop=True).copy()
    rows[UNIT] = np.arange(len(rows))
    missing = rows[SEX].isna() | rows[AGE].isna()
    complete = rows[~missing].assign(fraction=1.0)
    if not missing.any():
        return complete
    partial = rows[missing].drop(columns=[SEX, AGE]).assign(_sex=rows[SEX], _age=rows[AGE])
    cells = population[[ZONE, SEX, AGE, POPULATION]]
    candidates = partial.merge(cells, on=ZONE, how="inner")
    keep = (candidates["_sex"].isna() | (candidates["_sex"] == candidates[SEX])) & (
        candidates["_age"].isna() | (candidates["_age"] == candidates[AGE])
    )
    candidates = candidates[keep & (candidates[POPULATION] > 0)]
    totals = candidates.groupby(UNIT)[POPULATION].transform("sum")
    candidates = candidates.assign(fraction=candidates[POPULATION] / totals).drop(columns=["_sex", "_age", POPULATION])
    return pd.concat([complete, candidates[complete.columns]], ignore_index=True)


# --- 4. raking ------------------------------------------------------------------------------------


@dataclass
class RakingResult:
    """Final weights per input row (``weights``), per respondent unit (``unit_weights``, by unit number; 0 for
    a unit left out of raking), and diagnostics over the weighted units."""

    weights: np.ndarray
    unit_weights: np.ndarray
    unit_raked_weights: np.ndarray  # before trimming
    converged: bool
    raking_error: float  # largest relative misfit of a margin level after raking (before trimming)
    max_margin_error: float  # the same after trimming
    trimmed: int
    design_effect: float
    effective_n: float
    weight_min: float
    weight_max: float
    zones_without_respondents: list = field(default_factory=list)
    collapsed_levels: int = 0
    margins: str = ""  # the scheme raking met (SCHEMES)
    aux: sparse.csr_matrix | None = None  # the margins' one-hot columns per row, for ``domain_shares``

    def diagnostics(self) -> dict:
        """The run's figures as JSON-ready values (a figure that is not finite becomes None)."""
        figures = {
            "converged": self.converged,
            "raking_error": self.raking_error,
            "max_margin_error": self.max_margin_error,
            "trimmed": self.trimmed,
            "design_effect": self.design_effect,
            "effective_n": self.effective_n,
            "weight_min": self.weight_min,
            "weight_max": self.weight_max,
            "weight_ratio": self.weight_max / self.weight_min if self.weight_min > 0 else None,
            "zones_without_respondents": [str(z) for z in self.zones_without_respondents],
            "collapsed_levels": self.collapsed_levels,
            "margins": self.margins,
        }
        return {k: None if isinstance(v, float) and not np.isfinite(v) else v for k, v in figures.items()}


def kish_design_effect(weights: np.ndarray) -> float:
    """Kish's design effect of unequal weights, n sum(w^2) / (sum w)^2 (1 when all weights are equal)."""
    w = np.asarray(weights, dtype=float)
    return float(len(w) * (w**2).sum() / w.sum() ** 2) if len(w) and w.sum() > 0 else float("nan")


def effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum(w^2)."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum()) if (w**2).sum() > 0 else 0.0


def _nearest_present(present: np.ndarray) -> np.ndarray:
    """For each row of a (groups x levels) presence matrix, the nearest present level of each level.

    Ties go to the lower level; a group with no level present maps every level to itself.
    """
    levels = present.shape[1]
    order = np.arange(levels)
    distance = np.abs(order[:, None] - order[None, :]) + order[None, :] * 1e-3  # (level, candidate)
    cost = distance[None, :, :] + np.where(present[:, None, :], 0.0, np.inf)
    nearest = np.argmin(cost, axis=2)
    return np.where(present.any(axis=1)[:, None], nearest, order[None, :])


MARGINS = ("m_zone", "m_zone_sex", "m_zone_age", "m_sex_age")
# The margins raked to, finest first: when raking cannot meet one scheme's margins (a sparse zone whose
# respondents leave some combination empty), the next, coarser one is tried; the run records which held.
SCHEMES = (
    ("zone, zone x sex, zone x age band, sex x age band", "bands"),
    ("zone, zone x sex, zone x broad age group, sex x age band", "broad"),
    ("zone, zone x sex, sex x age band", None),
)


def _age_groups(ages: int, kind: str | None) -> np.ndarray | None:
    """Age band -> group of the zone x age margin: the bands themselves, three broad groups, or none."""
    if kind is None:
        return None
    if kind == "bands" or ages <= 3:
        return np.arange(ages)
    groups = np.zeros(ages, dtype=np.int64)
    for number, part in enumerate(np.array_split(np.arange(ages), 3)):
        groups[part] = number
    return groups


def _margin_codes(zone, sex, age, sample: tuple, sizes: tuple, groups: np.ndarray | None) -> dict:
    """Integer raking keys of each margin, with the levels that have no respondent collapsed.

    ``sample`` holds the (zone, sex, age) codes of the respondents who gave their full profile: a level
    counts as answered only through them. zone x age group: a group with no respondent in the zone
    joins the nearest group that has some; zone x sex: a zone where one sex did not answer rakes its
    sex margin as one level; sex x age band (city): collapsed like zone x age within each sex.
    """
    zones, sexes, ages = sizes
    sample_zone, sample_sex, sample_age = sample
    zone_sex = np.zeros((zones, sexes), dtype=bool)
    zone_sex[sample_zone, sample_sex] = True
    sex_age = np.zeros((sexes, ages), dtype=bool)
    sex_age[sample_sex, sample_age] = True
    both = zone_sex.all(axis=1)
    keys = {
        "m_zone": zone,
        "m_zone_sex": zone * (sexes + 1) + np.where(both[zone], sex, sexes),
        "m_sex_age": sex * ages + _nearest_present(sex_age)[sex, age],
    }
    if groups is not None:
        count = int(groups.max()) + 1
        zone_age = np.zeros((zones, count), dtype=bool)
        zone_age[sample_zone, groups[sample_age]] = True
        keys["m_zone_age"] = zone * count + _nearest_present(zone_age)[zone, groups[age]]
    return keys


def _aux_matrix(keyed: dict) -> sparse.csr_matrix:
    """One-hot columns of every raking margin level (the calibration's auxiliary variables)."""
    blocks = []
    for margin in keyed:
        codes, levels = pd.factorize(keyed[margin])
        rows = np.arange(len(codes))
        blocks.append(sparse.csr_matrix((np.ones(len(codes)), (rows, codes)), (len(codes), len(levels))))
    return sparse.hstack(blocks, format="csr")


def _rake_and_trim(start: np.ndarray, keyed: dict, controls: dict, trim_ratio: float | None):
    """(raked, trimmed) weights per row: svy's raking, then trimming within zones."""
    import polars as pl
    import svy

    frame = pl.DataFrame({"row": np.arange(len(start)), "w": start, **keyed})
    sample = svy.Sample(frame, svy.Design(wgt="w"))
    svy_log = logging.getLogger("svy")
    level = svy_log.level
    svy_log.setLevel(logging.WARNING)  # svy reports non-convergence at INFO; the caller records it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raked = sample.weighting.rake(
                controls=controls, wgt_name="raked", tol=RAKING_TOLERANCE, max_iter=RAKING_MAX_ITERATIONS,
                on_nonconvergence="ignore",
            )  # fmt: skip
    finally:
        svy_log.setLevel(level)
    raked_weights = raked.data.sort("row")["raked"].to_numpy()
    if not trim_ratio:
        return raked_weights, raked_weights
    return raked_weights, trim_within_zones(raked_weights, keyed["m_zone"], trim_ratio)


def trim_within_zones(weights: np.ndarray, zone: np.ndarray, ratio: float, max_iterations: int = 50) -> np.ndarray:
    """Cap weights at ``ratio`` x their median and spread the excess over the uncapped weights of the same zone.

    Repeated until no weight is over the cap (spreading can push others over it); zone totals hold,
    except in a zone where every weight is at the cap. Vectorised over zones (svy's trimming by
    domain runs one domain at a time, minutes at the large scale).
    """
    w = np.asarray(weights, dtype=float).copy()
    cap = ratio * float(np.median(w[w > 0]))
    zones = int(zone.max()) + 1
    for _ in range(max_iterations):
        over = w > cap * (1 + 1e-12)
        if not over.any():
            break
        excess = np.bincount(zone, weights=np.where(over, w - cap, 0.0), minlength=zones)
        w[over] = cap
        free = np.bincount(zone, weights=np.where(w < cap, w, 0.0), minlength=zones)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(free > 0, 1 + excess / free, 1.0)
        w = np.where(w < cap, w * factor[zone], w)
    return w


def _misfit(weights: np.ndarray, keyed: dict, controls: dict) -> float:
    """The largest relative gap |achieved - target| / target over every margin level."""
    worst = 0.0
    for m, targets in controls.items():
        levels = np.array(list(targets))
        achieved = np.bincount(np.searchsorted(levels, keyed[m]), weights=weights, minlength=len(levels))
        worst = max(worst, float(np.max(np.abs(achieved / np.array(list(targets.values())) - 1))))
    return worst


def rake(
    rows: pd.DataFrame,
    population: pd.DataFrame,
    *,
    sexes: Sequence,
    age_order: Sequence,
    trim_ratio: float | None = DEFAULT_TRIM_RATIO,
) -> RakingResult:
    """Rake ``rows`` (zone, sex, age_band, weight, fraction, unit) to ``population`` (zone, sex, age_band, population).

    The result holds the weights per row and per unit, the diagnostics and the margins' auxiliary
    matrix (for ``domain_shares``' calibration residuals).
    Zones with residents but no respondent are left out of the margins (and listed): raking cannot
    invent answers there, the small-area model can. The finest scheme of ``SCHEMES`` that raking can
    meet is kept. Trimming then caps weights at ``trim_ratio`` x the median within each zone.
    """
    rows = rows.reset_index(drop=True)
    answered = set(rows[ZONE])
    missing_zones = sorted(set(population.loc[population[POPULATION] > 0, ZONE]) - answered, key=str)
    residents = population[population[ZONE].isin(answered) & (population[POPULATION] > 0)]
    zone_levels = pd.Index(sorted(answered, key=str))
    codes = {}
    for name, frame in (("rows", rows), ("cells", residents)):
        codes[name] = (
            zone_levels.get_indexer(frame[ZONE]),
            pd.Categorical(frame[SEX], categories=list(sexes)).codes.astype(np.int64),
            pd.Categorical(frame[AGE], categories=list(age_order)).codes.astype(np.int64),
        )
        if (np.column_stack(codes[name]) < 0).any():
            raise ValueError(f"{name}: a sex or age band outside {list(sexes)} / {list(age_order)}")
    sizes = (len(zone_levels), len(sexes), len(age_order))
    whole = (rows["fraction"] == 1).to_numpy()
    answered_codes = tuple(c[whole] for c in codes["rows"])
    start = (rows[WEIGHT] * rows["fraction"]).to_numpy(float)
    population_counts = residents[POPULATION].to_numpy(float)
    for scheme, (label, kind) in enumerate(SCHEMES):  # noqa: B007 (the scheme that held is kept after it)
        groups = _age_groups(len(age_order), kind)
        keyed = _margin_codes(*codes["rows"], answered_codes, sizes, groups)
        cell_keys = _margin_codes(*codes["cells"], answered_codes, sizes, groups)
        controls = {}
        for m in keyed:
            levels, inverse = np.unique(cell_keys[m], return_inverse=True)
            totals = np.bincount(inverse, weights=population_counts)
            controls[m] = dict(zip(levels.tolist(), totals.tolist(), strict=True))
            unknown = set(np.unique(keyed[m]).tolist()) - set(controls[m])
            if unknown:
                raise ValueError(f"respondents in cells without residents on record ({m}): {sorted(unknown)[:5]}")
        raked_weights, weights = _rake_and_trim(start, keyed, controls, trim_ratio)
        raking_error = _misfit(raked_weights, keyed, controls)
        if raking_error <= RAKING_TOLERANCE * 10 or scheme == len(SCHEMES) - 1:
            break
    max_error = _misfit(weights, keyed, controls)
    plain = _margin_codes(*codes["cells"], tuple(codes["cells"]), sizes, groups)
    collapsed = int(sum((plain[m] != cell_keys[m]).sum() for m in keyed))
    units = int(rows[UNIT].max()) + 1 if len(rows) else 0
    unit_weights = np.bincount(rows[UNIT].to_numpy(), weights=weights, minlength=units)
    unit_raked = np.bincount(rows[UNIT].to_numpy(), weights=raked_weights, minlength=units)
    positive = unit_weights[unit_weights > 0]
    result = RakingResult(
        weights=weights,
        unit_weights=unit_weights,
        unit_raked_weights=unit_raked,
        converged=raking_error <= RAKING_TOLERANCE * 10,
        raking_error=raking_error,
        max_margin_error=max_error,
        trimmed=int((weights < raked_weights * (1 - 1e-9)).sum()),
        design_effect=kish_design_effect(positive),
        effective_n=effective_n(positive),
        weight_min=float(positive.min()),
        weight_max=float(positive.max()),
        zones_without_respondents=missing_zones,
        collapsed_levels=collapsed,
        margins=label,
        aux=_aux_matrix(keyed),
    )
    return result


# --- 5. design-based shares -----------------------------------------------------------------------


@dataclass
class Shares:
    """Per domain: weighted share, its linearisation variance and 95% interval, n and effective n."""

    value: np.ndarray
    variance: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: np.ndarray
    effective_n: np.ndarray


def domain_shares(
    y: np.ndarray,
    weights: np.ndarray,
    *,
    domain: np.ndarray,
    domains: int,
    stratum: np.ndarray,
    unit: np.ndarray | None = None,
    aux: sparse.spmatrix | None = None,
) -> Shares:
    """Weighted share of ``y`` (1 feels safe, 0 not, NaN not asked) in each domain code 0..domains-1.

    ``domain`` < 0 leaves a row out of every domain. Variance: Taylor linearisation of the ratio
    sum(w y) / sum(w), with the residuals of the linearised values on the raking auxiliaries ``aux``
    (the calibration's variance, Deville and Särndal 1992; without ``aux``, weights are taken as
    fixed), stratified by ``stratum`` with the with-replacement approximation. Rows of one unit
    (fractional profiles) are summed before the variance. Interval: Student t with (respondents in
    the domain - 1) degrees of freedom, clipped to [0, 1].
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(weights, dtype=float)
    domain = np.asarray(domain)
    asked = ~np.isnan(y) & (domain >= 0) & (w > 0)
    y0 = np.where(asked, y, 0.0)
    code = np.where(asked, domain, 0)
    total = np.bincount(code, weights=w * asked, minlength=domains)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.bincount(code, weights=w * y0 * asked, minlength=domains) / total
    rows = np.flatnonzero(asked)
    u = sparse.csr_matrix(
        ((y0[rows] - share[code[rows]]) / total[code[rows]], (rows, code[rows])), shape=(len(y), domains)
    )
    unit = np.arange(len(y)) if unit is None else np.asarray(unit)
    units, unit_code = np.unique(unit, return_inverse=True)
    _strata, unit_stratum = np.unique(
        pd.Series(np.asarray(stratum)).groupby(unit_code).first().to_numpy(), return_inverse=True
    )
    if aux is not None:
        xw = aux.T.multiply(w).tocsr()
        gram = (xw @ aux).tocsc()
        gram = gram + sparse.identity(gram.shape[0], format="csc") * (1e-10 * gram.diagonal().max())
        solve = splu(gram).solve
    to_units = sparse.csr_matrix((np.ones(len(y)), (unit_code, np.arange(len(y)))), shape=(len(units), len(y)))
    in_stratum = sparse.csr_matrix((np.ones(len(units)), (unit_stratum, np.arange(len(units)))))
    stratum_n = np.asarray(in_stratum.sum(axis=1)).ravel()
    variance = np.zeros(domains)
    for first in range(0, domains, 64):  # blocks of domains keep the dense residuals small
        block = u[:, first : first + 64].toarray()
        if aux is not None:
            block = block - aux @ solve(xw @ block)
        z = to_units @ (w[:, None] * block)
        sums, squares = in_stratum @ z, in_stratum @ (z**2)
        n_h = stratum_n[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            # A stratum of one unit contributes its square (centred at zero): conservative.
            per_stratum = np.where(n_h > 1, n_h / (n_h - 1) * (squares - sums**2 / n_h), squares)
        variance[first : first + 64] = per_stratum.sum(axis=0)
    unit_weight = to_units @ (w * asked)
    unit_domain = np.full(len(units), -1)
    unit_domain[unit_code[rows]] = code[rows]
    inside = unit_domain >= 0
    n = np.bincount(unit_domain[inside], minlength=domains)
    squares = np.bincount(unit_domain[inside], weights=unit_weight[inside] ** 2, minlength=domains)
    sums = np.bincount(unit_domain[inside], weights=unit_weight[inside], minlength=domains)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(squares > 0, sums**2 / squares, 0.0)
    quantile = stats.t.ppf(0.975, np.maximum(n - 1, 1))
    half = quantile * np.sqrt(variance)
    share = np.where(n > 0, share, np.nan)
    return Shares(
        value=share,
        variance=np.where(n > 0, variance, np.nan),
        lower=np.clip(share - half, 0, 1),
        upper=np.clip(share + half, 0, 1),
        n=n,
        effective_n=n_eff,
    )


# --- 6. small areas: Fay-Herriot ------------------------------------------------------------------


@dataclass
class FayHerriot:
    """EBLUP per area, its MSE (Prasad-Rao, REML), the shrinkage gamma, and the fitted model."""

    estimate: np.ndarray
    mse: np.ndarray
    gamma: np.ndarray
    synthetic: np.ndarray
    sigma2_u: float
    beta: np.ndarray
    iterations: int


def _reml_sigma2(direct, psi, x, *, max_iterations: int = 100, tolerance: float = 1e-8) -> tuple[float, int]:
    """REML estimate of the between-area variance by Fisher scoring (Rao and Molina 2015, 6.2.1), >= 0."""
    sigma2 = max(float(np.var(direct) - np.mean(psi)), 0.0) or 1e-4 * max(float(np.var(direct)), 1e-6)
    for iteration in range(1, max_iterations + 1):
        v_inv = 1.0 / (sigma2 + psi)
        xv = x * v_inv[:, None]
        proj = np.diag(v_inv) - xv @ linalg.solve(x.T @ xv, xv.T, assume_a="pos")
        score = -0.5 * np.trace(proj) + 0.5 * direct @ proj @ proj @ direct
        information = 0.5 * np.sum(proj * proj.T)
        step = score / information
        new = max(sigma2 + step, 0.0)
        if abs(new - sigma2) < tolerance * max(sigma2, 1e-12) or (new == 0.0 and sigma2 == 0.0):
            return new, iteration
        sigma2 = new
    return sigma2, max_iterations


def fay_herriot(direct: np.ndarray, psi: np.ndarray, covariates: np.ndarray, *, predict: np.ndarray | None = None):
    """Area-level EBLUP (Fay and Herriot 1979): direct_d = x_d'beta + u_d + e_d, e_d ~ N(0, psi_d) known.

    ``direct`` and ``psi`` (its sampling variance) are for the areas with a direct estimate;
    ``covariates`` (areas x p, without the intercept, which is added) likewise. ``predict`` holds the
    covariates of areas without a direct estimate: they get the synthetic x'beta with MSE
    sigma2_u + g2, appended after the sampled areas. The MSE of sampled areas is Prasad and Rao's
    g1 + g2 + 2 g3 with the REML variance of sigma2_u (Datta and Lahiri 2000).
    """
    direct = np.asarray(direct, dtype=float)
    psi = np.asarray(psi, dtype=float)
    x = np.column_stack([np.ones(len(direct)), np.asarray(covariates, dtype=float).reshape(len(direct), -1)])
    sigma2, iterations = _reml_sigma2(direct, psi, x)
    v_inv = 1.0 / (sigma2 + psi)
    xv = x * v_inv[:, None]
    cov_beta = linalg.inv(x.T @ xv)
    beta = cov_beta @ (xv.T @ direct)
    synthetic = x @ beta
    gamma = sigma2 / (sigma2 + psi)
    estimate = gamma * direct + (1 - gamma) * synthetic
    var_sigma2 = 2.0 / np.sum(v_inv**2)
    g1 = gamma * psi
    g2 = (1 - gamma) ** 2 * np.einsum("ij,jk,ik->i", x, cov_beta, x)
    g3 = psi**2 * v_inv**3 * var_sigma2
    mse = g1 + g2 + 2 * g3
    if predict is not None and len(predict):
        x_new = np.column_stack([np.ones(len(predict)), np.asarray(predict, dtype=float).reshape(len(predict), -1)])
        synthetic_new = x_new @ beta
        estimate = np.concatenate([estimate, synthetic_new])
        synthetic = np.concatenate([synthetic, synthetic_new])
        mse = np.concatenate([mse, sigma2 + np.einsum("ij,jk,ik->i", x_new, cov_beta, x_new) + var_sigma2])
        gamma = np.concatenate([gamma, np.zeros(len(predict))])
    return FayHerriot(estimate, mse, gamma, synthetic, sigma2, beta, iterations)


def smoothed_sampling_variance(share: float, design_effect: np.ndarray, n: np.ndarray) -> np.ndarray:
    """psi_d = P(1 - P) deff_d / n_d with P the city share: a generalised variance function.

    A zone's own variance estimate is itself noisy with few respondents (0 when all answered alike,
    which would make the EBLUP trust it completely); the model is fed this smoothed one instead.
    """
    return share * (1 - share) * np.asarray(design_effect, dtype=float) / np.maximum(np.asarray(n, dtype=float), 1)


def standardise(columns: np.ndarray) -> np.ndarray:
    """Centre and scale covariates (a constant column becomes 0, and so drops out of the model)."""
    columns = np.asarray(columns, dtype=float)
    spread = columns.std(axis=0)
    return (columns - columns.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


# --- 7. suppression -------------------------------------------------------------------------------


def suppressed(effective_sizes: np.ndarray, minimum: float) -> np.ndarray:
    """True where an estimate rests on fewer than ``minimum`` effective answers ("too few answers")."""
    return ~(np.nan_to_num(np.asarray(effective_sizes, dtype=float)) >= minimum)
