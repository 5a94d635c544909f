"""Grants: calls for proposals, applications and their evaluation, funded projects and their money.

Money is ``Decimal`` in ``numeric(14, 2)`` columns. A project commits its grant minus what it released
(a withdrawn project gives back what it was not paid). The money invariants (a call never commits more
than its budget; a project is never paid more than it commits, nor less than nothing) are checked by
the services under a row lock and, as a backstop, by database triggers (migrations 0002 and 0005), so
no code path, admin form or concurrent writer can break them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from city.i18n import in_language

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


def _money_sum(queryset, group: str, field: str):
    """A correlated ``coalesce(sum(field), 0)`` subquery over ``queryset`` (filtered by OuterRef on ``group``)."""
    return Coalesce(
        Subquery(queryset.order_by().values(group).annotate(total=Sum(field)).values("total")[:1]),
        Value(ZERO),
        output_field=DecimalField(**MONEY),
    )


class CallQuerySet(models.QuerySet):
    def with_budget(self) -> CallQuerySet:
        """Each call with its money: ``granted`` (to its projects), ``released`` (given back by withdrawn
        projects), ``committed`` (granted - released), ``disbursed`` and ``remaining`` (budget - committed).

        Correlated aggregates rather than joins, so the sums are not multiplied by each other.
        """
        granted = Project.objects.filter(call=OuterRef("pk"))
        released = GrantRelease.objects.filter(project__call=OuterRef("pk"))
        disbursed = Disbursement.objects.filter(project__call=OuterRef("pk"))
        return (
            self.annotate(
                granted=_money_sum(granted, "call", "granted_amount"),
                released=_money_sum(released, "project__call", "amount"),
                disbursed=_money_sum(disbursed, "project__call", "amount"),
            )
            .annotate(committed=models.F("granted") - models.F("released"))
            .annotate(remaining=models.F("budget") - models.F("committed"))
        )


class Call(models.Model):
    class Kind(models.TextChoices):
        SOCIAL_INNOVATION = "social_innovation", _("Social innovation")
        INFRASTRUCTURE_REGENERATION = "infrastructure_regeneration", _("Regeneration of social infrastructure")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title_it = models.CharField(_("title (Italian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    budget = models.DecimalField(_("budget (EUR)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    eligibility = models.TextField(_("eligibility"), blank=True)
    published_at = models.DateTimeField(
        _("published"), null=True, blank=True, help_text=_("Empty while the call is a draft the public does not see.")
    )
    minimum_score = models.DecimalField(
        _("minimum weighted score (0-10)"), max_digits=4, decimal_places=2, default=Decimal("6.00"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
        help_text=_("Applications scoring below it are not eligible for funding."),
    )  # fmt: skip
    legal_basis = models.CharField(
        _("legal basis"), max_length=300, blank=True,
        help_text=_("The norm or act the grants are given under (published with each grant, art. 27)."),
    )  # fmt: skip
    selection_method = models.CharField(
        _("selection method"), max_length=300, blank=True, default="Avviso pubblico con graduatoria di merito"
    )
    ranking_act_number = models.CharField(_("ranking approval act number"), max_length=50, blank=True)
    ranking_act_date = models.DateField(_("ranking approval act date"), null=True, blank=True)
    ranking_published_at = models.DateTimeField(_("ranking published"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_on", "id"]
        verbose_name = _("call for proposals")
        verbose_name_plural = _("calls for proposals")
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="grants_call_budget_positive"),
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="grants_call_dates_in_order"),
            models.CheckConstraint(
                condition=Q(minimum_score__gte=0) & Q(minimum_score__lte=10), name="grants_call_minimum_score_0_10"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return in_language(self.title_it, self.title_en)

    def get_absolute_url(self) -> str:
        return reverse("grants:call", args=[self.pk])


class Criterion(models.Model):
    """An evaluation criterion of a call; weights are normalised to sum to 1 when scores are combined."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=200)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )

    class Meta:
        ordering = ["call", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="grants_criterion_weight_positive"),
            models.UniqueConstraint(fields=["call", "name"], name="grants_criterion_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class CommissionMember(models.Model):
    """An evaluator the administrator assigned to a call's commission.

    Before seeing any application the member signs a declaration on conflicts of interest
    (art. 6-bis L. 241/1990, DPR 62/2013 art. 7); one who declares a conflict never scores in the call.
    """

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="commission")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("evaluator"), on_delete=models.PROTECT)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    declared_at = models.DateTimeField(_("declaration signed at"), null=True, blank=True, editable=False)
    has_conflict = models.BooleanField(_("declared a conflict of interest"), null=True, blank=True, editable=False)
    declaration = models.TextField(_("declaration"), blank=True, editable=False)

    class Meta:
        ordering = ["call", "id"]
        verbose_name = _("commission member")
        verbose_name_plural = _("evaluation commission")
        constraints = [models.UniqueConstraint(fields=["call", "evaluator"], name="grants_commission_one_seat")]

    def __str__(self) -> str:
        return f"{self.evaluator} ({self.call_id})"

    @property
    def may_score(self) -> bool:
        return self.declared_at is not None and self.has_conflict is False


# CUP (L. 3/2003 art. 11): 15 characters, a letter (the issuing subject), two digits, a letter (the nature of
# the intervention), the two digits of the year, nine digits of serial number and check (e.g. C11G06000000001).
CUP_PATTERN = r"^[A-Z][0-9]{2}[A-Z][0-9]{11}$"


class Organisation(models.Model):
    """An applicant and, once funded, a beneficiary: who it is and the checks a payment to it needs.

    The tax code of an organisation is published with its grants (D.lgs. 33/2013 art. 27); a natural
    person's name and tax code never are.
    """

    class AntimafiaStatus(models.TextChoices):
        NOT_REQUESTED = "not_requested", _("Not requested")
        REQUESTED = "requested", _("Requested, pending")
        CLEARED = "cleared", _("Cleared (no impediments)")
        REFUSED = "refused", _("Impediments found")

    name = models.CharField(_("name"), max_length=200)
    tax_code = models.CharField(_("tax code"), max_length=16, unique=True)
    natural_person = models.BooleanField(
        _("natural person"), default=False, help_text=_("A natural person's name and tax code are never published.")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="it")
    durc_valid_until = models.DateField(_("DURC valid until"), null=True, blank=True)
    antimafia_status = models.CharField(
        _("anti-mafia check"), max_length=16, choices=AntimafiaStatus.choices, default=AntimafiaStatus.NOT_REQUESTED
    )
    antimafia_checked_on = models.DateField(_("anti-mafia check date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(tax_code__regex=r"^([0-9]{11}|[A-Z0-9]{16})$"), name="grants_organisation_tax_code_form"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"

    @property
    def public_name(self) -> str:
        return str(_("Natural person (name not published)")) if self.natural_person else self.name


class ApplicationQuerySet(models.QuerySet):
    def with_weighted_score(self) -> ApplicationQuerySet:
        """``weighted_score``: per criterion the mean of the evaluators' scores, combined by normalised weights.

        NULL until every criterion of the call has at least one score.
        """
        return self.annotate(
            weighted_score=RawSQL(
                """
                    SELECT CASE WHEN count(*) = (SELECT count(*) FROM grants_criterion c2
                                                 WHERE c2.call_id = grants_application.call_id)
                                THEN sum(m.weight * m.mean_score) / nullif(sum(m.weight), 0) END
                    FROM (SELECT c.weight, avg(s.score) AS mean_score
                          FROM grants_score s JOIN grants_criterion c ON c.id = s.criterion_id
                          WHERE s.application_id = grants_application.id
                          GROUP BY c.id, c.weight) m
                """,
                [],
                output_field=DecimalField(max_digits=8, decimal_places=4),
            )
        )


class Application(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ELIGIBLE = "eligible", _("Eligible")
        INELIGIBLE = "ineligible", _("Ineligible")
        SCORED = "scored", _("Scored")
        RANKED = "ranked", _("Ranked")
        FUNDED = "funded", _("Funded")
        NOT_FUNDED = "not_funded", _("Not funded")
        WITHDRAWN = "withdrawn", pgettext_lazy("application", "Withdrawn")

    # The workflow: which status may follow which. FUNDED is reached only through project_award.
    TRANSITIONS = {
        Status.SUBMITTED: {Status.ELIGIBLE, Status.INELIGIBLE},
        Status.ELIGIBLE: {Status.SCORED, Status.INELIGIBLE},
        Status.INELIGIBLE: set(),
        Status.SCORED: {Status.RANKED},
        Status.RANKED: {Status.FUNDED, Status.NOT_FUNDED},
        Status.FUNDED: set(),
        Status.NOT_FUNDED: set(),
        # Only the applicant withdraws, before the deadline (grants.applicants.services.application_withdraw).
        Status.WITHDRAWN: set(),
    }

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="applications")
    organisation = models.CharField(_("applicant organisation"), max_length=200)
    applicant = models.ForeignKey(
        Organisation,
        verbose_name=_("applicant (registry)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    # Personal data: never shown outside the admin, never exported to the public.
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=5000)
    requested_amount = models.DecimalField(
        _("requested amount (EUR)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    co_financing = models.DecimalField(
        _("co-financing (EUR)"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    sites = models.GeometryCollectionField(_("proposed sites"), srid=4326)
    night_service = models.BooleanField(_("night-time service"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True, editable=False)
    outcome_reason = models.TextField(
        _("reason of the outcome"),
        blank=True,
        help_text=_("Why the application is not eligible: the applicant sees it."),
    )
    submitted_on = models.DateField(_("submitted on"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["call", "rank", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(condition=Q(requested_amount__gt=0), name="grants_application_requested_positive"),
            models.CheckConstraint(condition=Q(co_financing__gte=0), name="grants_application_cofinancing_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.organisation})"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.Status(self.status), set())


def attachment_path(instance: ApplicationAttachment, filename: str) -> str:
    return f"grants/applications/{instance.application_id}/{filename}"


class ApplicationAttachment(models.Model):
    """A PDF of an application (checked by its magic bytes and size in ``services.attachment_add``)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


def stored_document_release(storage, name: str) -> bool:
    """Delete a stored document once no row names it any more, neither an application's attachment nor an
    online draft's (a submitted online application shares its draft's files): True when it was deleted."""
    from grants.applicants.models import DraftAttachment  # imported at the end of this module

    if ApplicationAttachment.objects.filter(file=name).exists() or DraftAttachment.objects.filter(file=name).exists():
        return False
    storage.delete(name)
    return True


@receiver(post_delete, sender=ApplicationAttachment)
def _attachment_deleted(sender, instance: ApplicationAttachment, **kwargs) -> None:
    """The stored PDF goes with its last row, once the deletion has committed (a rollback keeps both)."""
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: stored_document_release(storage, name))


class ApplicationEvent(models.Model):
    """One step of an application's workflow: who moved it, when, from which status to which."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["application", "at", "id"]
        verbose_name = _("workflow event")
        verbose_name_plural = _("workflow events")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status or '-'} -> {self.to_status}"


class Score(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT)
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("evaluator"), on_delete=models.PROTECT)
    score = models.DecimalField(
        _("score (0-10)"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
    )
    reason = models.TextField(_("reason (motivazione)"), blank=True)
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=10), name="grants_score_0_10"),
            models.UniqueConstraint(
                fields=["application", "criterion", "evaluator"], name="grants_score_one_per_evaluator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name}: {self.score}"


class ProjectQuerySet(models.QuerySet):
    def with_money(self) -> ProjectQuerySet:
        """Each project with ``disbursed`` (tranches and corrections), ``released`` (given back to the call),
        ``committed`` (granted - released) and ``to_disburse`` (committed - disbursed)."""
        disbursed = Disbursement.objects.filter(project=OuterRef("pk"))
        released = GrantRelease.objects.filter(project=OuterRef("pk"))
        return (
            self.annotate(
                disbursed=_money_sum(disbursed, "project", "amount"),
                released=_money_sum(released, "project", "amount"),
            )
            .annotate(committed=models.F("granted_amount") - models.F("released"))
            .annotate(to_disburse=models.F("committed") - models.F("disbursed"))
        )

    def public(self) -> ProjectQuerySet:
        return self.select_related("call", "organisation").annotate(zone_count=Count("zones", distinct=True))


class Project(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    application = models.OneToOneField(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="project"
    )
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="projects")
    beneficiary = models.CharField(_("beneficiary"), max_length=200)
    title_it = models.CharField(_("title (Italian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    description_it = models.TextField(_("public description (Italian)"), blank=True)
    description_en = models.TextField(_("public description (English)"), blank=True)
    granted_amount = models.DecimalField(_("granted amount (EUR)"), **MONEY)
    co_financing = models.DecimalField(_("co-financing (EUR)"), **MONEY, default=ZERO)
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    sites = models.GeometryCollectionField(_("sites"), srid=4326)
    zones = models.ManyToManyField(
        "city.Zone", verbose_name=_("zones"), blank=True, related_name="grant_projects", editable=False
    )
    night_service = models.BooleanField(_("night-time service"), default=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("beneficiary (registry)"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="projects",
    )  # fmt: skip
    cup = models.CharField(
        _("CUP"),
        max_length=15,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Codice Unico di Progetto, e.g. C11G06000000001."),
    )
    rup = models.CharField(_("responsible official (RUP)"), max_length=200, blank=True)
    office = models.CharField(_("responsible office"), max_length=200, blank=True)
    award_act_number = models.CharField(_("award act (determina) number"), max_length=50, blank=True)
    award_act_date = models.DateField(_("award act date"), null=True, blank=True)
    published_at = models.DateTimeField(
        _("published (art. 26)"), null=True, blank=True,
        help_text=_("When the grant was published under D.lgs. 33/2013 art. 26: the condition of its effect."),
    )  # fmt: skip
    # A funded project is an intervention too: its row is what the one impact estimator measures.
    intervention = models.OneToOneField(
        "interventions.Intervention",
        verbose_name=_("intervention"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="grant_project",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["start_on", "id"]
        verbose_name = _("funded project")
        verbose_name_plural = _("funded projects")
        constraints = [
            models.CheckConstraint(condition=Q(granted_amount__gt=0), name="grants_project_granted_positive"),
            models.CheckConstraint(condition=Q(co_financing__gte=0), name="grants_project_cofinancing_nonneg"),
            models.CheckConstraint(condition=Q(end_on__gte=models.F("start_on")), name="grants_project_dates_in_order"),
            models.CheckConstraint(condition=Q(cup__regex=CUP_PATTERN), name="grants_project_cup_form"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("grants:project", args=[self.pk])

    @property
    def title(self) -> str:
        return in_language(self.title_it, self.title_en)

    @property
    def description(self) -> str:
        return in_language(self.description_it, self.description_en)

    @property
    def public_beneficiary(self) -> str:
        """The beneficiary as the public sees it: a natural person is never named."""
        if self.organisation_id and self.organisation.natural_person:
            return str(_("Natural person (name not published)"))
        return self.beneficiary


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title_it = models.CharField(_("title (Italian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done"), null=True, blank=True)
    approved_on = models.DateField(_("approved by the city on"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["project", "due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return in_language(self.title_it, self.title_en)


class Disbursement(models.Model):
    """A tranche paid to a project, or a correction (negative or positive). Never edited, never deleted."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="disbursements"
    )
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(
        _("amount (EUR)"), **MONEY, help_text=_("Negative for a correction that takes money back.")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text=_("The entry this one corrects, if any."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["project", "paid_on", "id"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="grants_disbursement_amount_nonzero")]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount} EUR"


class GrantRelease(models.Model):
    """Part of a grant given back to its call's budget: what a withdrawn project had not been paid.

    A project commits ``granted_amount - sum(releases)`` of its call's budget. Like disbursements,
    releases are never edited or deleted (a database trigger refuses it): a correction is a new,
    negative entry, as when a withdrawn project is reinstated and takes its money back.
    """

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="releases")
    released_on = models.DateField(_("released on"))
    amount = models.DecimalField(
        _("amount (EUR)"), **MONEY, help_text=_("Negative for a correction that commits the money again.")
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text=_("The entry this one corrects, if any."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["project", "released_on", "id"]
        verbose_name = _("release of grant")
        verbose_name_plural = _("releases of grants")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="grants_release_amount_nonzero")]

    def __str__(self) -> str:
        return f"{self.released_on} {self.amount} EUR"


class Tranche(models.Model):
    """One payment of a project's plan: an advance, a progress payment due once its milestone is approved,
    or the balance, due once every milestone is. Paid by ``services.tranche_pay``, which records the
    disbursement (and so goes through every money check and payment condition)."""

    class Kind(models.TextChoices):
        ADVANCE = "advance", _("Advance")
        PROGRESS = "progress", _("Progress payment")
        BALANCE = "balance", _("Balance")

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="tranches")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount (EUR)"), **MONEY)
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), null=True, blank=True, on_delete=models.PROTECT,
        help_text=_("A progress payment is due once this milestone is approved."),
    )  # fmt: skip
    disbursement = models.OneToOneField(
        Disbursement, verbose_name=_("payment"), null=True, blank=True, on_delete=models.PROTECT, editable=False
    )

    class Meta:
        ordering = ["project", "id"]
        verbose_name = _("tranche")
        verbose_name_plural = _("payment plan")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="grants_tranche_amount_positive"),
            models.CheckConstraint(
                condition=~Q(kind="progress") | Q(milestone__isnull=False), name="grants_tranche_progress_milestone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} EUR"


class Review(models.TextChoices):
    """Where a beneficiary's report or expense claim stands with the city."""

    DRAFT = "draft", _("Draft, not sent yet")
    SUBMITTED = "submitted", _("Submitted, awaiting review")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")


class ProgressReport(models.Model):
    """The beneficiary's report on a milestone, with its output indicators. Approving it (and the expense
    claim of the same milestone, if any) approves the milestone, which makes its progress payment due."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="reports")
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="reports"
    )
    text = models.TextField(_("what was done"), blank=True)
    # Empty only in a draft (the beneficiary has not filled them in yet): a sent report has all three.
    people_reached = models.PositiveIntegerField(_("people reached"), null=True, blank=True)
    night_events = models.PositiveIntegerField(_("night events held"), null=True, blank=True)
    night_service_hours = models.DecimalField(
        _("hours of night-time service"), max_digits=8, decimal_places=1, validators=[MinValueValidator(0)],
        null=True, blank=True,
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=20, choices=Review.choices, default=Review.SUBMITTED)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["project", "submitted_at", "id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.CheckConstraint(condition=Q(night_service_hours__gte=0), name="grants_report_hours_nonneg"),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(people_reached__isnull=False, night_events__isnull=False, night_service_hours__isnull=False),
                name="grants_report_sent_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milestone} ({self.get_status_display()})"


def receipt_path(instance: ExpenseItem, filename: str) -> str:
    return f"grants/claims/{instance.claim_id}/{filename}"


class ExpenseClaim(models.Model):
    """Expenses the beneficiary claims for a milestone, item by item with a PDF receipt each."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="claims")
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="claims"
    )
    status = models.CharField(_("status"), max_length=20, choices=Review.choices, default=Review.SUBMITTED)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["project", "submitted_at", "id"]
        verbose_name = _("expense claim")
        verbose_name_plural = _("expense claims")

    def __str__(self) -> str:
        return f"{self.milestone} ({self.get_status_display()})"


class ExpenseItem(models.Model):
    claim = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE, related_name="items")
    description = models.CharField(_("expense item"), max_length=300)
    amount = models.DecimalField(_("amount (EUR)"), **MONEY)
    receipt = models.FileField(_("receipt (PDF)"), upload_to=receipt_path)

    class Meta:
        ordering = ["claim", "id"]
        verbose_name = _("expense item")
        verbose_name_plural = _("expense items")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="grants_expense_amount_positive")]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount} EUR"


class ReportingEvent(models.Model):
    """The audit trail of reporting: every submission and decision, by whom, when, with the reason."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="reporting_events")
    subject = models.CharField(_("subject"), max_length=40)  # "report:<id>", "claim:<id>", "milestone:<id>"
    action = models.CharField(_("action"), max_length=20)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["project", "at", "id"]
        verbose_name = _("reporting event")
        verbose_name_plural = _("reporting events")

    def __str__(self) -> str:
        return f"{self.subject} {self.action}"


class ProgrammeSummary(Project):
    """Not data: the admin's entry to the programme summary page (``grants:programme``)."""

    class Meta:
        proxy = True
        verbose_name = _("programme summary")
        verbose_name_plural = _("programme summary")


class OutputIndicator(models.Model):
    """An output the beneficiary declares (events held, lamps installed, people reached...)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="outputs")
    name_it = models.CharField(_("name (Italian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2, null=True, blank=True)
    value = models.DecimalField(_("value declared"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    declared_on = models.DateField(_("declared on"))

    class Meta:
        ordering = ["project", "id"]
        verbose_name = _("output indicator")
        verbose_name_plural = _("output indicators")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_it, self.name_en)


# The applicants' area (accounts, drafts, protocol numbers) keeps its models in its own module.
from grants.applicants.models import *  # noqa: E402, F403

# The beneficiaries' area keeps its models in its own module; importing them here registers them with the app.
from .beneficiaries.models import OrganisationMember, ReportReminder  # noqa: E402, F401
