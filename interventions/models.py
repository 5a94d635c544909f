"""What the city or a partner did in a place (a lamp repaired, patrols added, a funded project), and when."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class InterventionQuerySet(models.QuerySet):
    def effective(self) -> InterventionQuerySet:
        """Interventions that happened (or are under way): what the estimator treats as a treatment."""
        return self.filter(cancelled=False)

    def touching_zones(self, zone_ids) -> InterventionQuerySet:
        return self.filter(zones__in=zone_ids).distinct()

    def active_between(self, first: dt.date, last: dt.date) -> InterventionQuerySet:
        """Interventions running at some point between ``first`` and ``last`` (an open end runs on)."""
        return self.filter(start_on__lte=last).filter(Q(end_on__isnull=True) | Q(end_on__gte=first))


class Intervention(models.Model):
    class Kind(models.TextChoices):
        LIGHTING_REPAIR = "lighting_repair", _("Lighting repair")
        PATROLS = "patrols", _("Patrols")
        EVENT = "event", _("Event")
        CLEANING = "cleaning", _("Cleaning")
        REGENERATION = "regeneration", _("Regeneration works")
        SOCIAL_SERVICE = "social_service", _("Social service")
        GRANT_PROJECT = "grant_project", _("Grant-funded project")
        OTHER = "other", _("Other")

    what = models.CharField(_("what"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.OTHER)
    department = models.ForeignKey(
        "city.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    partner = models.CharField(
        _("carried out by (partner)"),
        max_length=200,
        blank=True,
        help_text=_("An organisation outside the city's departments, if it carried out the intervention."),
    )
    place = models.GeometryField(_("place"), srid=4326, help_text=_("A point, a line or an area."))
    zones = models.ManyToManyField(
        "city.Zone", verbose_name=_("zones"), blank=True, related_name="interventions", editable=False
    )
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"), null=True, blank=True)
    night_time = models.BooleanField(_("night-time"), default=False)
    cost = models.DecimalField(_("cost (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True)
    cancelled = models.BooleanField(
        _("cancelled"), default=False, help_text=_("It did not happen (a withdrawn project): not measured.")
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interventions",
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InterventionQuerySet.as_manager()

    class Meta:
        ordering = ["-start_on", "-id"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="interventions_dates_in_order",
            ),
            models.CheckConstraint(condition=Q(cost__isnull=True) | Q(cost__gte=0), name="interventions_cost_nonneg"),
        ]

    def __str__(self) -> str:
        return self.what

    def get_absolute_url(self) -> str:
        return reverse("interventions:detail", args=[self.pk])
