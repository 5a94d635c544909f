"""The applicants' models: accounts, a call's online-application rules and declared attachments, drafts
with their budget lines and attachments, and the yearly protocol counter.

Imported by ``grants.models`` so that Django registers them in the grants app.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from city.i18n import in_language

MONEY = {"max_digits": 14, "decimal_places": 2}

__all__ = [
    "ApplicantAccount",
    "ApplicationDraft",
    "AttachmentType",
    "CallOnline",
    "Declaration",
    "DraftAttachment",
    "DraftBudgetLine",
    "DraftDeclaration",
    "DraftSite",
    "DraftTeamMember",
    "ProtocolCounter",
]


class ApplicantAccount(models.Model):
    """The login of an organisation's contact person (username = e-mail), verified by a link before use."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="applicant_account"
    )
    full_name = models.CharField(_("full name"), max_length=200)
    language = models.CharField(_("language"), max_length=8, default="it")
    verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("applicant account")
        verbose_name_plural = _("applicant accounts")

    def __str__(self) -> str:
        return f"{self.full_name} <{self.user.email}>"


class CallOnline(models.Model):
    """A call that takes applications online, and its rules: the deadline's time on the closing day (in the
    city's time zone), the most one application may request, the least share of co-financing."""

    call = models.OneToOneField("grants.Call", verbose_name=_("call"), on_delete=models.CASCADE, related_name="online")
    deadline_time = models.TimeField(
        _("deadline time on the closing day"), default=dt.time(12, 0),
        help_text=_("Applications are accepted until this time of the closing day, in the city's time zone."),
    )  # fmt: skip
    max_requested = models.DecimalField(
        _("maximum requested per application (EUR)"), **MONEY, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )  # fmt: skip
    min_cofinancing_percent = models.DecimalField(
        _("minimum co-financing (% of the total cost)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )  # fmt: skip

    class Meta:
        verbose_name = _("online applications")
        verbose_name_plural = _("online applications")

    def __str__(self) -> str:
        return str(self.call)

    @property
    def deadline(self) -> dt.datetime:
        """The moment applications close: the closing day at ``deadline_time``, in the city's time zone."""
        return timezone.make_aware(dt.datetime.combine(self.call.closes_on, self.deadline_time))


class AttachmentType(models.Model):
    """A document a call asks for (the project form, the statute, the budget...), PDF only, within a size."""

    call = models.ForeignKey(
        "grants.Call", verbose_name=_("call"), on_delete=models.CASCADE, related_name="attachment_types"
    )
    name_it = models.CharField(_("name (Italian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    max_mb = models.PositiveSmallIntegerField(
        _("maximum size (MB)"), default=5, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )

    class Meta:
        ordering = ["call", "id"]
        verbose_name = _("required attachment")
        verbose_name_plural = _("required attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_it, self.name_en)


class DraftQuerySet(models.QuerySet):
    def of(self, user) -> DraftQuerySet:
        """Only what ``user`` owns: the one filter every applicant's view goes through."""
        return self.filter(owner=user) if user.is_authenticated else self.none()


class ApplicationDraft(models.Model):
    """The applicant's working copy of an application. Submitting it creates the ``Application`` (through
    ``grants.services.application_submit``) and gives it its protocol number; after that it is read only."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", pgettext_lazy("application", "Submitted")
        WITHDRAWN = "withdrawn", pgettext_lazy("application", "Withdrawn")

    class LegalForm(models.TextChoices):
        ASSOCIATION = "association", _("Association (APS, ODV)")
        SOCIAL_COOPERATIVE = "social_cooperative", _("Social cooperative")
        FOUNDATION = "foundation", _("Foundation")
        SOCIAL_ENTERPRISE = "social_enterprise", _("Social enterprise")
        COMPANY = "company", _("Company")
        OTHER = "other", _("Other")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="grant_drafts"
    )
    call = models.ForeignKey("grants.Call", verbose_name=_("call"), on_delete=models.PROTECT, related_name="drafts")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    # The organisation
    org_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    org_legal_form = models.CharField(_("legal form"), max_length=32, choices=LegalForm.choices, blank=True)
    org_tax_code = models.CharField(_("codice fiscale of the organisation"), max_length=11, blank=True)
    org_vat_number = models.CharField(_("partita IVA"), max_length=11, blank=True)
    org_address = models.CharField(_("registered address"), max_length=300, blank=True)
    legal_rep_name = models.CharField(_("legal representative"), max_length=200, blank=True)
    legal_rep_tax_code = models.CharField(_("legal representative's codice fiscale"), max_length=16, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    # The project
    title = models.CharField(_("project title"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), max_length=5000, blank=True)
    zones = models.ManyToManyField("city.Zone", verbose_name=_("zones"), blank=True, related_name="+")
    start_on = models.DateField(_("start"), null=True, blank=True)
    end_on = models.DateField(_("end"), null=True, blank=True)
    night_service = models.BooleanField(_("night-time service"), default=False)
    # After submission
    application = models.OneToOneField(
        "grants.Application", verbose_name=_("application"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="draft",
    )  # fmt: skip
    protocol_number = models.CharField(_("protocol number"), max_length=16, null=True, blank=True, unique=True)
    language = models.CharField(_("language"), max_length=8, default="it")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("deadline reminder sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "id"]
        verbose_name = _("online application")
        verbose_name_plural = _("online applications (drafts and submissions)")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(application__isnull=False) & Q(protocol_number__isnull=False)),
                name="grants_draft_submitted_has_protocol",
            ),
        ]

    def __str__(self) -> str:
        return self.protocol_number or f"{self.title or '-'} ({self.get_status_display()})"

    @property
    def requested_total(self) -> Decimal:
        return sum((line.requested for line in self.budget_lines.all()), Decimal("0.00"))

    @property
    def co_financing_total(self) -> Decimal:
        return sum((line.co_financing for line in self.budget_lines.all()), Decimal("0.00"))

    @property
    def cost_total(self) -> Decimal:
        return self.requested_total + self.co_financing_total


class DraftBudgetLine(models.Model):
    """One expense item of the budget plan: what is asked of the city and what the applicant puts in."""

    draft = models.ForeignKey(ApplicationDraft, on_delete=models.CASCADE, related_name="budget_lines")
    description = models.CharField(_("expense item"), max_length=300)
    requested = models.DecimalField(_("requested (EUR)"), **MONEY, validators=[MinValueValidator(Decimal(0))])
    co_financing = models.DecimalField(_("co-financing (EUR)"), **MONEY, validators=[MinValueValidator(Decimal(0))])

    class Meta:
        ordering = ["draft", "id"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget plan")
        constraints = [
            models.CheckConstraint(
                condition=Q(requested__gte=0) & Q(co_financing__gte=0) & (Q(requested__gt=0) | Q(co_financing__gt=0)),
                name="grants_budgetline_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.requested} + {self.co_financing} EUR"


class DraftSite(models.Model):
    """A place where the project happens (a square, a garden, a community house), pinned on the map or found
    by its address; the zone is the one that covers the point, set when it is saved."""

    draft = models.ForeignKey(ApplicationDraft, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("site"), max_length=200)
    address = models.CharField(_("address"), max_length=255, blank=True)
    point = models.PointField(_("point"), srid=4326)
    zone = models.ForeignKey("city.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["draft", "id"]
        verbose_name = _("site of the project")
        verbose_name_plural = _("sites of the project")

    def __str__(self) -> str:
        return self.name


class DraftTeamMember(models.Model):
    """A person of the project's team: who they are, their role, their organisation (blank: the applicant) and
    the hours they give the project. Personal data: shown to the applicant and the office, never published."""

    draft = models.ForeignKey(ApplicationDraft, on_delete=models.CASCADE, related_name="team")
    full_name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role in the project"), max_length=200)
    organisation = models.CharField(_("organisation (if a partner)"), max_length=200, blank=True)
    hours = models.PositiveIntegerField(_("hours in the project"), null=True, blank=True)

    class Meta:
        ordering = ["draft", "id"]
        verbose_name = _("team member")
        verbose_name_plural = _("team")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.role})"


class Declaration(models.Model):
    """A self-declaration the call asks the legal representative to make (dichiarazione sostitutiva, DPR
    445/2000 artt. 46-47): the office writes or edits them per call; ``DEFAULT_DECLARATIONS`` start each one."""

    call = models.ForeignKey(
        "grants.Call", verbose_name=_("call"), on_delete=models.CASCADE, related_name="declarations"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    text_it = models.TextField(_("text (Italian)"), max_length=2000)
    text_en = models.TextField(_("text (English)"), max_length=2000)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["call", "position", "id"]
        verbose_name = _("self-declaration")
        verbose_name_plural = _("self-declarations (DPR 445/2000)")

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def text(self) -> str:
        return in_language(self.text_it, self.text_en)


class DraftDeclaration(models.Model):
    """A declaration the applicant made, with the words it read (kept as they were, in its language, even if the
    office edits the call's text later) and when."""

    draft = models.ForeignKey(ApplicationDraft, on_delete=models.CASCADE, related_name="declarations")
    declaration = models.ForeignKey(Declaration, verbose_name=_("self-declaration"), on_delete=models.PROTECT)
    text = models.TextField(_("text declared"))
    declared_at = models.DateTimeField(_("declared at"))

    class Meta:
        ordering = ["draft", "declaration__position", "declaration_id"]
        verbose_name = _("self-declaration made")
        verbose_name_plural = _("self-declarations made")
        constraints = [
            models.UniqueConstraint(fields=["draft", "declaration"], name="grants_draftdeclaration_once"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


def draft_attachment_path(instance: DraftAttachment, filename: str) -> str:
    return f"grants/drafts/{instance.draft_id}/{instance.kind_id}-{filename}"


class DraftAttachment(models.Model):
    """A document of a draft, one per declared type (a new upload replaces the old one)."""

    draft = models.ForeignKey(ApplicationDraft, on_delete=models.CASCADE, related_name="attachments")
    kind = models.ForeignKey(AttachmentType, verbose_name=_("document"), on_delete=models.PROTECT)
    file = models.FileField(_("file"), upload_to=draft_attachment_path, max_length=300)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["draft", "kind", "id"]
        verbose_name = _("document of an online application")
        verbose_name_plural = _("documents of online applications")
        constraints = [models.UniqueConstraint(fields=["draft", "kind"], name="grants_draftattachment_one_per_kind")]

    def __str__(self) -> str:
        return self.original_name


@receiver(post_delete, sender=DraftAttachment)
def _draft_attachment_deleted(sender, instance: DraftAttachment, **kwargs) -> None:
    """The stored file goes with its row once the deletion has committed (a rollback keeps both), unless the
    application submitted from the draft still uses it."""
    from grants.models import stored_document_release  # grants.models imports this module

    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: stored_document_release(storage, name))


class ProtocolCounter(models.Model):
    """The last protocol number given in a year. Incremented in the submitting transaction (an upsert that
    locks the year's row), so concurrent submissions queue on it and a rolled-back one leaves no gap."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("protocol counter")
        verbose_name_plural = _("protocol counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
