"""The observatory's open datasets (see registry.py). Everything here is public already: indicators, published
reports at their privacy-snapped place (as on the public map), funded projects, sensor summaries per zone, and
the surveys' stored estimates (never an answer; small cells withheld)."""

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
from surveys.estimation import METHOD_VERSION as SURVEY_METHOD_VERSION
from surveys.models import Campaign, SurveyEstimate

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


# --- survey estimates ----------------------------------------------------------------------------------------
# The surveys' stored estimates as surveys/weighting.py wrote them (never recomputed here), with the honest
# label of each: a weighted estimate of a probability sample (or of answers collected elsewhere) describes the
# residents; an open link's describes who chose to answer. A cell of fewer than SURVEY_MIN_CELL respondents is
# withheld here even where the surveys' own rule (a minimum effective n) let a small-area value stand: the row
# stays, without value or interval, and says why.
SURVEY_MIN_CELL = 10
SURVEY_COLUMNS = [
    "zone", "zone_name", "district", "campaign", "campaign_title_it", "campaign_title_en", "sample", "self_selected",
    "representative", "label_it", "label_en", "instrument", "instrument_version", "period_kind", "period_start",
    "slot", "reading", "method", "weighting", "method_version", "value", "lower", "upper", "n", "effective_n",
    "suppressed", "suppressed_reason",
]  # fmt: skip
SURVEY_VALUE_COLUMNS = ("value", "lower", "upper")
WEIGHTED_METHODS = {SurveyEstimate.Method.WEIGHTED, SurveyEstimate.Method.SMALL_AREA}
# How each method's value was weighted (docs/methodology.md, "Surveys").
SURVEY_WEIGHTING = {
    SurveyEstimate.Method.DIRECT: "none",
    SurveyEstimate.Method.WEIGHTED: "design weights, non-response adjustment, raking to residents by zone, sex and "
    "age band, trimming",
    SurveyEstimate.Method.SMALL_AREA: "Fay-Herriot EBLUP over the weighted direct estimates",
}
OPEN, PROBABILITY, IMPORT = Campaign.Mode.OPEN, Campaign.Mode.PROBABILITY, Campaign.Mode.IMPORT
SURVEY_LABELS = {  # (campaign mode, weighted) -> (Italian, English)
    (OPEN, False): ("Campione autoselezionato (link aperto), non pesato: descrive chi ha scelto di rispondere, "
                    "non la popolazione",
                    "Self-selected sample (open link), unweighted: describes who chose to answer, not the population"),
    (OPEN, True): ("Campione autoselezionato (link aperto): anche pesato, descrive chi ha scelto di rispondere, "
                   "non la popolazione",
                   "Self-selected sample (open link): even weighted, it describes who chose to answer, not the "
                   "population"),
    (PROBABILITY, False): ("Campione probabilistico, quota non pesata: non riportata alla popolazione residente",
                           "Probability sample, unweighted share: not adjusted to the resident population"),
    (PROBABILITY, True): ("Rappresentativa: campione probabilistico pesato sulla popolazione residente",
                          "Representative: probability sample weighted to the resident population"),
    (IMPORT, False): ("Risposte raccolte altrove (CATI, carta), quota non pesata: non riportata alla popolazione "
                      "residente",
                      "Answers collected elsewhere (CATI, paper), unweighted share: not adjusted to the resident "
                      "population"),
    (IMPORT, True): ("Rappresentativa: risposte raccolte altrove (CATI, carta) pesate sulla popolazione residente",
                     "Representative: answers collected elsewhere (CATI, paper) weighted to the resident population"),
}  # fmt: skip
SMALL_CELL = "small_cell"  # fewer than SURVEY_MIN_CELL respondents
LOW_EFFECTIVE_N = "low_effective_n"  # withheld by the surveys' minimum effective n


def _survey_estimates():
    order = ["campaign__opens_at", "campaign__code", "period_kind", "period_start", "slot", "reading", "method",
             "zone__code"]  # fmt: skip
    return (
        SurveyEstimate.objects.filter(method_version=SURVEY_METHOD_VERSION)
        .select_related("zone__parent", "campaign__instrument_version__instrument")
        .defer("zone__geom", "zone__parent__geom")
        .order_by(*order)
    )


def _district(zone: Zone) -> str:
    """The district as people name it: the zone's own field, else its parent zone's name."""
    return zone.district or (zone.parent.name if zone.parent_id else "")


def survey_estimate_values(e: SurveyEstimate) -> dict:
    """One published estimate: its place, campaign, instrument, method, label and value, small cells withheld."""
    campaign = e.campaign
    version = campaign.instrument_version
    self_selected = campaign.mode == OPEN
    weighted = e.method in WEIGHTED_METHODS
    reason = LOW_EFFECTIVE_N if e.suppressed else SMALL_CELL if e.n < SURVEY_MIN_CELL else ""
    label_it, label_en = SURVEY_LABELS[(campaign.mode, weighted)]
    zone = e.zone
    values = {
        "zone": zone.code if zone else "", "zone_name": zone.name if zone else "",
        "district": _district(zone) if zone else "",
        "campaign": campaign.code, "campaign_title_it": campaign.title_it, "campaign_title_en": campaign.title_en,
        "sample": campaign.mode, "self_selected": self_selected, "representative": weighted and not self_selected,
        "label_it": label_it, "label_en": label_en,
        "instrument": version.instrument.code, "instrument_version": version.number, "period_kind": e.period_kind,
        "period_start": e.period_start.isoformat(), "slot": e.slot, "reading": e.reading, "method": e.method,
        "weighting": SURVEY_WEIGHTING[e.method], "method_version": e.method_version, "value": e.value,
        "lower": e.lower, "upper": e.upper, "n": e.n, "effective_n": e.effective_n, "suppressed": bool(reason),
        "suppressed_reason": reason,
    }  # fmt: skip
    if reason:
        values.update(dict.fromkeys(SURVEY_VALUE_COLUMNS))
    return values


def surveys_table() -> Table:
    return SURVEY_COLUMNS, [[v[c] for c in SURVEY_COLUMNS] for v in map(survey_estimate_values, _survey_estimates())]


def surveys_features() -> dict:
    """One feature per zone with its estimates; the city-wide estimates on a feature without geometry."""
    by_zone: dict[int, list[dict]] = {}
    city: list[dict] = []
    for e in _survey_estimates():
        values = survey_estimate_values(e)
        row = {c: values[c] for c in SURVEY_COLUMNS if c not in {"zone", "zone_name", "district"}}
        (by_zone.setdefault(e.zone_id, []) if e.zone_id else city).append(row)
    zones = Zone.objects.filter(pk__in=by_zone).select_related("parent").defer("parent__geom").order_by("code")
    features = [
        {"type": "Feature", "geometry": json.loads(zone.geom.json),
         "properties": {"zone": zone.code, "name": zone.name, "district": _district(zone), "rows": by_zone[zone.pk],
                        "min_cell": SURVEY_MIN_CELL}}
        for zone in zones
    ]  # fmt: skip
    if city:
        features.append({"type": "Feature", "geometry": None,
                         "properties": {"zone": "", "name": "", "district": "", "rows": city,
                                        "min_cell": SURVEY_MIN_CELL}})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


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
register(Dataset(
    slug="stime-indagini",
    title_it="Stime delle indagini sulla sicurezza percepita",
    title_en="Perceived safety survey estimates",
    description_it="Quota di chi si sente sicuro camminando da solo quando è buio (domanda ISTAT), per zona e "
                   "per la città, campagna, versione del questionario e periodo: stima, intervallo al 95%, "
                   "numerosità ed effettiva, metodo di ponderazione e l'etichetta onesta (campione "
                   "probabilistico pesato, rappresentativo, oppure link aperto, autoselezionato). Le celle con "
                   f"meno di {SURVEY_MIN_CELL} risposte o una numerosità effettiva troppo bassa sono omesse e "
                   "lo dicono (suppressed_reason).",
    description_en="Share of people who feel safe walking alone after dark (the ISTAT item), by zone and for the "
                   "city, campaign, questionnaire version and period: estimate, 95% interval, n and effective n, "
                   "weighting method and the honest label (probability sample weighted, representative, or open "
                   f"link, self-selected). Cells of fewer than {SURVEY_MIN_CELL} answers or too small an "
                   "effective n are withheld and say so (suppressed_reason).",
    theme=THEME_JUSTICE_SAFETY, table=surveys_table, features=surveys_features,
    keywords=("indagini", "sicurezza percepita", "ISTAT"),
))  # fmt: skip
