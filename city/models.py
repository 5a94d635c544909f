"""The base of every app: the zones of the city and the ledger of what derived data is stale."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _

from city.i18n import in_language

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
        db_table = "observatory_zone"  # the table predates the city app (migrations keep its rows)
        ordering = ["name"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


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
        db_table = "observatory_stalezonenight"
        constraints = [models.UniqueConstraint(fields=["zone", "night"], name="stale_zone_night_unique")]

    def __str__(self) -> str:
        return f"stale {self.zone_id} {self.night}"


class OutboundEmailQuerySet(models.QuerySet):
    def due(self, now) -> OutboundEmailQuerySet:
        """Messages not yet sent whose next attempt is due, oldest first (what the sweep sends)."""
        return self.filter(sent_at__isnull=True, given_up=False, next_attempt_at__lte=now).order_by("id")

    def waiting(self) -> OutboundEmailQuerySet:
        return self.filter(sent_at__isnull=True, given_up=False)


class OutboundEmail(models.Model):
    """One e-mail the observatory owes someone, written in the same transaction as the change it reports.

    A Celery task sends it after commit; if the mail server refuses or is down, the row stays and the sweep
    (``city.tasks.send_due_emails``, every minute) retries it with a growing delay, so no notification is lost
    to a failure of the mail server or of the broker. The recipient's language is chosen by the caller when it
    renders the text (``city.outbox.queue_email``)."""

    to = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True, default="")
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    # What the message is about, for staff and metrics: "report.receipt", "case.task_assigned", ...
    kind = models.CharField(_("kind"), max_length=64, blank=True, default="")
    reference = models.CharField(_("reference"), max_length=120, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    given_up = models.BooleanField(_("given up"), default=False)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind or 'e-mail'} to {self.to}"


class DepartmentQuerySet(models.QuerySet):
    def active(self) -> DepartmentQuerySet:
        return self.filter(active=True)

    def covering_zone(self, zone_id: int | None) -> DepartmentQuerySet:
        """Active departments whose zones include ``zone_id`` (none for a place outside every zone)."""
        if zone_id is None:
            return self.none()
        return self.active().filter(zones=zone_id).distinct()

    def of_user(self, user) -> DepartmentQuerySet:
        """The departments ``user`` belongs to, in any role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user).distinct()


class Department(models.Model):
    """A body the city works with on safety: a department, a district council, a police district or a partner.

    Data, not code: an administrator adds one in the admin. ``code`` is the stable key reports and Open311
    carry (the five departments of the first releases keep their old codes)."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("City department")
        DISTRICT_COUNCIL = "district_council", _("District council")
        POLICE_DISTRICT = "police_district", _("Police district")
        PARTNER = "partner", _("Partner organisation")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_it = models.CharField(_("name (Italian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.DEPARTMENT)
    inbox_email = models.EmailField(_("inbox e-mail"), blank=True, default="")
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    zones = models.ManyToManyField(Zone, verbose_name=_("zones covered"), blank=True, related_name="departments")
    active = models.BooleanField(_("active"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["name_it"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_it, self.name_en)

    @property
    def is_partner(self) -> bool:
        return self.kind == self.Kind.PARTNER


class DepartmentMembership(models.Model):
    """A user working in a department: a member works its queue, a coordinator also assigns inside it."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        COORDINATOR = "coordinator", _("Coordinator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    daily_digest = models.BooleanField(
        _("daily digest"), default=False, help_text=_("One e-mail a day with the department's open and late tasks.")
    )
    language = models.CharField(
        _("e-mail language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        ordering = ["department", "user"]
        verbose_name = _("department membership")
        verbose_name_plural = _("department memberships")
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} ({self.get_role_display()})"

    @property
    def is_coordinator(self) -> bool:
        return self.role == self.Role.COORDINATOR
