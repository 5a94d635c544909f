"""Did a place feel safer after the city acted there? Stacked difference-in-differences against matched zones.

One estimator for every intervention (a lamp repaired, patrols, a funded project: a funded project has
its intervention row), moved here from the grants so that both read the same numbers.

Plain functions: the estimators work on numpy arrays (tested on synthetic data with a known effect);
the loaders read two outcomes from the indicator table, estimated with the same design: the share
feeling safe (nightly ``share_feeling_safe`` rows, pooled over their ``n`` and ``numerator``) and
the Perceived Safety Index (weekly ``psi`` rows, averaged over the full weeks of each window), and
the interventions' zones. The method, its choices and its caveats are in docs/methodology.md
("Impact of funded projects and interventions"); in short:

* each intervention is its own experiment (a "stack", Cengiz et al. 2019): a pre window of
  ``window_nights`` nights before its start and a post window of as many nights from its start;
* treated zones are the intervention's zones; clean controls are zones no intervention treats by the end
  of the post window (never treated, or not yet treated), so a control is never an earlier-treated zone
  and staggered starts do not contaminate each other as in a naive two-way fixed-effects regression;
* every treated zone is matched to its ``k`` nearest clean controls (with replacement) on the
  standardised baseline of the outcome (pre window) and log population;
* the estimate is mean(change in treated zones) - mean(change in their matched controls), changes
  being the outcome's post-window minus pre-window value; per intervention the interval uses the zone-level
  spread of changes (a treated zone's own spread is borrowed from the controls when it is alone);
  the programme estimate weights interventions by treated zones and its interval is a cluster bootstrap
  over zones (a zone that appears in several stacks is resampled as one cluster).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from scipy import stats

from city import nightslots
from indicators import registry, selectors

DEFAULT_WINDOW_NIGHTS = 84  # twelve weeks each side: long enough to pool sparse answers, short enough to be local
AFTER_DARK = "after_dark"  # every slot but the daytime baseline, pooled: the headline when slots are sparse
MIN_POST_NIGHTS = 14
MIN_ANSWERS = 10  # per zone and window: a zone with fewer answers in either window is left out
MIN_PSI_WEEKS = 2  # per zone and window: full weeks with an index value, for the index
CONTROLS_PER_TREATED = 5
MIN_CONTROLS = 3
BOOTSTRAP_DRAWS = 999
BOOTSTRAP_SEED = 20240601
Z_95 = 1.959963984540054


# --- the estimator on arrays --------------------------------------------------------------------------


def t_quantile_975(df: float) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (exact, also at df = 1 and 2, where
    Welch's df falls with two treated zones; a Cornish-Fisher expansion is about 24% too narrow at df = 1)."""
    if not math.isfinite(df) or df > 1e6:
        return Z_95
    return float(stats.t.ppf(0.975, max(df, 1.0)))


def match_controls(
    treated_features: np.ndarray, control_features: np.ndarray, k: int = CONTROLS_PER_TREATED
) -> np.ndarray:
    """Weights on the controls: each treated zone gives 1/k to each of its k nearest controls.

    Features (rows = zones; columns = baseline share, log population) are standardised on the
    treated and controls together, so a share point and a factor of e in population weigh alike.
    Ties are broken by the control's position (its zone id order), so the match is deterministic.
    """
    treated_features = np.atleast_2d(np.asarray(treated_features, dtype=float))
    control_features = np.atleast_2d(np.asarray(control_features, dtype=float))
    both = np.vstack([treated_features, control_features])
    scale = both.std(axis=0)
    scale[~np.isfinite(scale) | (scale == 0)] = 1.0
    t, c = treated_features / scale, control_features / scale
    k = min(k, len(c))
    weights = np.zeros(len(c))
    for row in t:
        distance = np.sqrt(((c - row) ** 2).sum(axis=1))
        nearest = np.argsort(distance, kind="stable")[:k]
        weights[nearest] += 1.0 / k
    return weights


@dataclass(frozen=True)
class DidEstimate:
    """A difference-in-differences (in the outcome's stored unit): ``effect``, its 95% interval, what it rests on."""

    effect: float
    lower: float
    upper: float
    treated_zones: int
    control_zones: int
    treated_change: float
    control_change: float
    treated_answers: int = 0
    control_answers: int = 0
    scale: float = 100.0  # to the points shown: 100 for a share (percentage points), 1 for the index

    @property
    def covers_zero(self) -> bool:
        return self.lower <= 0 <= self.upper

    @property
    def effect_points(self) -> float:
        return self.scale * self.effect

    @property
    def lower_points(self) -> float:
        return self.scale * self.lower

    @property
    def upper_points(self) -> float:
        return self.scale * self.upper


def _weighted_mean_var(values: np.ndarray, weights: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, unbiased (reliability-weights) variance, and effective sample size."""
    total = weights.sum()
    mean = float((weights * values).sum() / total)
    effective = float(total**2 / (weights**2).sum())
    if effective <= 1:
        return mean, float("nan"), effective
    variance = float((weights * (values - mean) ** 2).sum() / total * effective / (effective - 1))
    return mean, variance, effective


def did_estimate(
    treated_changes: np.ndarray,
    control_changes: np.ndarray,
    control_weights: np.ndarray | None = None,
    *,
    sampling_variance: float = 0.0,
    pool_changes: np.ndarray | None = None,
) -> DidEstimate:
    """DiD of zone-level changes: mean treated change minus weighted mean control change, with a t interval.

    Variance: s²_T/n_T + s²_C/n_C,eff, zone-level (so it includes both the answers' sampling noise
    and each zone's own shocks). With a single treated zone s²_T cannot be estimated from it and is
    taken from the controls (the Conley-Taber idea: the controls show how much a zone moves alone).
    ``sampling_variance`` (the binomial variance of one zone's change, from its answers) is a floor
    for the zone-level variances: zones that happen to agree closely never make the interval vanish.
    ``pool_changes``, when given, are the changes of every clean control zone (matched or not): the
    spread of a zone's change is estimated on them, far more stably than on a handful of matches.
    """
    treated = np.asarray(treated_changes, dtype=float)
    controls = np.asarray(control_changes, dtype=float)
    weights = np.ones(len(controls)) if control_weights is None else np.asarray(control_weights, dtype=float)
    used = weights > 0
    controls, weights = controls[used], weights[used]
    if len(treated) == 0 or len(controls) < 2:
        raise ValueError("a DiD needs at least one treated zone and two control zones")
    control_mean, control_var, control_n = _weighted_mean_var(controls, weights)
    spread_df = control_n - 1
    if pool_changes is not None and len(pool_changes) > 2:
        control_var = float(np.var(pool_changes, ddof=1))
        spread_df = len(pool_changes) - 1
    treated_mean = float(treated.mean())
    control_var = max(control_var, sampling_variance) if math.isfinite(control_var) else sampling_variance
    treated_var = float(treated.var(ddof=1)) if len(treated) >= 2 else control_var
    treated_var = max(treated_var, sampling_variance)
    a, b = treated_var / len(treated), control_var / control_n
    se = math.sqrt(a + b)
    if len(treated) >= 2 and a + b > 0:  # Welch-Satterthwaite degrees of freedom
        df = (a + b) ** 2 / (a**2 / (len(treated) - 1) + b**2 / max(spread_df, 1))
    else:  # the treated zone's spread is the controls' own: their degrees of freedom
        df = spread_df
    half = t_quantile_975(df) * se
    effect = treated_mean - control_mean
    return DidEstimate(
        effect=effect,
        lower=effect - half,
        upper=effect + half,
        treated_zones=len(treated),
        control_zones=int(used.sum()),
        treated_change=treated_mean,
        control_change=control_mean,
    )


@dataclass
class Stack:
    """One intervention's experiment for one slot: zone ids and changes of treated zones and weighted controls."""

    treatment_id: int
    treated_ids: np.ndarray
    treated_changes: np.ndarray
    control_ids: np.ndarray
    control_changes: np.ndarray
    control_weights: np.ndarray


def stacked_did(stacks: list[Stack], *, draws: int = BOOTSTRAP_DRAWS, seed: int = BOOTSTRAP_SEED) -> DidEstimate:
    """Programme-wide DiD: the interventions' DiDs weighted by their treated zones, cluster-bootstrapped over zones.

    Each draw resamples zone ids (with replacement) from all zones in all stacks and recomputes every
    stack with the drawn multiplicities; a stack left without treated or control zones in a draw
    drops out of that draw. The interval is the 2.5-97.5 percentile range of the draws.
    """
    stacks = [s for s in stacks if len(s.treated_ids) and (s.control_weights > 0).sum() >= 2]
    if not stacks:
        raise ValueError("no stack to combine")

    def combine(multiplicity: dict[int, int] | None) -> float | None:
        total = weight_sum = 0.0
        for s in stacks:
            tm = (
                np.ones(len(s.treated_ids))
                if multiplicity is None
                else np.array([multiplicity.get(int(z), 0) for z in s.treated_ids], dtype=float)
            )
            cm = s.control_weights * (
                1.0
                if multiplicity is None
                else np.array([multiplicity.get(int(z), 0) for z in s.control_ids], dtype=float)
            )
            if tm.sum() == 0 or cm.sum() == 0:
                continue
            effect = (tm * s.treated_changes).sum() / tm.sum() - (cm * s.control_changes).sum() / cm.sum()
            total += tm.sum() * effect
            weight_sum += tm.sum()
        return total / weight_sum if weight_sum else None

    point = combine(None)
    zones = np.unique(
        np.concatenate([np.concatenate([s.treated_ids, s.control_ids[s.control_weights > 0]]) for s in stacks])
    )
    rng = np.random.default_rng(seed)
    results = []
    for _draw in range(draws):
        drawn = rng.choice(zones, size=len(zones), replace=True)
        values, counts = np.unique(drawn, return_counts=True)
        value = combine(dict(zip(values.tolist(), counts.tolist(), strict=True)))
        if value is not None:
            results.append(value)
    lower, upper = np.percentile(results, [2.5, 97.5])
    treated_n = sum(len(s.treated_ids) for s in stacks)
    treated_change = sum(float(s.treated_changes.sum()) for s in stacks) / treated_n
    return DidEstimate(
        effect=float(point),
        lower=float(lower),
        upper=float(upper),
        treated_zones=treated_n,
        control_zones=len({int(z) for s in stacks for z in s.control_ids[s.control_weights > 0]}),
        treated_change=treated_change,
        control_change=treated_change - float(point),
    )


# --- the outcomes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What is compared: the nightly share feeling safe, or the weekly Perceived Safety Index."""

    code: str
    metric: str  # the indicator metric it is read from
    label: str
    unit: str
    scale: float  # from the stored value to the points shown (a share 0..1 -> percentage points)


# Metric codes and labels are the component registry's.
SHARE = Outcome(
    "share",
    registry.SHARE_FEELING_SAFE,
    registry.METRIC_LABELS[registry.SHARE_FEELING_SAFE],
    gettext_lazy("percentage points"),
    100.0,
)
PSI = Outcome("psi", registry.PSI, registry.METRIC_LABELS[registry.PSI], gettext_lazy("index points"), 1.0)
OUTCOMES = (SHARE, PSI)


@dataclass(frozen=True)
class ZoneWindow:
    """One zone's outcome pooled over the pre and the post window, and what it rests on."""

    pre: float | None
    post: float | None
    answers: int  # answers behind both windows
    variance: float  # sampling variance of post - pre, from the zone's own data
    usable: bool  # enough data in both windows to enter the comparison

    @property
    def change(self) -> float:
        return self.post - self.pre


# --- reading the observatory's data -------------------------------------------------------------------


@dataclass(frozen=True)
class Treatment:
    """An intervention as the estimator sees it: when it started and which zones it touched."""

    intervention_id: int
    start_on: dt.date
    zone_ids: frozenset[int]


@dataclass
class SlotImpact:
    slot: str
    label: str
    estimate: DidEstimate | None = None
    reason: str = ""  # why there is no estimate
    stack: Stack | None = None


@dataclass
class OutcomeImpact:
    outcome: Outcome
    slots: list[SlotImpact] = field(default_factory=list)

    @property
    def estimated(self) -> list[SlotImpact]:
        return [s for s in self.slots if s.estimate is not None]

    def slot(self, code: str) -> SlotImpact:
        return next(s for s in self.slots if s.slot == code)


@dataclass
class Impact:
    """One intervention's experiment: its windows and, per outcome and slot, the estimate or why there is none."""

    intervention_id: int
    start_on: dt.date
    pre_first: dt.date
    post_last: dt.date | None
    outcomes: list[OutcomeImpact] = field(default_factory=list)
    project_id: int | None = None  # set by the grants for a funded project

    def outcome(self, code: str) -> OutcomeImpact:
        return next(o for o in self.outcomes if o.outcome.code == code)


def treatments() -> list[Treatment]:
    """Every intervention that was not cancelled, with its start and zones (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.id, i.start_on, array_remove(array_agg(iz.zone_id ORDER BY iz.zone_id), NULL)
            FROM interventions_intervention i
            LEFT JOIN interventions_intervention_zones iz ON iz.intervention_id = i.id
            WHERE NOT i.cancelled
            GROUP BY i.id, i.start_on ORDER BY i.start_on, i.id
            """
        )
        return [Treatment(iid, start, frozenset(zones)) for iid, start, zones in cursor.fetchall()]


def _share_windows(first: dt.date, start: dt.date, last: dt.date) -> dict[tuple[int, str], ZoneWindow]:
    """(zone, slot) -> the share feeling safe pooled over the answers of each window (nightly rows)."""
    counts = selectors.share_counts_around(first=first, start=start, last=last)
    pooled: dict[tuple[int, str], list[int]] = {}
    for (zone, slot), values in counts.items():
        if slot != nightslots.baseline_slot():
            totals = pooled.setdefault((zone, AFTER_DARK), [0, 0, 0, 0])
            for i, value in enumerate(values):
                totals[i] += value
    counts.update({key: tuple(value) for key, value in pooled.items()})
    windows = {}
    for key, (pre_n, pre_k, post_n, post_k) in counts.items():
        pre = pre_k / pre_n if pre_n else None
        post = post_k / post_n if post_n else None
        usable = pre_n >= MIN_ANSWERS and post_n >= MIN_ANSWERS
        # Binomial variance of the change: p(1-p)/n before plus after.
        variance = pre * (1 - pre) / pre_n + post * (1 - post) / post_n if usable else float("nan")
        windows[key] = ZoneWindow(pre, post, pre_n + post_n, variance, usable)
    return windows


def _psi_windows(first: dt.date, start: dt.date, last: dt.date) -> dict[tuple[int, str], ZoneWindow]:
    """(zone, slot) -> the mean weekly Perceived Safety Index of the full weeks inside each window.

    The index is read per ISO week (a week is a stable unit for a composite of rates and medians;
    a single night's index rests on a handful of answers), keeping only weeks wholly before the
    start or wholly after it. After dark: each week's mean over the evening and night slots first.
    The variance of a zone's change is its week-to-week variance over the weeks of each window.
    """
    rows = selectors.weekly_index_windows(
        first=first, start=start, last=last, after_dark=AFTER_DARK, day_slot=nightslots.baseline_slot()
    )
    windows = {}
    for zone, slot, pre_weeks, pre, pre_var, pre_n, post_weeks, post, post_var, post_n in rows:
        usable = pre_weeks >= MIN_PSI_WEEKS and post_weeks >= MIN_PSI_WEEKS
        variance = (pre_var or 0.0) / pre_weeks + (post_var or 0.0) / post_weeks if usable else float("nan")
        windows[(zone, slot)] = ZoneWindow(pre, post, pre_n + post_n, variance, usable)
    return windows


WINDOW_LOADERS = {SHARE.code: _share_windows, PSI.code: _psi_windows}
NO_TREATED_DATA = {SHARE.code: "no_treated_data", PSI.code: "no_treated_weeks"}


def slot_choices() -> list[tuple[str, str]]:
    """The pooled after-dark row first, then each configured slot."""
    return [(AFTER_DARK, _("After dark (all evening and night slots)"))] + [
        (code, str(label)) for code, label in nightslots.slot_choices()
    ]


def _populations() -> dict[int, float]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, population FROM observatory_zone")
        rows = cursor.fetchall()
    known = [p for _z, p in rows if p]
    fallback = float(np.median(known)) if known else 1.0
    return {z: float(p) if p else fallback for z, p in rows}


def treatment_impact(
    treatment: Treatment,
    *,
    all_treatments: list[Treatment] | None = None,
    window_nights: int = DEFAULT_WINDOW_NIGHTS,
    latest: dt.date | None = None,
    populations: dict[int, float] | None = None,
) -> Impact:
    """The stacked-DiD experiment of one intervention, per outcome and slot (one query per outcome when the
    caller passes the shared parts)."""
    all_treatments = treatments() if all_treatments is None else all_treatments
    latest = latest or selectors.latest_night()
    populations = _populations() if populations is None else populations
    pre_first = treatment.start_on - dt.timedelta(days=window_nights)
    result = Impact(treatment.intervention_id, treatment.start_on, pre_first, None)
    choices = slot_choices()
    if latest is None or latest < treatment.start_on + dt.timedelta(days=MIN_POST_NIGHTS - 1):
        reason = "not_started" if latest is None or latest < treatment.start_on else "too_recent"
        result.outcomes = [
            OutcomeImpact(outcome, [SlotImpact(code, label, reason=reason) for code, label in choices])
            for outcome in OUTCOMES
        ]
        return result
    post_last = min(latest, treatment.start_on + dt.timedelta(days=window_nights - 1))
    result.post_last = post_last
    # Clean controls: zones that no intervention treats by the end of this post window.
    treated_by_then = {z for t in all_treatments if t.start_on <= post_last for z in t.zone_ids}
    for outcome in OUTCOMES:
        windows = WINDOW_LOADERS[outcome.code](pre_first, treatment.start_on, post_last)
        result.outcomes.append(
            OutcomeImpact(
                outcome,
                [
                    _slot_impact(treatment, outcome, code, label, windows, treated_by_then, populations)
                    for code, label in choices
                ],
            )
        )
    return result


def _slot_impact(treatment, outcome, slot, label, windows, treated_by_then, populations) -> SlotImpact:
    def usable(zone_id):
        window = windows.get((zone_id, slot))
        return window is not None and window.usable

    treated = sorted(z for z in treatment.zone_ids if usable(z))
    if not treated:
        return SlotImpact(slot, label, reason=NO_TREATED_DATA[outcome.code])
    controls = sorted(z for (z, s) in windows if s == slot and z not in treated_by_then and usable(z))
    if len(controls) < MIN_CONTROLS:
        return SlotImpact(slot, label, reason="no_controls")

    def features(zone_ids):
        return np.array([[windows[(z, slot)].pre, math.log(max(populations.get(z, 1.0), 1.0))] for z in zone_ids])

    def changes(zone_ids):
        return np.array([windows[(z, slot)].change for z in zone_ids])

    weights = match_controls(features(treated), features(controls))
    stack = Stack(
        treatment_id=treatment.intervention_id,
        treated_ids=np.array(treated),
        treated_changes=changes(treated),
        control_ids=np.array(controls),
        control_changes=changes(controls),
        control_weights=weights,
    )
    if (weights > 0).sum() < 2:
        return SlotImpact(slot, label, reason="no_controls")
    # The sampling variance of a treated zone's change (from its own data), averaged over treated zones.
    sampling = float(np.mean([windows[(z, slot)].variance for z in treated]))
    estimate = did_estimate(
        stack.treated_changes, stack.control_changes, weights, sampling_variance=sampling,
        pool_changes=stack.control_changes,
    )  # fmt: skip
    estimate = replace(
        estimate,
        treated_answers=sum(windows[(z, slot)].answers for z in treated),
        control_answers=sum(windows[(z, slot)].answers for z, w in zip(controls, weights, strict=True) if w),
        scale=outcome.scale,
    )
    return SlotImpact(slot, label, estimate=estimate, stack=stack)


def impact_for_intervention(intervention_id: int, **options) -> Impact | None:
    """The impact of one intervention (None if it was cancelled or does not exist)."""
    everything = treatments()
    mine = next((t for t in everything if t.intervention_id == intervention_id), None)
    if mine is None:
        return None
    return treatment_impact(mine, all_treatments=everything, **options)


@dataclass
class ProgrammeOutcome:
    outcome: Outcome
    by_slot: list[tuple[str, str, DidEstimate | None, int]]  # slot, label, stacked estimate, interventions in it


@dataclass
class ProgrammeImpact:
    projects: list[Impact]  # each intervention's experiment (the grants' programme: its projects)
    outcomes: list[ProgrammeOutcome]

    def outcome(self, code: str) -> ProgrammeOutcome:
        return next(o for o in self.outcomes if o.outcome.code == code)


def impacts_for_interventions(intervention_ids: Iterable[int], **options) -> dict[int, Impact]:
    """Each intervention's own experiment (the cancelled ones left out), sharing the common reads;
    without the programme's stacked bootstrap, which only the grants' summary needs."""
    wanted = set(intervention_ids)
    everything = treatments()
    latest = options.pop("latest", None) or selectors.latest_night()
    populations = _populations()
    return {
        t.intervention_id: treatment_impact(t, all_treatments=everything, latest=latest, populations=populations,
                                            **options)
        for t in everything
        if t.intervention_id in wanted
    }  # fmt: skip


def programme_impact(intervention_ids: Iterable[int] | None = None, **options) -> ProgrammeImpact:
    """Each chosen intervention's experiment (all when ``intervention_ids`` is None) and, per outcome and slot,
    the stacked estimate over those with one. Controls stay clean of every intervention, chosen or not."""
    everything = treatments()
    chosen = everything if intervention_ids is None else [t for t in everything if t.intervention_id in
                                                          set(intervention_ids)]  # fmt: skip
    latest = options.pop("latest", None) or selectors.latest_night()
    populations = _populations()
    experiments = [
        treatment_impact(t, all_treatments=everything, latest=latest, populations=populations, **options)
        for t in chosen
    ]
    outcomes = []
    for outcome in OUTCOMES:
        by_slot = []
        for code, label in slot_choices():
            rows = [p.outcome(outcome.code).slot(code) for p in experiments]
            stacks = [row.stack for row in rows if row.estimate is not None]
            estimate = replace(stacked_did(stacks), scale=outcome.scale) if stacks else None
            by_slot.append((code, str(label), estimate, len(stacks)))
        outcomes.append(ProgrammeOutcome(outcome, by_slot))
    return ProgrammeImpact(experiments, outcomes)


def reason_texts() -> dict[str, str]:
    """Why an outcome and slot has no estimate, in the reader's language (keys are SlotImpact.reason)."""
    return {
        "not_started": _("It has not started yet, or there is no indicator data after its start."),
        "too_recent": _("Fewer than %(nights)d nights of data since the start: too early to say.")
        % {"nights": MIN_POST_NIGHTS},
        "no_treated_data": _("Too few answers in its zones before or after the start (at least %(n)d each).")
        % {"n": MIN_ANSWERS},
        "no_treated_weeks": _(
            "Too few full weeks of the index in its zones before or after the start (at least %(n)d each)."
        )
        % {"n": MIN_PSI_WEEKS},
        "no_controls": _("Not enough comparable zones without an intervention to compare with."),
    }
