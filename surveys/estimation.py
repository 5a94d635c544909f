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
   and city-wide sex x age band, then trimming of extreme weights within zones (against each zone's
   median); margin levels with fewer than ``min_cell_size`` respondents are merged with an adjacent
   level first (``_collapse_plan``, recorded), and coarser margins are tried when raking cannot meet
   the finest.
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

METHOD_VERSION = "s1.1"  # docs/methodology.md, "Surveys"; stored on every weighting run and estimate
Z_95 = stats.norm.ppf(0.975)
DEFAULT_TRIM_RATIO = 5.0  # a weight above 5 x the median weight is trimmed (the excess spread over the others)
RAKING_TOLERANCE = 1e-6  # largest relative misfit of any margin level accepted as converged
RAKING_MAX_ITERATIONS = 1000  # merged blocks can slow IPF down: 200 sweeps were too few at the large scale
# A raking margin level (a zone's age band, a zone's sex, a city-wide sex x age band) with fewer respondents
# is merged with its neighbour before raking (docs/methodology.md, "Small cells"); settings.SURVEYS_MIN_CELL_SIZE.
DEFAULT_MIN_CELL_SIZE = 20


class WeightingImpossible(ValueError):
    """Raking cannot be done with these answers and margins, whatever is collapsed; the message says why."""


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
    collapsed_levels: int = 0  # levels merged into another (sum over blocks of their size - 1)
    collapsed: list = field(default_factory=list)  # each merged block: margin, zone, levels, respondents
    min_cell_size: float = 0.0
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
            "collapsed": self.collapsed,
            "min_cell_size": self.min_cell_size,
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


def _merge_adjacent(respondents: np.ndarray, residents: np.ndarray, minimum: float) -> np.ndarray:
    """For each row of (groups x ordered levels) counts, the first level of the block each level joins.

    The rule (docs/methodology.md, "Small cells"): while a block has fewer than ``minimum`` respondents
    or no residents, the smallest such block (fewest respondents; ties to the lower level) is merged
    with the adjacent block that has fewer respondents (ties to the lower, i.e. younger, one), until
    every block is large enough or one block is left. Only adjacent levels merge, so age bands stay
    contiguous (25-44, never 25-34 with 65-74).
    """
    groups, levels = respondents.shape
    out = np.tile(np.arange(levels), (groups, 1))
    for g in range(groups):
        blocks = [[level] for level in range(levels)]
        answered = respondents[g]
        living = residents[g]
        while len(blocks) > 1:
            small = [i for i, b in enumerate(blocks) if answered[b].sum() < minimum or living[b].sum() <= 0]
            if not small:
                break
            i = min(small, key=lambda i: (answered[blocks[i]].sum(), i))
            j = min((k for k in (i - 1, i + 1) if 0 <= k < len(blocks)), key=lambda k: (answered[blocks[k]].sum(), k))
            low, high = sorted((i, j))
            blocks[low] = blocks[low] + blocks[high]
            del blocks[high]
        for block in blocks:
            out[g, block] = block[0]
    return out


@dataclass
class _Plan:
    """Which levels of each margin are raked together (``_collapse_plan``) and the record of it."""

    zone_age: np.ndarray | None  # (zones x age groups) -> first group of its block
    zone_sex_kept: np.ndarray  # per zone: True when both sexes are raked apart
    sex_age: np.ndarray  # (sexes x ages) -> first band of its block
    sexes_merged: bool  # the city-wide margin is by age band only (a sex too small city-wide)
    collapsed: list


def _collapse_plan(sample: tuple, cells: tuple, counts: np.ndarray, sizes: tuple, groups, minimum: float) -> _Plan:
    """Merge the levels of each margin that have fewer than ``minimum`` respondents (or no residents).

    ``sample``: (zone, sex, age) codes of the respondents who gave their full profile (only they count
    as present in a cell); ``cells``: the codes of the population cells with ``counts`` residents.
    zone x age group: adjacent groups merge within the zone; zone x sex: a zone where either sex is
    too small rakes its sex margin as one level; city sex x age band: adjacent bands merge within each
    sex, and the two sexes are raked together when one is too small city-wide.
    """
    zones, sexes, _ages = sizes
    answered = np.zeros(sizes)
    np.add.at(answered, sample, 1.0)
    residents = np.zeros(sizes)
    np.add.at(residents, cells, counts)
    collapsed: list = []
    zone_age = None
    if groups is not None:
        count = int(groups.max()) + 1
        by_group = lambda a: np.stack([a[:, :, groups == k].sum(axis=(1, 2)) for k in range(count)], axis=1)  # noqa: E731
        zone_age = _merge_adjacent(by_group(answered), by_group(residents), minimum)
        for z in range(zones):
            for first in np.unique(zone_age[z]):
                members = np.flatnonzero(zone_age[z] == first)
                if len(members) > 1:
                    collapsed.append({"margin": "zone x age", "zone": z, "levels": members.tolist(),
                                      "respondents": int(by_group(answered)[z, members].sum())})  # fmt: skip
    per_sex = answered.sum(axis=2)  # zones x sexes
    zone_sex_kept = (per_sex >= minimum).all(axis=1) & (residents.sum(axis=2) > 0).all(axis=1)
    for z in np.flatnonzero(~zone_sex_kept):
        collapsed.append({"margin": "zone x sex", "zone": int(z), "levels": list(range(sexes)),
                          "respondents": int(per_sex[z].sum())})  # fmt: skip
    city = answered.sum(axis=0)  # sexes x ages
    city_residents = residents.sum(axis=0)
    sexes_merged = bool((city.sum(axis=1) < minimum).any() or (city_residents.sum(axis=1) <= 0).any())
    if sexes_merged:
        merged = _merge_adjacent(city.sum(axis=0)[None, :], city_residents.sum(axis=0)[None, :], minimum)[0]
        sex_age = np.tile(merged, (sexes, 1))
        collapsed.append({"margin": "sex", "zone": None, "levels": list(range(sexes)), "respondents": int(city.sum())})
    else:
        sex_age = _merge_adjacent(city, city_residents, minimum)
    for s in range(1 if sexes_merged else sexes):
        answered_here = city.sum(axis=0) if sexes_merged else city[s]
        for first in np.unique(sex_age[s]):
            members = np.flatnonzero(sex_age[s] == first)
            if len(members) > 1:
                entry = {"margin": "sex x age band", "zone": None, "sex": None if sexes_merged else s}
                entry.update(levels=members.tolist(), respondents=int(answered_here[members].sum()))
                collapsed.append(entry)
    return _Plan(zone_age, zone_sex_kept, sex_age, sexes_merged, collapsed)


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


def _margin_codes(zone, sex, age, plan: _Plan, sizes: tuple, groups: np.ndarray | None) -> dict:
    """Integer raking keys of each margin for rows with these (zone, sex, age) codes, levels merged by ``plan``."""
    _zones, sexes, ages = sizes
    keys = {
        "m_zone": zone,
        "m_zone_sex": zone * (sexes + 1) + np.where(plan.zone_sex_kept[zone], sex, sexes),
        "m_sex_age": (0 if plan.sexes_merged else sex) * ages + plan.sex_age[sex, age],
    }
    if groups is not None:
        count = int(groups.max()) + 1
        keys["m_zone_age"] = zone * count + plan.zone_age[zone, groups[age]]
    return keys


def _level_label(entry: dict, level: int, sexes: Sequence, age_order: Sequence, groups) -> str:
    """A collapsed level in words: a sex code, an age band, or a broad group's first-last band."""
    if entry["margin"] in ("zone x sex", "sex"):
        return str(sexes[level])
    if entry["margin"] == "zone x age" and groups is not None and len(set(groups.tolist())) < len(age_order):
        bands = [str(age_order[a]) for a in np.flatnonzero(groups == level)]
        return bands[0] if len(bands) == 1 else f"{bands[0]}..{bands[-1]}"
    return str(age_order[level])


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
    """Cap weights at ``ratio`` x the median weight of their zone and spread the excess over the uncapped
    weights of the same zone.

    The zone is the stratum: its median is the design's own weight there (N_h / n_h differs between
    zones by design, and a city-wide median would cap every answer of a large zone and lose its total).
    Repeated until no weight is over its cap (spreading can push others over it); zone totals hold.
    Vectorised over zones (svy's trimming by domain runs one domain at a time, minutes at the large scale).
    """
    w = np.asarray(weights, dtype=float).copy()
    zone = np.asarray(zone)
    zones = int(zone.max()) + 1
    positive = w > 0
    medians = pd.Series(w[positive]).groupby(zone[positive]).median()
    cap_by_zone = np.full(zones, np.inf)
    cap_by_zone[medians.index.to_numpy(int)] = ratio * medians.to_numpy(float)
    cap = cap_by_zone[zone]
    for _ in range(max_iterations):
        over = w > cap * (1 + 1e-12)
        if not over.any():
            break
        excess = np.bincount(zone, weights=np.where(over, w - cap, 0.0), minlength=zones)
        w[over] = cap[over]
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
    min_cell_size: float = DEFAULT_MIN_CELL_SIZE,
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
    empty_zones = sorted(set(range(sizes[0])) - set(codes["cells"][0].tolist()))
    if empty_zones:
        names = ", ".join(str(zone_levels[z]) for z in empty_zones[:5])
        raise WeightingImpossible(
            f"respondents in zones without residents on record ({names}): import those zones' residents "
            "(manage.py import_population) before weighting"
        )
    whole = (rows["fraction"] == 1).to_numpy()
    answered_codes = tuple(c[whole] for c in codes["rows"])
    start = (rows[WEIGHT] * rows["fraction"]).to_numpy(float)
    population_counts = residents[POPULATION].to_numpy(float)
    for scheme, (label, kind) in enumerate(SCHEMES):  # noqa: B007 (the scheme that held is kept after it)
        groups = _age_groups(len(age_order), kind)
        plan = _collapse_plan(answered_codes, codes["cells"], population_counts, sizes, groups, min_cell_size)
        keyed = _margin_codes(*codes["rows"], plan, sizes, groups)
        cell_keys = _margin_codes(*codes["cells"], plan, sizes, groups)
        controls = {}
        for m in keyed:
            levels, inverse = np.unique(cell_keys[m], return_inverse=True)
            totals = np.bincount(inverse, weights=population_counts)
            controls[m] = dict(zip(levels.tolist(), totals.tolist(), strict=True))
            unknown = set(np.unique(keyed[m]).tolist()) - set(controls[m])
            if unknown:  # cannot happen after the collapse (a block without residents is merged); kept as a guard
                raise WeightingImpossible(
                    f"respondents in cells without residents on record ({m}): {sorted(unknown)[:5]}"
                )
        raked_weights, weights = _rake_and_trim(start, keyed, controls, trim_ratio)
        raking_error = _misfit(raked_weights, keyed, controls)
        if raking_error <= RAKING_TOLERANCE * 10 or scheme == len(SCHEMES) - 1:
            break
    max_error = _misfit(weights, keyed, controls)
    collapsed = [
        {**entry, "zone": None if entry["zone"] is None else str(zone_levels[entry["zone"]]),
         "levels": [_level_label(entry, level, sexes, age_order, groups) for level in entry["levels"]],
         **({"sex": str(sexes[entry["sex"]])} if entry.get("sex") is not None else {})}
        for entry in plan.collapsed
    ]  # fmt: skip
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
        collapsed_levels=sum(len(c["levels"]) - 1 for c in collapsed),
        collapsed=collapsed,
        min_cell_size=min_cell_size,
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
