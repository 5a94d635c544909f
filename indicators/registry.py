"""The component registry: every component of the Perceived Safety Index, declared once.

The pipeline (which stage computes it, whether it has rolling windows), the composite (direction,
goalposts, default weight), the PSI weight setting, the dashboards' metric list and labels, and the
impact outcomes all read these declarations. Sensor components are fed by the sensor kinds whose
``indicator_metric`` names them (``sensors.models.IndicatorMetric``).

Adding a component is one declaration here plus its computation step in the stage named by
``stage`` (docs/architecture.md walks through an example).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from city.stale import CITIZENS, SENSORS
from sensors.models import IndicatorMetric

METHOD_VERSION = "2.1"  # docs/methodology.md; stored beside every computed value
PSI = "psi"
PSI_LABEL = _("Perceived Safety Index (0-100)")
ROLLING_NIGHTS = 28

# The stages of the pipeline that compute components. indicators/engine.py runs the nightly aggregate first,
# then these in the order their first component is declared below, then the composite index.
STAGE_SHARES_AND_AUDITS = "shares_and_audits"
STAGE_REPORT_RATES = "report_rates"
STAGE_SENSOR_MEDIANS = "sensor_medians"
STAGE_SURVEY_SHARES = "survey_shares"


@dataclass(frozen=True)
class StageStep:
    """A stage's computation step: ``run(cursor, full=..., target=...)`` writes its components' values."""

    code: str
    label: str  # for progress displays (not translated: operators' logs)
    run: Callable[..., None]


STAGE_STEPS: dict[str, StageStep] = {}


def computes(stage: str, label: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a function as the computation step of ``stage`` (a decorator, used in indicators/stages/)."""

    def register(run: Callable[..., None]) -> Callable[..., None]:
        if stage in STAGE_STEPS and STAGE_STEPS[stage].run is not run:
            raise ValueError(f"stage {stage!r} already has a computation step")
        STAGE_STEPS[stage] = StageStep(stage, label, run)
        return run

    return register


@dataclass(frozen=True)
class Component:
    """One component of the index: what it is, how it is read and how it enters the composite."""

    name: str  # the code in OBSERVATORY_PSI_WEIGHTS
    metric: str  # the indicator metric its values are stored under
    label: Promise  # translated through the catalogue (Italian and English)
    higher_is_safer: bool
    bounds: tuple[float, float] | None  # natural goalposts; None = min-max over the zones of the group
    default_weight: float
    source: str  # city.stale.CITIZENS or SENSORS: which stale markers recompute it
    stage: str  # the pipeline stage that computes it
    rolling: bool = True  # computed for the rolling 28-night windows too
    sensor_kind: str = ""  # for sensor components: the IndicatorMetric value of the kinds feeding it
    # The component this one stands in for where both have a value (the survey's representative share
    # replaces the reporters' share); the index then counts the pair once.
    replaces: str = ""


def sensor_median(kind: str) -> str:
    """The metric a sensor kind's medians are stored under."""
    return f"{kind}_median"


COMPONENTS: tuple[Component, ...] = (
    Component(
        "share_feeling_safe", "share_feeling_safe", _("Share of reporters who felt safe"), True, (0.0, 1.0), 0.4,
        CITIZENS, STAGE_SHARES_AND_AUDITS,
    ),
    Component(
        "survey_share", "survey_share_feeling_safe", _("Residents feeling safe (weighted survey)"), True, (0.0, 1.0),
        0.4, CITIZENS, STAGE_SURVEY_SHARES, replaces="share_feeling_safe",
    ),
    Component("report_rate", "report_rate", _("Report rate"), False, None, 0.2, CITIZENS, STAGE_REPORT_RATES),
    Component(
        "audit_score", "audit_score", _("Audit score (0-3)"), True, (0.0, 3.0), 0.2, CITIZENS, STAGE_SHARES_AND_AUDITS
    ),
    Component(
        "illuminance", sensor_median(IndicatorMetric.ILLUMINANCE.value), _("Illuminance (median)"), True, None, 0.1,
        SENSORS, STAGE_SENSOR_MEDIANS, sensor_kind=IndicatorMetric.ILLUMINANCE.value,
    ),
    Component(
        "footfall", sensor_median(IndicatorMetric.FOOTFALL.value), _("Footfall (median)"), True, None, 0.1,
        SENSORS, STAGE_SENSOR_MEDIANS, sensor_kind=IndicatorMetric.FOOTFALL.value,
    ),
    Component(
        "noise", sensor_median(IndicatorMetric.NOISE.value), _("Noise (median)"), False, None, 0.0,
        SENSORS, STAGE_SENSOR_MEDIANS, sensor_kind=IndicatorMetric.NOISE.value,
    ),
)  # fmt: skip

BY_NAME = {c.name: c for c in COMPONENTS}
# The component stages in pipeline order: the order in which their first component is declared.
PIPELINE_STAGES: tuple[str, ...] = tuple(dict.fromkeys(c.stage for c in COMPONENTS))
BY_METRIC = {c.metric: c for c in COMPONENTS}
COMPONENT_NAMES = tuple(BY_NAME)
DEFAULT_WEIGHTS = {c.name: c.default_weight for c in COMPONENTS}
# The sensor kinds (IndicatorMetric values) whose readings the sensor-median stage reads.
SENSOR_KINDS = tuple(c.sensor_kind for c in COMPONENTS if c.source == SENSORS)
SHARE_FEELING_SAFE = BY_NAME["share_feeling_safe"].metric
REPORT_RATE = BY_NAME["report_rate"].metric
AUDIT_SCORE = BY_NAME["audit_score"].metric
SURVEY_SHARE = BY_NAME["survey_share"].metric
# Every metric a page may show, the index first, with its label.
METRIC_LABELS: dict[str, Promise] = {PSI: PSI_LABEL, **{c.metric: c.label for c in COMPONENTS}}
SAFER_IF_HIGHER: dict[str, bool] = {PSI: True, **{c.metric: c.higher_is_safer for c in COMPONENTS}}
