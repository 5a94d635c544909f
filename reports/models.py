"""Citizen reports: what people saw or felt, where and when, stamped with zone, night and slot."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from city.i18n import in_language
from city.models import Department

from .privacy import snapped

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


# Statuses whose reports do not count in indicators: rejected as spam, hidden by a moderator, or
# merged into another report (which counts once). Indicator SQL filters with `status <> ALL(...)`.
INDICATOR_EXCLUDED_STATUSES: tuple[str, ...] = ("spam", "hidden", "duplicate")


class CategoryGroup(models.TextChoices):
    LIGHTING = "lighting", _("Lighting and visibility")
    DEGRADED = "degraded", _("Degraded or abandoned places")
    BEHAVIOUR = "behaviour", _("Behaviour")
    MOBILITY = "mobility", _("Mobility")
    NIGHTLIFE = "nightlife", _("Noise and nightlife")
    OTHER = "other", _("Other")


ATTRIBUTE_DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


def _bilingual(definition: dict, key: str) -> str:
    """An attribute definition's text in the active language: ``<key>_it`` / ``<key>_en`` when the definition
    carries them, else the plain Open311 ``<key>`` (which serves both languages)."""
    plain = str(definition.get(key) or "")
    return in_language(str(definition.get(f"{key}_it") or plain), str(definition.get(f"{key}_en") or plain))


class Category(models.Model):
    code = models.SlugField(_("service code"), max_length=64, unique=True, help_text=_("Open311 service_code"))
    name_it = models.CharField(_("name (Italian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    group = models.CharField(_("group"), max_length=100, blank=True, choices=CategoryGroup.choices)
    description_it = models.CharField(_("description (Italian)"), max_length=500, blank=True, db_default="")
    description_en = models.CharField(_("description (English)"), max_length=500, blank=True, db_default="")
    # Departments are rows of city.Department (keyed by their code, which the column has always held).
    default_department = models.ForeignKey(
        "city.Department",
        verbose_name=_("default department"),
        to_field="code",
        db_column="default_department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requires_photo = models.BooleanField(_("photo required"), default=False, db_default=False)
    requires_description = models.BooleanField(_("description required"), default=False, db_default=False)
    keywords = models.CharField(
        _("keywords"), max_length=300, blank=True, db_default="", help_text=_("Comma-separated (Open311 keywords)")
    )
    attributes = models.JSONField(
        _("Open311 attributes"),
        default=list,
        db_default=[],
        blank=True,
        help_text=_(
            "Extra questions as a list of Open311 attribute definitions: code, datatype (string, number, "
            "datetime, text, singlevaluelist, multivaluelist), required, description, order, values. "
            "description_it / description_en (and name_it / name_en on values) give the question in each language."
        ),
    )
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
        return in_language(self.name_it, self.name_en)

    @property
    def description(self) -> str:
        return in_language(self.description_it, self.description_en)

    def questions(self, *, answerable_only: bool = True) -> list[dict]:
        """The extra questions citizens answer (Open311 ``variable`` attributes; with ``answerable_only=False``
        also the informational ones), in order, with their texts in the active language: code, variable,
        datatype, required, label, help, order and values (key, name)."""
        questions = []
        for position, definition in enumerate(self.attributes or []):
            if not isinstance(definition, dict) or not definition.get("code"):
                continue
            variable = bool(definition.get("variable", True))
            if answerable_only and not variable:
                continue
            questions.append(
                {
                    "code": str(definition["code"]),
                    "variable": variable,
                    "datatype": definition.get("datatype")
                    if definition.get("datatype") in ATTRIBUTE_DATATYPES
                    else "string",
                    "required": bool(definition.get("required", False)),
                    "label": _bilingual(definition, "description") or str(definition["code"]),
                    "help": _bilingual(definition, "datatype_description"),
                    "order": int(definition.get("order") or position + 1),
                    "values": [
                        {"key": str(value["key"]), "name": _bilingual(value, "name") or str(value["key"])}
                        for value in definition.get("values") or []
                        if isinstance(value, dict) and "key" in value
                    ],
                }
            )
        return sorted(questions, key=lambda question: question["order"])

    def answers_display(self, answers: dict) -> list[tuple[str, str]]:
        """A report's answers as (question, answer) pairs in the active language, for moderators."""
        shown = []
        for question in self.questions():
            answer = (answers or {}).get(question["code"])
            if answer in (None, "", []):
                continue
            names = {value["key"]: value["name"] for value in question["values"]}
            given = answer if isinstance(answer, list) else [answer]
            shown.append((question["label"], ", ".join(names.get(str(value), str(value)) for value in given)))
        return shown


class ReportQuerySet(models.QuerySet):
    def public(self) -> ReportQuerySet:
        """What the public may see: published by a moderator, not spam, hidden or merged away."""
        return self.filter(is_published=True).exclude(status__in=Report.NOT_PUBLIC_STATUSES)

    def with_public_location(self) -> ReportQuerySet:
        """Annotate ``public_location``: the location snapped to the privacy grid (see privacy.py)."""
        return self.annotate(public_location=snapped("location"))

    def open(self) -> ReportQuerySet:
        return self.filter(status__in=Report.OPEN_STATUSES)

    def added_to(self, report: Report) -> ReportQuerySet:
        """The reports that count once through ``report``: citizens who added their experience to it and reports a
        moderator merged into it (both closed as duplicates of it; a later spam verdict takes one out)."""
        return self.filter(duplicate_of=report, status=Report.Status.DUPLICATE)


class Report(models.Model):
    class Status(models.TextChoices):
        # FixMyStreet's families: open, closed, hidden; plus spam, which moderation rejects.
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        IN_PROGRESS = "in_progress", _("In progress")
        ACTION_SCHEDULED = "action_scheduled", _("Action scheduled")
        RESOLVED = "resolved", _("Resolved")
        NO_FURTHER_ACTION = "no_further_action", _("No further action")
        NOT_RESPONSIBLE = "not_responsible", _("Not our responsibility")
        DUPLICATE = "duplicate", _("Duplicate")
        REFERRED = "referred", _("Referred")
        HIDDEN = "hidden", _("Hidden")
        SPAM = "spam", _("Rejected as spam")

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
        "city.Zone", verbose_name=_("zone"), null=True, on_delete=models.SET_NULL, related_name="reports"
    )
    night = models.DateField(_("night of"))
    slot = models.CharField(_("slot"), max_length=32)
    status = models.CharField(_("status"), max_length=32, choices=Status.choices, default=Status.SUBMITTED)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    # New columns carry database defaults so that set-based inserts (demo seeding) need not name them.
    address = models.CharField(_("address or place"), max_length=255, blank=True, db_default="")
    photo = models.ImageField(_("photo"), upload_to="reports/%Y/%m/", blank=True, db_default="")
    photo_hidden = models.BooleanField(_("photo hidden by a moderator"), default=False, db_default=False)
    media_url = models.URLField(_("media URL (Open311)"), max_length=500, blank=True, db_default="")
    attributes = models.JSONField(_("answers to extra questions"), default=dict, db_default={}, blank=True)
    reporter_name = models.CharField(_("name"), max_length=200, blank=True, db_default="")
    contact_email = models.EmailField(_("e-mail for updates"), blank=True, db_default="")
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True, db_default="")
    contact_consent = models.BooleanField(_("consent to be contacted"), default=False, db_default=False)
    contact_erased_at = models.DateTimeField(_("contact data erased at"), null=True, blank=True)
    submitter_ip = models.GenericIPAddressField(_("submitter IP"), null=True, blank=True)
    open311_token = models.CharField(_("Open311 token"), max_length=40, blank=True, db_default="")
    open311_key = models.ForeignKey(
        "open311.ApiKey", verbose_name=_("Open311 key"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # The department first responsible (the category's default, or the moderator's last choice); every
    # department working on the report has a task in its case (cases.Task).
    department = models.ForeignKey(
        "city.Department",
        verbose_name=_("assigned department"),
        to_field="code",
        db_column="department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The language the citizen wrote in: their e-mails (receipt, updates, questionnaire) are in it.
    language = models.CharField(_("language"), max_length=8, blank=True, db_default="")
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    is_published = models.BooleanField(_("published"), default=False, db_default=False)
    public_description = models.TextField(_("moderated public text"), blank=True, max_length=2000, db_default="")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    objects = ReportQuerySet.as_manager()

    OPEN_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.IN_PROGRESS, Status.ACTION_SCHEDULED)
    CLOSED_STATUSES = (
        Status.RESOLVED,
        Status.NO_FURTHER_ACTION,
        Status.NOT_RESPONSIBLE,
        Status.DUPLICATE,
        Status.REFERRED,
    )
    NOT_PUBLIC_STATUSES = (Status.HIDDEN, Status.SPAM)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            # The indicator engine reads (zone, night) ranges and only these two columns besides:
            # covering them lets a recompute count from the index without visiting the table.
            models.Index(
                fields=["zone", "night", "slot"], include=["perceived_safety", "status"], name="report_zone_night_cover"
            ),
            models.Index(fields=["night"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["-created_at"]),
            # The public lists (REST API, map) read published reports newest first: a partial index whose
            # predicate is exactly ReportQuerySet.public(), so the planner walks it and stops at the page size.
            models.Index(
                fields=["-occurred_at", "-id"],
                name="report_public_list_idx",
                condition=models.Q(is_published=True) & ~models.Q(status__in=["hidden", "spam"]),
            ),
            # Open311 GET requests lists everything but spam by requested_datetime, newest first.
            models.Index(
                fields=["-created_at", "-id"], name="report_open311_list_idx", condition=~models.Q(status="spam")
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    def get_absolute_url(self) -> str:
        return reverse("reports:status", args=[self.tracking_code])

    @property
    def feels_safe(self) -> bool:
        return self.perceived_safety in PerceivedSafety.feeling_safe()

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def open311_status(self) -> str:
        """GeoReport v2 knows only 'open' and 'closed'; hidden and spam read as closed."""
        return "open" if self.is_open else "closed"

    @property
    def is_public(self) -> bool:
        """Whether the public may see this report: the rule of ReportQuerySet.public(), for one report."""
        return self.is_published and self.status not in self.NOT_PUBLIC_STATUSES

    @property
    def counts_in_indicators(self) -> bool:
        return self.status not in INDICATOR_EXCLUDED_STATUSES

    @property
    def photo_url(self) -> str:
        """Where the photo is served (reports.views.report_photo, which checks who may see it); '' without one."""
        return reverse("reports:photo", args=[self.tracking_code]) if self.photo else ""

    @property
    def photo_is_public(self) -> bool:
        """Anyone may see the photo: the report is public and no moderator hid the photo."""
        return bool(self.photo) and self.is_public and not self.photo_hidden

    @property
    def public_photo_url(self) -> str:
        return self.photo_url if self.photo_is_public else ""


class StatusChange(models.Model):
    """One entry of a report's history: who did what, when; public notes are shown on the tracking page."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        PUBLISH = "publish", _("Published")
        SPAM = "spam", _("Rejected as spam")
        MERGE = "merge", _("Merged as duplicate")
        ASSIGN = "assign", _("Assigned")
        STATUS = "status", _("Status changed")
        PHOTO_HIDDEN = "photo_hidden", _("Photo hidden")
        ABUSE = "abuse", _("Abuse reported")
        BLOCKED = "blocked", _("Sender on block list")
        JOIN = "join", _("Added to an existing report")
        JOINED = "joined", _("Another person added their experience")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=32, blank=True, choices=Report.Status.choices)
    to_status = models.CharField(_("to"), max_length=32, blank=True, choices=Report.Status.choices)
    public_note = models.TextField(_("public note"), blank=True, max_length=2000)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.report_id} {self.action} {self.from_status}->{self.to_status}"

    @property
    def detail_display(self) -> str:
        """The detail in the reader's language: an assignment names the department, never its code."""
        if self.action == self.Action.ASSIGN and self.detail:
            department = Department.objects.filter(code=self.detail).first()
            return department.name if department else self.detail
        return self.detail


class BlockedSender(models.Model):
    """An e-mail address or IP whose reports are kept but hidden from the public."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail address")
        IP = "ip", _("IP address")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="blocked_sender_unique")]
        verbose_name = _("blocked sender")
        verbose_name_plural = _("blocked senders")

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"

    def save(self, *args, **kwargs):
        # Normalised so that look-ups are exact: e-mails compare case-insensitively.
        self.value = self.value.strip().lower()
        super().save(*args, **kwargs)


class AbuseFlag(models.Model):
    """A member of the public saying that a published report is abusive; moderators see the count."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="abuse_flags")
    reason = models.TextField(_("what is wrong with it?"), max_length=1000)
    submitter_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("abuse flag")
        verbose_name_plural = _("abuse flags")

    def __str__(self) -> str:
        return f"abuse {self.report_id}"


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
    FEELS_SAFE_MIN = 2  # 'feeling' 2 or 3 counts as feeling (fairly or very) safe in the headline share

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
        "city.Zone", verbose_name=_("zone"), null=True, on_delete=models.SET_NULL, related_name="audits"
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
        return self.feeling >= self.FEELS_SAFE_MIN
