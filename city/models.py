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
    # The district as people name it ("Circoscrizione 8"), shown beside the zone's name on citizens' pages.
    district = models.CharField(_("district"), max_length=200, blank=True, default="", db_default="")
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

    @property
    def place_label(self) -> str:
        """The zone as a citizen knows it: its name and its district, never only a code."""
        district = self.district or (self.parent.name if self.parent_id and self.parent else "")
        return f"{self.name}, {district}" if district and district != self.name else self.name


# Accents and case ignored when a person types a street name: "liberta" finds "Via della Libertà". unaccent()
# is only STABLE, so migration 0003 wraps it in an IMMUTABLE function that a trigram index may use.
STREET_SEARCH_SQL = "city_search_text({column})"


class StreetQuerySet(models.QuerySet):
    def matching(self, text: str, *, limit: int = 8) -> list[Street]:
        """Streets whose name resembles ``text`` (trigram word similarity, accents and case ignored), best first.

        Each street carries ``point``: a point on the street near its middle, where a pin is placed."""
        from django.db import connection, transaction

        typed = " ".join(text.split())[:100]
        if len(typed) < 2 or "\x00" in typed:
            return []
        with transaction.atomic(), connection.cursor() as cursor:
            # word_similarity with the <% operator uses the GIN trigram index; the threshold is pg_trgm's 0.6
            # for suggestions while typing, lowered for one statement so that a short prefix still finds streets.
            cursor.execute("SET LOCAL pg_trgm.word_similarity_threshold = 0.45")
            cursor.execute(
                f"""
                SELECT s.id, s.name, ST_X(p.point), ST_Y(p.point),
                       word_similarity(city_search_text(%s), {STREET_SEARCH_SQL.format(column="s.name")}) AS score
                FROM city_street s,
                     LATERAL (SELECT ST_ClosestPoint(s.geom, ST_Centroid(s.geom)) AS point) p
                WHERE city_search_text(%s) <%% {STREET_SEARCH_SQL.format(column="s.name")}
                ORDER BY score DESC, length(s.name), s.name, s.id
                LIMIT %s
                """,
                [typed, typed, limit],
            )
            rows = cursor.fetchall()
        streets = []
        for street_id, name, lon, lat, score in rows:
            street = Street(id=street_id, name=name)
            street.point = Point(lon, lat, srid=4326)
            street.score = score
            streets.append(street)
        return streets

    def nearest(self, point: Point, *, within_m: float) -> Street | None:
        """The street closest to ``point`` if one runs within ``within_m`` metres (on the ground), else None.

        The GiST index finds the few nearest by degrees (``<->``); metres are then measured as geography."""
        candidates = self.extra(
            where=["ST_DWithin(city_street.geom::geography, ST_GeomFromEWKB(%s)::geography, %s)"],
            params=[bytes(point.ewkb), within_m],
            select={"knn": "city_street.geom <-> ST_GeomFromEWKB(%s)"},
            select_params=[bytes(point.ewkb)],
        )
        return candidates.order_by("knn", "id").first()


class Street(models.Model):
    """One street of the city's register (imported with ``import_streets``): the offline address search."""

    name = models.CharField(_("name"), max_length=200)
    geom = models.MultiLineStringField(_("geometry"), srid=4326, spatial_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StreetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("street")
        verbose_name_plural = _("streets")

    def __str__(self) -> str:
        return self.name


def house_number_text(number: int, suffix: str = "") -> str:
    """A house number as Italian addresses write it: 12, 12/A, 12/2, 12 bis."""
    if not suffix:
        return str(number)
    if len(suffix) == 1 or suffix.isdigit():
        return f"{number}/{suffix.upper()}"
    return f"{number} {suffix.lower()}"


class CivicNumberQuerySet(models.QuerySet):
    def on_street(self, street_name: str, number: int, suffix: str = "") -> CivicNumber | None:
        """The civic number ``number`` (with its ``suffix``, "A", "bis"...) of the street named ``street_name``,
        accents, case and spacing ignored; the lowest id when the register lists one twice (two entrances)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT id, street_name, number, suffix, ST_X(point), ST_Y(point) FROM city_civicnumber
                WHERE {STREET_SEARCH_SQL.format(column="street_name")} = city_search_text(%s)
                  AND number = %s AND lower(suffix) = lower(%s)
                ORDER BY id LIMIT 1
                """,
                [" ".join(street_name.split()), number, suffix],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        civic_id, name, number, suffix, lon, lat = row
        return CivicNumber(
            id=civic_id, street_name=name, number=number, suffix=suffix, point=Point(lon, lat, srid=4326)
        )


class CivicNumber(models.Model):
    """One house number of the city's civic-number register (``import_civic_numbers``, as ANNCSU publishes it):
    where "Via Roma 12" is. Kept by street name, not by a key to ``Street``, so that either register can be
    imported again without the other."""

    street_name = models.CharField(_("street"), max_length=200)
    number = models.PositiveIntegerField(_("number"))
    suffix = models.CharField(
        _("suffix"), max_length=10, blank=True, help_text=_('After the number: "A", "bis", or "2" for 12/2.')
    )
    point = models.PointField(_("place"), srid=4326)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CivicNumberQuerySet.as_manager()

    class Meta:
        ordering = ["street_name", "number", "suffix", "id"]
        verbose_name = _("civic number")
        verbose_name_plural = _("civic numbers")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How the address is written: "Via Roma 12", "Via Roma 12/A"."""
        return f"{self.street_name} {house_number_text(self.number, self.suffix)}"


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
