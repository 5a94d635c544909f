"""Who may act for a beneficiary, and which report reminders went out (imported by ``grants.models``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationMember(models.Model):
    """A user who acts for an organisation in the beneficiaries' area, as the grants office decided.

    ``fiscal_number`` is the member's own codice fiscale, as SPID and CIE give it: a login through the city's
    OpenID Connect broker finds the account by it (``observatory.oidc``). It is personal data: never published.
    """

    organisation = models.ForeignKey(
        "grants.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grant_memberships"
    )
    fiscal_number = models.CharField(
        _("member's tax code"), max_length=16, blank=True,
        help_text=_("The person's codice fiscale: a login with SPID or CIE is matched to this account by it."),
    )  # fmt: skip
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    granted_at = models.DateTimeField(_("access granted at"), auto_now_add=True)

    class Meta:
        ordering = ["organisation", "id"]
        verbose_name = _("beneficiary's member")
        verbose_name_plural = _("beneficiaries' members")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="grants_member_once_per_organisation"),
            models.CheckConstraint(
                condition=models.Q(fiscal_number="") | models.Q(fiscal_number__regex=r"^[A-Z0-9]{16}$"),
                name="grants_member_fiscal_number_form",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation}"


class ReportReminder(models.Model):
    """The reminder that a milestone's report is due went out: one row per milestone, so never twice."""

    milestone = models.OneToOneField("grants.Milestone", on_delete=models.CASCADE, related_name="report_reminder")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report reminder")
        verbose_name_plural = _("report reminders")

    def __str__(self) -> str:
        return f"{self.milestone_id} {self.sent_at:%Y-%m-%d}"
