"""The observatory's open datasets (see registry.py). Everything here is public already: indicators, published
reports at their privacy-snapped place (as on the public map), funded projects, sensor summaries per zone."""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection

from city.models import Zone
from grants.models import Project
from indicators.models import Indicator
from indicators.stages.base import METHOD_VERSION
from reports.models import Report
from reports.privacy import snapped_sql
from sensors.models import SensorKind
from sensors.selectors import zone_slot_summaries

from .registry import THEME_ENVIRONMENT, THEME_GOVERNMENT, THEME_JUSTICE_SAFETY, Dataset, Table, register

SUMMARY_NIGHTS = 28


def _zone_features(rows_by_zone: dict[int, list[dict]], **extra_properties) -> dict:
    """One feature per zone with its boundary and the rows of the dataset for it."""
    zones = Zone.objects.filter(pk__in=rows_by_zone).order_by("code")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(zone.geom.json),
                "properties": {"zone": zone.code, "name": zone.name, "rows": rows_by_zone[zone.pk], **extra_properties},
            }
            for zone in zones
        ],
    }


# --- indicators by zone, slot and month ---------------------------------------------------------------------
INDICATOR_COLUMNS = ["zone", "zone_name", "month", "slot", "metric", "value", "lower", "upper", "n", "method_version"]


def _monthly_indicators():
    return (
        Indicator.objects.filter(period_kind=Indicator.PeriodKind.MONTH, method_version=METHOD_VERSION)
        .select_related("zone")
        .order_by("zone__code", "period_start", "slot", "metric")
    )


def indicators_table() -> Table:
    rows = [[i.zone.code, i.zone.name, i.period_start.strftime("%Y-%m"), i.slot, i.metric, i.value, i.lower, i.upper,
             i.n, i.method_version] for i in _monthly_indicators()]  # fmt: skip
    return INDICATOR_COLUMNS, rows


def indicators_features() -> dict:
    by_zone: dict[int, list[dict]] = {}
    for i in _monthly_indicators().defer("zone__geom"):
        by_zone.setdefault(i.zone_id, []).append(
            {"month": i.period_start.strftime("%Y-%m"), "slot": i.slot, "metric": i.metric, "value": i.value,
             "lower": i.lower, "upper": i.upper, "n": i.n}
        )  # fmt: skip
    return _zone_features(by_zone, method_version=METHOD_VERSION)


# --- published reports, privacy-snapped -------------------------------------------------------------------------
REPORT_COLUMNS = ["tracking_code", "category", "status", "night", "slot", "perceived_safety", "longitude", "latitude"]


def _published_reports() -> list[tuple]:
    snap, params = snapped_sql("r.location")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT r.tracking_code, c.code, r.status, r.night, r.slot, r.perceived_safety,
                   round(ST_X({snap})::numeric, 6)::float, round(ST_Y({snap})::numeric, 6)::float
            FROM reports_report r JOIN reports_category c ON c.id = r.category_id
            WHERE r.is_published AND r.status <> ALL(%s::text[])
            ORDER BY r.night, r.tracking_code
            """,
            [*params, *params, list(Report.NOT_PUBLIC_STATUSES)],
        )
        return cursor.fetchall()


def reports_table() -> Table:
    return REPORT_COLUMNS, [list(row) for row in _published_reports()]


def reports_features() -> dict:
    features = []
    for row in _published_reports():
        properties = dict(zip(REPORT_COLUMNS[:6], row[:6], strict=True))
        properties["night"] = properties["night"].isoformat()
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [row[6], row[7]]},
                         "properties": properties})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


# --- funded projects and their grants ---------------------------------------------------------------------------
PROJECT_COLUMNS = ["id", "call", "title_it", "title_en", "beneficiary", "granted_amount_eur", "co_financing_eur",
                   "start_on", "end_on", "status", "night_service", "zones"]  # fmt: skip


def _projects():
    return Project.objects.public().prefetch_related("zones").order_by("start_on", "pk")


def _project_row(p: Project) -> list:
    return [p.pk, str(p.call), p.title_it, p.title_en, p.beneficiary, p.granted_amount, p.co_financing, p.start_on,
            p.end_on, p.status, p.night_service, " ".join(sorted(z.code for z in p.zones.all()))]  # fmt: skip


def projects_table() -> Table:
    return PROJECT_COLUMNS, [_project_row(p) for p in _projects()]


def projects_features() -> dict:
    features = []
    for p in _projects():
        values = dict(zip(PROJECT_COLUMNS, _project_row(p), strict=True))
        values.update(granted_amount_eur=str(p.granted_amount), co_financing_eur=str(p.co_financing),
                      start_on=p.start_on.isoformat(), end_on=p.end_on.isoformat())  # fmt: skip
        features.append({"type": "Feature", "geometry": json.loads(p.sites.json), "properties": values})
    return {"type": "FeatureCollection", "features": features}


# --- sensor summaries per zone, kind and slot over the last 28 nights ------------------------------------------
SENSOR_COLUMNS = ["zone", "zone_name", "kind", "unit", "slot", "first_night", "last_night", "readings", "median",
                  "p10", "p90", "sensors", "coverage"]  # fmt: skip


def _sensor_rows() -> list[tuple[int, list]]:
    last = dt.date.today() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=SUMMARY_NIGHTS - 1)
    rows = []
    for kind in SensorKind.objects.order_by("code"):
        for s in zone_slot_summaries(kind=kind, first_night=first, last_night=last):
            rows.append((s.zone_id, [s.zone_code, s.zone_name, kind.code, kind.unit, s.slot, first, last, s.count,
                                     s.median, s.p10, s.p90, s.sensors, s.coverage]))  # fmt: skip
    return rows


def sensors_table() -> Table:
    return SENSOR_COLUMNS, [row for _zone, row in _sensor_rows()]


def sensors_features() -> dict:
    by_zone: dict[int, list[dict]] = {}
    for zone_id, row in _sensor_rows():
        values = dict(zip(SENSOR_COLUMNS[2:], row[2:], strict=True))
        values.update(first_night=values["first_night"].isoformat(), last_night=values["last_night"].isoformat())
        by_zone.setdefault(zone_id, []).append(values)
    return _zone_features(by_zone)


register(Dataset(
    slug="indicatori-mensili",
    title_it="Indicatori di sicurezza percepita per zona, fascia oraria e mese",
    title_en="Perceived safety indicators by zone, time of day and month",
    description_it="Quota di chi si sente sicuro, tassi di segnalazione lisciati (Bayes empirico), punteggi degli "
                   "audit, mediane dei sensori e indice composito, con intervalli al 95% e numerosità.",
    description_en="Share feeling safe, smoothed report rates (empirical Bayes), audit scores, sensor medians "
                   "and the composite index, with 95% intervals and sample sizes.",
    theme=THEME_JUSTICE_SAFETY, table=indicators_table, features=indicators_features,
    keywords=("sicurezza urbana", "notte", "indicatori"),
))  # fmt: skip
register(Dataset(
    slug="segnalazioni-pubblicate",
    title_it="Segnalazioni dei cittadini pubblicate",
    title_en="Published citizens' reports",
    description_it="Le segnalazioni approvate dai moderatori, con la posizione arrotondata a una griglia per la "
                   "riservatezza, come sulla mappa pubblica; senza testi né contatti.",
    description_en="Reports approved by moderators, their location snapped to a privacy grid as on the public "
                   "map; without texts or contacts.",
    theme=THEME_JUSTICE_SAFETY, table=reports_table, features=reports_features,
    keywords=("segnalazioni", "sicurezza urbana"),
))  # fmt: skip
register(Dataset(
    slug="progetti-finanziati",
    title_it="Progetti finanziati e contributi",
    title_en="Funded projects and grants",
    description_it="I progetti finanziati dai bandi, con beneficiario, importi concessi e cofinanziamento, "
                   "date, stato, zone e siti.",
    description_en="The projects funded by the calls, with beneficiary, granted and co-financed amounts, "
                   "dates, status, zones and sites.",
    theme=THEME_GOVERNMENT, table=projects_table, features=projects_features,
    keywords=("contributi", "progetti"),
))  # fmt: skip
register(Dataset(
    slug="sintesi-sensori",
    title_it="Sintesi dei sensori per zona e fascia oraria",
    title_en="Sensor summaries by zone and time of day",
    description_it="Mediana, 10° e 90° percentile e copertura delle letture valide degli ultimi 28 notti, per "
                   "zona, tipo di sensore e fascia oraria.",
    description_en="Median, 10th and 90th percentile and coverage of the good readings of the last 28 nights, "
                   "by zone, sensor kind and time of day.",
    theme=THEME_ENVIRONMENT, table=sensors_table, features=sensors_features,
    keywords=("sensori", "illuminazione"),
))  # fmt: skip
