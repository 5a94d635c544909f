"""Perceived-safety surveys: versioned instruments, campaigns and their invitations, answers, the resident
population they are weighted to, weighting runs and the estimates the API serves.

The statistics (weights, raking, small-area estimates) are pure functions in ``surveys/estimation.py``; the
rows they read and write are these. An answer always names the instrument version it answered; a published
version is never edited (``services.instrument_version_new_draft`` copies it into a new draft).
"""

from __future__ import annotations

import secrets

from django.contrib.gis.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from city.i18n import in_language
from city.models import Zone

# Invitation codes are printed on letters and typed on phones: no 0/O, 1/I/L, 5/S, 2/Z look-alikes.
INVITATION_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
INVITATION_CODE_LENGTH = 10  # 27**10 ≈ 2·10^14: unguessable for a city's sample

# ISTAT's wording of the headline item (Indagine sulla sicurezza dei cittadini; BES "Percezione di sicurezza").
HEADLINE_IT = "Quanto si sente sicuro/a camminando per strada quando è buio ed è da solo/a nella zona in cui vive?"
HEADLINE_EN = "How safe do you feel walking alone in the street after dark in the area where you live?"


def new_invitation_code() -> str:
    return "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_CODE_LENGTH))


class SafeAfterDark(models.IntegerChoices):
    """The answer to the headline item, coded as ISTAT and the import files code it."""

    # ISTAT's answers: molto / abbastanza / poco / per niente sicuro/a, non esco mai da solo/a quando è buio.
    VERY_SAFE = 4, pgettext_lazy("survey answer", "Very safe")
    FAIRLY_SAFE = 3, pgettext_lazy("survey answer", "Fairly safe")
    A_BIT_UNSAFE = 2, pgettext_lazy("survey answer", "A bit unsafe")
    NOT_SAFE_AT_ALL = 1, pgettext_lazy("survey answer", "Not safe at all")
    NEVER_OUT_ALONE = 0, pgettext_lazy("survey answer", "I never go out alone after dark")

    @classmethod
    def feeling_safe(cls) -> tuple[int, int]:
        """The answers counted as feeling safe (very or fairly safe), in both readings."""
        return (cls.VERY_SAFE, cls.FAIRLY_SAFE)


class NeverOutReading(models.TextChoices):
    """How "I never go out alone after dark" enters the share (docs/methodology.md); both are stored."""

    NOT_SAFE = "not_safe", _("counted as not feeling safe")
    EXCLUDED = "excluded", _("left out of the share")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class AgeBand(models.TextChoices):
    """The 14+ age bands ISTAT publishes its safety indicators in (people aged 14 and over)."""

    A14_17 = "14-17", _("14-17")
    A18_24 = "18-24", _("18-24")
    A25_34 = "25-34", _("25-34")
    A35_44 = "35-44", _("35-44")
    A45_54 = "45-54", _("45-54")
    A55_64 = "55-64", _("55-64")
    A65_74 = "65-74", _("65-74")
    A75_PLUS = "75+", _("75 and over")


# (lowest age, highest age or None) of each band, in order; the one rule for an age's band.
AGE_BAND_LIMITS: dict[str, tuple[int, int | None]] = {
    "14-17": (14, 17),
    "18-24": (18, 24),
    "25-34": (25, 34),
    "35-44": (35, 44),
    "45-54": (45, 54),
    "55-64": (55, 64),
    "65-74": (65, 74),
    "75+": (75, None),
}
SURVEY_MIN_AGE = 14


def age_band_of(age: int) -> str | None:
    """The band of an age in completed years; None under 14 (outside the survey's population)."""
    for band, (low, high) in AGE_BAND_LIMITS.items():
        if age >= low and (high is None or age <= high):
            return band
    return None


class Instrument(models.Model):
    """A questionnaire, across its versions (the text people answer is in ``InstrumentVersion``)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_it = models.CharField(_("name (Italian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("survey instrument")
        verbose_name_plural = _("survey instruments")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_it, self.name_en)


class InstrumentVersionQuerySet(models.QuerySet):
    def published(self) -> InstrumentVersionQuerySet:
        return self.filter(published_at__isnull=False)


class InstrumentVersion(models.Model):
    """One version of a questionnaire: the headline item's wording, the optional profile, its items.

    A draft (``published_at`` empty) may be edited; a published version is frozen, because answers point at
    it. Changing a published questionnaire makes a new draft version (``instrument_version_new_draft``)."""

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    headline_it = models.CharField(_("headline question (Italian)"), max_length=300, default=HEADLINE_IT)
    headline_en = models.CharField(_("headline question (English)"), max_length=300, default=HEADLINE_EN)
    intro_it = models.TextField(_("introduction (Italian)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    ask_sex = models.BooleanField(_("ask sex"), default=True)
    ask_age_band = models.BooleanField(_("ask age band"), default=True)
    ask_zone = models.BooleanField(_("ask zone of residence"), default=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InstrumentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["instrument", "number"]
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="surveys_instrument_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def headline(self) -> str:
        return in_language(self.headline_it, self.headline_en)

    @property
    def intro(self) -> str:
        return in_language(self.intro_it, self.intro_en)


class Item(models.Model):
    """A further question of a version (avoids going out for fear, worry about crime, night slots out...)."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("one answer from a list")
        MULTIPLE = "multiple", _("any answers from a list")
        NIGHT_SLOTS = "night_slots", _("any of the city's time slots")

    version = models.ForeignKey(
        InstrumentVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.SlugField(_("code"), max_length=50, help_text=_("The column name in import files."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    text_it = models.CharField(_("question (Italian)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    # One answer a line: "code | Italian | English" (not used by night-slot items, whose answers are the slots).
    choices_text = models.TextField(
        _("answers"),
        blank=True,
        help_text=_("One answer a line: code | Italian | English. Night-slot items take the city's slots."),
    )
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="surveys_item_code_unique")]

    def __str__(self) -> str:
        return self.code

    @property
    def text(self) -> str:
        return in_language(self.text_it, self.text_en)


class Campaign(models.Model):
    """A round of fieldwork with one instrument version, in one mode."""

    class Mode(models.TextChoices):
        OPEN = "open", _("Open link (self-selected)")
        PROBABILITY = "probability", _("Probability sample (invitation codes)")
        IMPORT = "import", _("Imported (collected elsewhere)")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    title_it = models.CharField(_("title (Italian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    instrument_version = models.ForeignKey(
        InstrumentVersion, verbose_name=_("instrument version"), on_delete=models.PROTECT, related_name="campaigns"
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    zones = models.ManyToManyField(
        Zone, verbose_name=_("zones"), blank=True, related_name="+", help_text=_("Empty: every zone of the city.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "code"]
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="surveys_campaign_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("surveys:answer", args=[self.code])

    @property
    def title(self) -> str:
        return in_language(self.title_it, self.title_en)

    @property
    def self_selected(self) -> bool:
        """Estimates from an open link describe who chose to answer, not the population."""
        return self.mode == self.Mode.OPEN

    def is_open_at(self, instant) -> bool:
        return self.opens_at <= instant and (self.closes_at is None or instant < self.closes_at)


class FrameUnit(models.Model):
    """One person or household of an uploaded sampling frame (the list the probability sample is drawn from)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="frame_units")
    external_id = models.CharField(_("frame id"), max_length=64)
    zone = models.ForeignKey(Zone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("postal address"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=8, default="it")

    class Meta:
        ordering = ["campaign", "zone", "external_id"]
        verbose_name = _("sampling frame unit")
        verbose_name_plural = _("sampling frame units")
        constraints = [models.UniqueConstraint(fields=["campaign", "external_id"], name="surveys_frame_unit_unique")]

    def __str__(self) -> str:
        return self.external_id


class SampleDraw(models.Model):
    """A stratified draw of a campaign's sample: the seed and the allocation reproduce it exactly."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="draws")
    seed = models.BigIntegerField(_("seed"))
    # {zone code: {"population": N_h, "sample": n_h}}; N_h is the frame's count in the zone, or the residents
    # aged 14+ of the population margins when invitations are issued without a frame.
    allocation = models.JSONField(_("allocation"))
    from_frame = models.BooleanField(_("drawn from a frame"))
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-drawn_at"]
        verbose_name = _("sample draw")
        verbose_name_plural = _("sample draws")

    def __str__(self) -> str:
        return f"{self.campaign.code} seed {self.seed}"


class InvitationQuerySet(models.QuerySet):
    def unanswered(self) -> InvitationQuerySet:
        return self.filter(used_at__isnull=True)

    def to_remind(self) -> InvitationQuerySet:
        """Invitees a reminder may go to: e-mailed, with an address, not answered, not opted out."""
        return self.unanswered().filter(emailed_at__isnull=False, opted_out_at__isnull=True).exclude(email="")


class Invitation(models.Model):
    """A single-use code for one sampled person; its stratum and inclusion probability give the design weight."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    draw = models.ForeignKey(SampleDraw, on_delete=models.CASCADE, related_name="invitations")
    code = models.CharField(_("code"), max_length=16, unique=True, default=new_invitation_code)
    zone = models.ForeignKey(Zone, verbose_name=_("stratum (zone)"), on_delete=models.PROTECT, related_name="+")
    frame_unit = models.OneToOneField(
        FrameUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    inclusion_probability = models.FloatField(_("inclusion probability"))
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="it")
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    used_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # The invitee asked not to be written to again (the link in every e-mail): no reminder after that.
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "zone", "code"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=Q(inclusion_probability__gt=0) & Q(inclusion_probability__lte=1),
                name="surveys_invitation_probability_range",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def design_weight(self) -> float:
        return 1.0 / self.inclusion_probability


class Response(models.Model):
    """One person's answers, immutable once written. ``safe_after_dark`` is the headline item (0..4)."""

    class Source(models.TextChoices):
        WEB = "web", _("web questionnaire")
        IMPORT = "import", _("import")

    class ZoneSource(models.TextChoices):
        MAP = "map", _("map")
        LIST = "list", _("list")
        ADDRESS = "address", _("address")
        INVITATION = "invitation", _("invitation stratum")
        IMPORT = "import", _("import")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="responses")
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    respondent_id = models.CharField(_("respondent id"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    language = models.CharField(_("language"), max_length=8, blank=True)
    answered_at = models.DateTimeField(_("answered at"))
    safe_after_dark = models.PositiveSmallIntegerField(_("feels safe after dark"), choices=SafeAfterDark.choices)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, blank=True)
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone of residence"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    zone_source = models.CharField(_("zone given by"), max_length=12, choices=ZoneSource.choices, blank=True)
    # The weight an import file brings (a CATI or paper survey's own design weight); web answers use their
    # invitation's inclusion probability instead.
    design_weight = models.FloatField(_("design weight"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)  # {item code: code or [codes]}
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "answered_at", "id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [models.Index(fields=["campaign", "zone"], name="surveys_response_campaign_zone")]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "respondent_id"],
                condition=~Q(respondent_id=""),
                name="surveys_response_respondent_unique",
            ),
            models.CheckConstraint(condition=Q(safe_after_dark__lte=4), name="surveys_response_safe_range"),
            models.CheckConstraint(
                condition=Q(design_weight__isnull=True) | Q(design_weight__gt=0),
                name="surveys_response_weight_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.code} #{self.pk}"


class PopulationMargin(models.Model):
    """Residents aged 14+ of a zone by sex and age band at a reference date (ISTAT's resident population)."""

    zone = models.ForeignKey(Zone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="+")
    reference_date = models.DateField(_("reference date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices)
    residents = models.PositiveIntegerField(_("residents"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["reference_date", "zone", "sex", "age_band"]
        verbose_name = _("population margin")
        verbose_name_plural = _("population margins")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "reference_date", "sex", "age_band"], name="surveys_population_margin_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.reference_date} {self.sex} {self.age_band}: {self.residents}"


class WeightingRun(models.Model):
    """One weighting of a campaign's answers to the population margins, with how it went.

    ``parameters`` holds what the run was asked (trimming bounds, margins' reference date, the rule for a
    missing sex or age band); ``diagnostics`` what it found (Kish design effect, effective n, weight range,
    per-margin residuals). Filled by the weighting code (``surveys/estimation.py`` and its caller)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="weighting_runs")
    method_version = models.CharField(_("method version"), max_length=32)
    population_reference_date = models.DateField(_("population reference date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    converged = models.BooleanField(_("converged"), null=True)
    iterations = models.PositiveIntegerField(_("iterations"), null=True, blank=True)
    diagnostics = models.JSONField(_("diagnostics"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("weighting run")
        verbose_name_plural = _("weighting runs")

    def __str__(self) -> str:
        return f"{self.campaign.code} {self.started_at:%Y-%m-%d %H:%M}"


class ResponseWeight(models.Model):
    """A response's weight at each step of one run (design, non-response adjusted, raked, trimmed = final)."""

    run = models.ForeignKey(WeightingRun, on_delete=models.CASCADE, related_name="weights")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="weights")
    design_weight = models.FloatField()
    nonresponse_weight = models.FloatField(null=True, blank=True)
    raked_weight = models.FloatField(null=True, blank=True)
    final_weight = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "response"], name="surveys_response_weight_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.response_id}: {self.final_weight:.3f}"


class SurveyEstimate(models.Model):
    """A share feeling safe for a campaign, per zone (or the city: ``zone`` empty), period and slot, by method.

    ``slot`` is empty for the whole night (the headline item has no slot); ``reading`` says how "never goes
    out alone after dark" entered the share. Stored rows, recomputed whole per campaign and method version
    (idempotent); the API reads only these."""

    class Method(models.TextChoices):
        DIRECT = "direct", _("direct (unweighted)")
        WEIGHTED = "weighted", _("weighted (design-based)")
        SMALL_AREA = "small_area", _("small-area (Fay-Herriot)")

    class PeriodKind(models.TextChoices):
        CAMPAIGN = "campaign", _("whole campaign")
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="estimates")
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(_("period kind"), max_length=16, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    slot = models.CharField(_("slot"), max_length=32, blank=True)
    reading = models.CharField(
        _("reading"), max_length=12, choices=NeverOutReading.choices, default=NeverOutReading.NOT_SAFE
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    method_version = models.CharField(_("method version"), max_length=32)
    weighting_run = models.ForeignKey(
        WeightingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="estimates"
    )
    value = models.FloatField(_("value"), null=True, blank=True)  # empty when suppressed
    lower = models.FloatField(_("lower 95% bound"), null=True, blank=True)
    upper = models.FloatField(_("upper 95% bound"), null=True, blank=True)
    standard_error = models.FloatField(_("standard error"), null=True, blank=True)  # sqrt(MSE) for small_area
    n = models.PositiveIntegerField(_("respondents"))
    effective_n = models.FloatField(_("effective n"), null=True, blank=True)
    suppressed = models.BooleanField(_("suppressed (too few answers)"), default=False)
    self_selected = models.BooleanField(_("self-selected sample"), default=False)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        ordering = ["campaign", "period_kind", "period_start", "slot", "reading", "method", "zone"]
        verbose_name = _("survey estimate")
        verbose_name_plural = _("survey estimates")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "campaign",
                    "zone",
                    "period_kind",
                    "period_start",
                    "slot",
                    "reading",
                    "method",
                    "method_version",
                ],
                name="surveys_estimate_unique",
                nulls_distinct=False,  # one city-wide row (zone empty) per key, too
            ),
            models.CheckConstraint(
                condition=Q(suppressed=True) | Q(value__isnull=False), name="surveys_estimate_value_unless_suppressed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.zone_id or 'city'} {self.period_start} {self.method}: {self.value}"


class NationalReference(models.Model):
    """A published national share of people feeling safe walking alone after dark, and how it was measured.

    The same question gives different shares in different instruments (ISTAT's annual *Aspetti della vita
    quotidiana*, self-completed, against the periodic *Sicurezza dei cittadini*, by interview: 62.0% and
    76.0% in the same years), so a city's survey is set only against the reference collected the same way
    (``collection``), and the reporters' share against none."""

    class Collection(models.TextChoices):
        SELF_COMPLETED = "self_completed", _("self-completed (paper or web)")
        INTERVIEW = "interview", _("by interviewer (telephone or face to face)")

    survey = models.CharField(_("survey"), max_length=200)
    year = models.CharField(_("year"), max_length=16, help_text=_("The reference year or years, e.g. 2022-23."))
    mode = models.CharField(_("mode"), max_length=100, help_text=_("How the answers were collected, e.g. CATI/CAPI."))
    collection = models.CharField(_("collection"), max_length=16, choices=Collection.choices)
    population = models.CharField(_("population"), max_length=200)
    value = models.FloatField(_("share feeling safe"), help_text=_("Very or fairly safe, 0 to 1."))
    source = models.CharField(_("source"), max_length=300)

    class Meta:
        ordering = ["collection", "-year"]
        verbose_name = _("national reference")
        verbose_name_plural = _("national references")
        constraints = [
            models.UniqueConstraint(fields=["survey", "year"], name="surveys_national_reference_unique"),
            models.CheckConstraint(condition=Q(value__gte=0) & Q(value__lte=1), name="surveys_reference_share"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} {self.year}: {100 * self.value:.1f}%"
