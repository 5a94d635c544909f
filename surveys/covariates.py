"""Zone covariates of the small-area model, read from the raw channels the surveys app stands on.

The report rate, the night-time illuminance and the population density of each zone over a window
of nights: three GROUP BY queries on indexed columns (reports by zone and night, readings by night
and slot), one row per zone each. The indicator table is the engine's; the surveys app sits below
it in the layers and reads the same raw rows instead.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import connection

from city import nightslots
from city.models import Zone
from reports.models import INDICATOR_EXCLUDED_STATUSES, Report
from sensors.models import IndicatorMetric, Quality, Reading, Sensor, SensorKind

COVARIATES = ("report_rate", "illuminance", "density")


def zone_covariates(zone_ids: list[int], *, first: dt.date, last: dt.date) -> np.ndarray:
    """zones x 3 array (reports per 10,000 residents, median night lux, residents per km²); NaN where unknown."""
    index = {zone: i for i, zone in enumerate(zone_ids)}
    values = np.full((len(zone_ids), len(COVARIATES)), np.nan)
    baseline = nightslots.baseline_slot()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT z.id, count(r.id) * 10000.0 / nullif(z.population, 0), z.population / nullif(z.area_km2, 0)
            FROM {Zone._meta.db_table} z
            LEFT JOIN {Report._meta.db_table} r
              ON r.zone_id = z.id AND r.night BETWEEN %s AND %s AND NOT (r.status = ANY(%s))
            WHERE z.id = ANY(%s)
            GROUP BY z.id
            """,
            [first, last, list(INDICATOR_EXCLUDED_STATUSES), zone_ids],
        )
        for zone, rate, density in cursor.fetchall():
            values[index[zone], 0] = np.nan if rate is None else rate
            values[index[zone], 2] = np.nan if density is None else density
        cursor.execute(
            f"""
            SELECT g.zone_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY g.value)
            FROM {Reading._meta.db_table} g
            JOIN {Sensor._meta.db_table} s ON s.id = g.sensor_id
            JOIN {SensorKind._meta.db_table} k ON k.id = s.kind_id
            WHERE g.night BETWEEN %s AND %s AND g.slot <> %s AND g.quality = %s AND k.indicator_metric = %s
              AND g.zone_id = ANY(%s)
            GROUP BY g.zone_id
            """,
            [first, last, baseline, Quality.OK.value, IndicatorMetric.ILLUMINANCE.value, zone_ids],
        )
        for zone, lux in cursor.fetchall():
            values[index[zone], 1] = lux
    return values


def model_matrix(values: np.ndarray) -> np.ndarray:
    """Covariates ready for the model: a missing value takes the median of the known ones, then standardised.

    A covariate known nowhere (a city without light sensors) becomes a column of zeros and drops out.
    """
    from .estimation import standardise

    filled = values.copy()
    for j in range(filled.shape[1]):
        column = filled[:, j]
        known = np.isfinite(column)
        column[~known] = np.median(column[known]) if known.any() else 0.0
    return standardise(filled)
