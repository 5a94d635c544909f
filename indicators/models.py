"""The indicator engine's derived tables: values per zone x period x slot x metric, hot spots, alerts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from city.models import Zone

from . import registry


class IndicatorQuerySet(models.QuerySet):
    """The read API's building blocks: readers outside the engine start from ``Indicator.objects.current()``."""

    def current(self) -> IndicatorQuerySet:
        """Values computed with the current method (docs/methodology.md); older versions are history."""
        return self.filter(method_version=registry.METHOD_VERSION)

    def metric(self, *metrics: str) -> IndicatorQuerySet:
        return self.filter(metric=metrics[0]) if len(metrics) == 1 else self.filter(metric__in=metrics)

    def period(self, kind: str, start) -> IndicatorQuerySet:
        """One stored period: a night, an ISO week, a month or a rolling 28-night window, by its first night."""
        return self.filter(period_kind=kind, period_start=start)

    def slot(self, slot: str) -> IndicatorQuerySet:
        return self.filter(slot=slot)

    def nights(self, first, last, *, with_value: bool = True) -> IndicatorQuerySet:
        """The nightly rows in [first, last], to be pooled (by default only the nights that have a value)."""
        rows = self.filter(period_kind=Indicator.PeriodKind.NIGHT, period_start__range=(first, last))
        return rows.filter(value__isnull=False) if with_value else rows


class Indicator(models.Model):
    """One computed value per zone x period x slot x metric x method version (derived data)."""

    class PeriodKind(models.TextChoices):
        NIGHT = "night", _("Night")
        WEEK = "week", _("ISO week")
        MONTH = "month", _("Month")
        ROLLING_28 = "rolling28", _("Rolling 28 nights")

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="indicators")
    period_kind = models.CharField(max_length=16, choices=PeriodKind.choices)
    period_start = models.DateField()
    slot = models.CharField(max_length=32)
    metric = models.CharField(max_length=64)
    method_version = models.CharField(max_length=16)
    value = models.FloatField(null=True)
    numerator = models.FloatField(null=True, help_text="For shares: how many of n (kept so periods can be pooled).")
    n = models.PositiveIntegerField(default=0)
    lower = models.FloatField(null=True)
    upper = models.FloatField(null=True)
    raw_value = models.FloatField(null=True, help_text="For smoothed rates: the raw (unsmoothed) rate.")
    denominator = models.FloatField(null=True, help_text="For rates: residents / 10,000, or km² (see unit).")
    unit = models.CharField(max_length=32, blank=True, default="")
    coverage = models.FloatField(
        null=True, help_text="Composite: share of the weights present; sensors: share of expected readings present."
    )
    grade = models.CharField(max_length=1, blank=True, default="", help_text="Composite: confidence grade A-D.")
    computed_at = models.DateTimeField()

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        db_table = "observatory_indicator"  # the tables predate the indicators app (migrations keep their rows)
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "period_kind", "period_start", "slot", "metric", "method_version"],
                name="indicator_unique_key",
            )
        ]
        indexes = [models.Index(fields=["metric", "period_kind", "slot", "period_start"])]

    def __str__(self) -> str:
        return f"{self.metric} {self.zone_id} {self.period_kind} {self.period_start} {self.slot} = {self.value}"


class HotSpot(models.Model):
    """Local spatial statistics of one zone's Perceived Safety Index for a slot and period (derived data).

    Getis-Ord Gi* and local Moran's I with permutation p-values (fixed seed) and Benjamini-Hochberg
    q-values over the zones of the same run; ``cluster`` says what an officer should read.
    """

    class Cluster(models.TextChoices):
        UNSAFE = "unsafe", _("Cluster of low safety (cold spot of the index)")
        SAFE = "safe", _("Cluster of high safety (hot spot of the index)")
        NONE = "none", _("Not significant")

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="hotspots")
    slot = models.CharField(max_length=32)
    period_kind = models.CharField(max_length=16, choices=Indicator.PeriodKind.choices)
    period_start = models.DateField()
    method_version = models.CharField(max_length=16)
    value = models.FloatField(help_text="The zone's Perceived Safety Index the statistics were computed on.")
    gi_z = models.FloatField(null=True)
    gi_p = models.FloatField(null=True)
    gi_q = models.FloatField(null=True)
    moran_i = models.FloatField(null=True)
    moran_p = models.FloatField(null=True)
    moran_q = models.FloatField(null=True)
    moran_quadrant = models.CharField(max_length=2, blank=True, help_text="HH, LH, LL or HL")
    cluster = models.CharField(max_length=8, choices=Cluster.choices, default=Cluster.NONE)
    neighbours = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "observatory_hotspot"
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "slot", "period_kind", "period_start", "method_version"], name="hotspot_unique_key"
            )
        ]
        indexes = [models.Index(fields=["period_kind", "slot", "period_start"])]

    def __str__(self) -> str:
        return f"{self.cluster} {self.zone_id} {self.slot} {self.period_kind} {self.period_start}"


class Alert(models.Model):
    """A zone x slot whose share feeling safe (or report rate) moved significantly for the worse.

    Keyed by (zone, slot, metric, window, method version), so re-running the alert job never
    duplicates one; acknowledging keeps the alert and records who and when.
    """

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="alerts")
    slot = models.CharField(max_length=32)
    metric = models.CharField(max_length=64)
    window_start = models.DateField(help_text="First night of the current 28-night window.")
    window_end = models.DateField(help_text="Last night of the current 28-night window.")
    method_version = models.CharField(max_length=16)
    baseline = models.FloatField()
    current = models.FloatField()
    baseline_n = models.PositiveIntegerField()
    current_n = models.PositiveIntegerField()
    statistic = models.FloatField()
    p_value = models.FloatField()
    q_value = models.FloatField()
    created_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="acknowledged_alerts"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # What the officer who acknowledged it wrote (required since issue 13: an acknowledgement says what follows);
    # a database default, because compute_alerts inserts alerts in SQL without naming it.
    acknowledged_note = models.TextField(blank=True, default="", db_default="", max_length=1000)

    class Meta:
        db_table = "observatory_alert"
        ordering = ["-window_end", "p_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "slot", "metric", "window_end", "method_version"], name="alert_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"alert {self.metric} {self.zone_id} {self.slot} {self.window_end}"

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None
