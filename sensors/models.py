"""Sensor feeds: kinds of sensor, the devices themselves, and their readings.

Vocabulary follows OGC SensorThings where it fits: a ``Sensor`` is a Thing with one Datastream
(its kind says the observed property and unit) and a ``Reading`` is an Observation whose
``observed_at`` is the ``phenomenonTime`` and ``value`` the ``result``.

Readings are the one large table of the observatory (years of 15-minute readings from hundreds of
devices), so ``sensors_reading`` is partitioned by month on ``observed_at`` with a BRIN index on
time. Django cannot declare partitioning: migration 0001 creates the table with RunSQL and the
``Reading`` model below only describes it (see ``partitions.py``).
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.gis.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from city.i18n import in_language
from city.models import Zone

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh sensor token (43 URL-safe characters, 256 random bits); only its hash is stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    # A plain SHA-256 is enough: the token is 256 random bits, so there is nothing to brute-force,
    # and a fast hash keeps the per-request lookup to one indexed equality.
    return hashlib.sha256(token.encode()).hexdigest()


class IndicatorMetric(models.TextChoices):
    """What a kind of sensor tells the indicators (the sensor medians of the method)."""

    ILLUMINANCE = "illuminance", _("Illuminance (lighting)")
    FOOTFALL = "footfall", _("Footfall (people around)")
    NOISE = "noise", _("Noise level")
    NONE = "none", _("Not used by indicators")


class SensorKind(models.Model):
    """A kind of sensor: what it measures (a SensorThings ObservedProperty), its unit and valid range."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_it = models.CharField(_("name (Italian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    observed_property = models.CharField(
        _("observed property"),
        max_length=80,
        help_text=_("Name in the FIWARE / SensorThings models, e.g. LAeq, peopleCount, illuminance."),
    )
    unit = models.CharField(_("unit"), max_length=40, help_text=_("Unit of measurement, e.g. lx, dB(A), people."))
    valid_min = models.FloatField(_("lowest valid value"))
    valid_max = models.FloatField(_("highest valid value"))
    expected_interval_seconds = models.PositiveIntegerField(
        _("expected interval (seconds)"), default=900, help_text=_("How often a working sensor sends a reading.")
    )
    indicator_metric = models.CharField(
        _("feeds the indicator"), max_length=20, choices=IndicatorMetric.choices, default=IndicatorMetric.NONE
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("sensor kind")
        verbose_name_plural = _("sensor kinds")
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_min__lte=models.F("valid_max")), name="kind_valid_range"),
            models.CheckConstraint(condition=models.Q(expected_interval_seconds__gt=0), name="kind_interval_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    @property
    def name(self) -> str:
        return in_language(self.name_it, self.name_en)


class SensorQuerySet(models.QuerySet):
    def accepting_readings(self) -> SensorQuerySet:
        return self.filter(active=True, removed_on__isnull=True)

    def silent(self) -> SensorQuerySet:
        return self.filter(silent=True)


class Sensor(models.Model):
    """A device in the street (a SensorThings Thing with its Datastream), authenticated by its token."""

    external_id = models.CharField(
        _("external id"), max_length=100, unique=True, help_text=_("The vendor's or the city's id of the device.")
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.ForeignKey(SensorKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="sensors")
    location = models.PointField(_("location"), srid=4326)
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), null=True, blank=True, on_delete=models.SET_NULL, related_name="sensors"
    )
    active = models.BooleanField(_("active"), default=True)
    installed_on = models.DateField(_("installed on"), default=timezone.localdate)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last reading at"), null=True, blank=True, editable=False)
    silent = models.BooleanField(
        _("silent"),
        default=False,
        editable=False,
        help_text=_("No reading for longer than a few expected intervals during night hours."),
    )
    silent_since = models.DateTimeField(_("silent since"), null=True, blank=True, editable=False)
    # SHA-256 of the token; empty when the token is revoked (then nothing authenticates as this sensor).
    token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    token_created_at = models.DateTimeField(_("token created at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SensorQuerySet.as_manager()

    class Meta:
        ordering = ["external_id"]
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")

    def __str__(self) -> str:
        return self.external_id

    @property
    def accepts_readings(self) -> bool:
        return self.active and self.removed_on is None

    @property
    def has_token(self) -> bool:
        return bool(self.token_hash)


class Quality(models.TextChoices):
    OK = "ok", _("Good")
    SUSPECT = "suspect", _("Suspect")


class Reading(models.Model):
    """One observation of a sensor; (sensor, observed_at) is the key, so a retried batch is harmless.

    The table is partitioned by month (see migration 0001 and ``partitions.py``). The foreign keys
    have no database constraint (migration 0003: a per-row check cost more than the insert itself;
    every writer stamps sensor and zone from the sensors table) and are DO_NOTHING for Django; a
    statement-level trigger deletes a deleted sensor's readings in one DELETE.
    """

    pk = models.CompositePrimaryKey("sensor", "observed_at")
    sensor = models.ForeignKey(Sensor, on_delete=models.DO_NOTHING, db_constraint=False, related_name="readings")
    observed_at = models.DateTimeField()
    value = models.FloatField()
    zone = models.ForeignKey(Zone, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    night = models.DateField()
    slot = models.CharField(max_length=32)
    quality = models.CharField(max_length=16, choices=Quality.choices, db_default=Quality.OK)
    received_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.observed_at:%Y-%m-%d %H:%M} = {self.value}"
