"""Core models: zones of the city and the derived indicator tables."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

# The zone of a point, for set-based SQL (bulk imports, seeding, re-stamping). It must agree with
# ZoneQuerySet.covering(): ST_Covers, so a point on a shared border belongs to both candidates and
# the lowest id wins; a point outside every zone gets NULL.
ZONE_FOR_POINT_SQL = "(SELECT z.id FROM observatory_zone z WHERE ST_Covers(z.geom, {point}) ORDER BY z.id LIMIT 1)"


class ZoneQuerySet(models.QuerySet):
    def covering(self, point: Point) -> ZoneQuerySet:
        """Zones whose boundary or interior contains the point, lowest id first."""
        return self.filter(geom__covers=point).order_by("id")

    def with_codes(self, codes: Iterable[str]) -> ZoneQuerySet:
        """Zones whose code is one of ``codes``, as typed by a person: a code no zone can have (one with a
        NUL, which PostgreSQL refuses in any text, or longer than the column) simply matches nothing."""
        limit = self.model._meta.get_field("code").max_length
        return self.filter(code__in=[c for c in codes if "\x00" not in c and len(c) <= limit])

    def zone_for_point(self, point: Point) -> Zone | None:
        """The one zone a point is stamped with: lowest id on a shared border, None outside."""
        return self.covering(point).first()


class Zone(models.Model):
    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        DISTRICT = "district", _("District")
        STATISTICAL_ZONE = "statistical_zone", _("Statistical zone")
        HEX = "hex", _("Hexagonal cell")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.OTHER)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    geom = models.MultiPolygonField(_("boundary"), srid=4326, spatial_index=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ZoneQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "period_kind", "period_start", "slot", "metric", "method_version"],
                name="indicator_unique_key",
            )
        ]
        indexes = [models.Index(fields=["metric", "period_kind", "slot", "period_start"])]

    def __str__(self) -> str:
        return f"{self.metric} {self.zone_id} {self.period_kind} {self.period_start} {self.slot} = {self.value}"


class StaleZoneNight(models.Model):
    """A (zone, night) whose indicators must be recomputed; written in the same transaction as the raw row."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE)
    night = models.DateField()
    marked_at = models.DateTimeField(auto_now_add=True)
    # What changed: citizens' reports or audits, sensor readings, or both. A recompute after reports
    # alone leaves the sensor medians (the costliest part) as they are; they cannot have changed.
    citizens = models.BooleanField(default=True, db_default=True)
    sensors = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "night"], name="stale_zone_night_unique")]

    def __str__(self) -> str:
        return f"stale {self.zone_id} {self.night}"


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

    class Meta:
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


@receiver([post_save, post_delete], sender=Zone)
def _zone_changed(**kwargs) -> None:
    """Pages cache derived data per zone under the indicator data version: a changed zone moves it on."""
    from .indicators import bump_data_version

    transaction.on_commit(bump_data_version)
