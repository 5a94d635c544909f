"""Citizen reports: what people saw or felt, where and when, stamped with zone, night and slot."""

from __future__ import annotations

import secrets

from django.contrib.gis.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Crockford-like alphabet: no 0/O or 1/I/L, so a code read aloud or typed from paper survives.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_CODE_LENGTH = 8


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


class PerceivedSafety(models.IntegerChoices):
    """The ISTAT BES / UN SDG 16.1.4 scale for 'walking alone after dark'."""

    VERY_SAFE = 4, _("Very safe")
    FAIRLY_SAFE = 3, _("Fairly safe")
    A_BIT_UNSAFE = 2, _("A bit unsafe")
    VERY_UNSAFE = 1, _("Very unsafe")

    @classmethod
    def feeling_safe(cls) -> tuple[int, int]:
        """The values counted as 'feeling safe' in the headline share (very or fairly safe)."""
        return (cls.VERY_SAFE, cls.FAIRLY_SAFE)


# Statuses whose reports do not count in indicators (spam, hidden, merged duplicates). The
# moderation work fills this in; indicator SQL filters with `status <> ALL(...)` on it.
INDICATOR_EXCLUDED_STATUSES: tuple[str, ...] = ()


class Category(models.Model):
    code = models.SlugField(_("service code"), max_length=64, unique=True, help_text=_("Open311 service_code"))
    name_it = models.CharField(_("name (Italian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    group = models.CharField(_("group"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "it").startswith("en") else self.name_it


class Report(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")

    class Source(models.TextChoices):
        WEB = "web", _("Web form")
        API = "api", _("API")
        OPEN311 = "open311", _("Open311")
        IMPORT = "import", _("Import")
        DEMO = "demo", _("Demo data")

    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True, default=new_tracking_code)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    location = models.PointField(_("location"), srid=4326)
    perceived_safety = models.PositiveSmallIntegerField(_("how safe did you feel?"), choices=PerceivedSafety.choices)
    occurred_at = models.DateTimeField(_("when it happened"))
    description = models.TextField(_("description"), blank=True, max_length=2000)
    zone = models.ForeignKey(
        "observatory.Zone", verbose_name=_("zone"), null=True, on_delete=models.SET_NULL, related_name="reports"
    )
    night = models.DateField(_("night of"))
    slot = models.CharField(_("slot"), max_length=32)
    status = models.CharField(_("status"), max_length=32, choices=Status.choices, default=Status.SUBMITTED)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            models.Index(fields=["zone", "night", "slot"]),
            models.Index(fields=["night"]),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    def get_absolute_url(self) -> str:
        return reverse("reports:status", args=[self.tracking_code])

    @property
    def feels_safe(self) -> bool:
        return self.perceived_safety in PerceivedSafety.feeling_safe()


class SafetyAudit(models.Model):
    """A walker's short audit of a place: Safetipin's nine parameters, each scored 0 (worst) to 3 (best)."""

    PARAMETERS = (
        "lighting",
        "openness",
        "visibility",
        "people",
        "security",
        "walk_path",
        "public_transport",
        "gender_diversity",
        "feeling",
    )
    SCORE_CHOICES = [(0, "0"), (1, "1"), (2, "2"), (3, "3")]

    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True, default=new_tracking_code)
    location = models.PointField(_("location"), srid=4326)
    occurred_at = models.DateTimeField(_("when"))
    lighting = models.PositiveSmallIntegerField(_("lighting"), choices=SCORE_CHOICES)
    openness = models.PositiveSmallIntegerField(_("openness"), choices=SCORE_CHOICES)
    visibility = models.PositiveSmallIntegerField(_("visibility"), choices=SCORE_CHOICES)
    people = models.PositiveSmallIntegerField(_("people"), choices=SCORE_CHOICES)
    security = models.PositiveSmallIntegerField(_("security"), choices=SCORE_CHOICES)
    walk_path = models.PositiveSmallIntegerField(_("walk path"), choices=SCORE_CHOICES)
    public_transport = models.PositiveSmallIntegerField(_("public transport"), choices=SCORE_CHOICES)
    gender_diversity = models.PositiveSmallIntegerField(_("gender diversity"), choices=SCORE_CHOICES)
    feeling = models.PositiveSmallIntegerField(_("feeling"), choices=SCORE_CHOICES)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    zone = models.ForeignKey(
        "observatory.Zone", verbose_name=_("zone"), null=True, on_delete=models.SET_NULL, related_name="audits"
    )
    night = models.DateField(_("night of"))
    slot = models.CharField(_("slot"), max_length=32)
    status = models.CharField(
        _("status"), max_length=32, choices=Report.Status.choices, default=Report.Status.SUBMITTED
    )
    source = models.CharField(_("source"), max_length=16, choices=Report.Source.choices, default=Report.Source.WEB)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("safety audit")
        verbose_name_plural = _("safety audits")
        indexes = [models.Index(fields=["zone", "night", "slot"])]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def feels_safe(self) -> bool:
        """Safetipin 'feeling' 2 or 3 counts as feeling (fairly or very) safe in the headline share."""
        return self.feeling >= 2
