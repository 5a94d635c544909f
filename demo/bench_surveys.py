"""Time and memory of the survey weighting at the demo's scales: raking, shares, small areas.

``python -m demo.bench_surveys --scale large`` prints JSON. The respondents are synthetic (the demo's
zone count, ISTAT's 2 sexes x 8 age bands, residents per zone as in Torino's 14+ population spread over
the zones), drawn as a stratified sample with unequal answer rates; the steps are the weighting
run's own functions (``surveys.estimation``), without the database reads and writes around them.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from surveys import estimation as est

SEXES = ("F", "M")
BANDS = ("14-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
RESIDENTS_14_PLUS = 780_000  # Torino's residents aged 14 and over, roughly


def synthetic_survey(zones: int, respondents_per_zone: int, seed: int = 42):
    rng = np.random.default_rng(seed)
    mix = rng.dirichlet(np.full(len(SEXES) * len(BANDS), 5.0), size=zones)
    sizes = rng.integers(RESIDENTS_14_PLUS // zones // 2, RESIDENTS_14_PLUS // zones * 3 // 2, size=zones)
    cells = np.maximum(np.round(mix * sizes[:, None]), 1)
    z, c = np.meshgrid(np.arange(zones), np.arange(cells.shape[1]), indexing="ij")
    population = pd.DataFrame(
        {
            est.ZONE: z.ravel(),
            est.SEX: np.array(SEXES, dtype=object)[c.ravel() // len(BANDS)],
            est.AGE: np.array(BANDS, dtype=object)[c.ravel() % len(BANDS)],
            est.POPULATION: cells.ravel(),
        }
    )
    answer_rate = np.linspace(0.25, 0.7, cells.shape[1])
    draws = rng.multinomial(respondents_per_zone, (mix * answer_rate) / (mix * answer_rate).sum(1, keepdims=True))
    zone = np.repeat(z.ravel(), draws.ravel())
    cell = np.repeat(c.ravel(), draws.ravel())
    respondents = pd.DataFrame(
        {
            est.ZONE: zone,
            est.SEX: np.array(SEXES, dtype=object)[cell // len(BANDS)],
            est.AGE: np.array(BANDS, dtype=object)[cell % len(BANDS)],
            est.WEIGHT: (sizes / respondents_per_zone)[zone],
            est.SAFE: (rng.random(len(zone)) < 0.4 + 0.4 * (cell % len(BANDS)) / len(BANDS)).astype(float),
        }
    )
    blank = rng.random(len(respondents)) < 0.03
    respondents.loc[blank, est.AGE] = None
    return population, respondents, rng.normal(size=(zones, 3))


def _measure(step):
    tracemalloc.start()
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, {"seconds": round(seconds, 3), "peak_mib": round(peak / 2**20, 1)}


def surveys_bench(*, scale: str, respondents_per_zone: int = 100) -> dict:
    from .seed import SCALES  # the demo's zone counts (demo.seed needs Django set up)

    zones = SCALES[scale].zones
    population, respondents, covariates = synthetic_survey(zones, respondents_per_zone)
    rows, profiles = _measure(lambda: est.complete_profiles(respondents, population))
    raking, rake_figures = _measure(
        lambda: est.rake(rows, population, sexes=SEXES, age_order=BANDS, trim_ratio=est.DEFAULT_TRIM_RATIO)
    )
    y, zone, stratum, unit = (rows[k].to_numpy() for k in (est.SAFE, est.ZONE, est.ZONE, est.UNIT))
    shares, share_figures = _measure(
        lambda: est.domain_shares(
            y, raking.weights, domain=zone, domains=zones, stratum=stratum, unit=unit, aux=raking.aux
        )
    )
    city = est.domain_shares(y, raking.weights, domain=np.zeros(len(y), int), domains=1, stratum=stratum, unit=unit)
    psi = est.smoothed_sampling_variance(city.value[0], np.ones(zones), shares.effective_n)
    fit, sae_figures = _measure(lambda: est.fay_herriot(shares.value, psi, est.standardise(covariates)))
    return {
        "scale": scale,
        "zones": zones,
        "respondents": len(respondents),
        "rows_after_profiles": len(rows),
        "complete_profiles": profiles,
        "raking_and_trimming": {**rake_figures, "converged": raking.converged, "margins": raking.margins},
        "zone_shares_with_linearised_variance": share_figures,
        "fay_herriot": {**sae_figures, "reml_iterations": fit.iterations},
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": platform.python_version(),
    }


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings")
    django.setup()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--respondents-per-zone", type=int, default=100)
    options = parser.parse_args()
    print(json.dumps(surveys_bench(scale=options.scale, respondents_per_zone=options.respondents_per_zone), indent=2))
