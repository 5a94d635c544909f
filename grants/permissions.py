"""What the grants_admin group may do in the admin: one list, used by the data migration and the tests."""

from __future__ import annotations

from city.roles import GRANTS_ADMIN

# model -> actions. Disbursements and workflow events are history: added, never changed or deleted.
GRANTS_ADMIN_PERMISSIONS = {
    "call": ("add", "change", "delete", "view"),
    "criterion": ("add", "change", "delete", "view"),
    "application": ("add", "change", "view"),
    "applicationattachment": ("add", "view", "delete"),
    "applicationevent": ("view",),
    "score": ("add", "change", "delete", "view"),
    "project": ("add", "change", "view"),
    "milestone": ("add", "change", "delete", "view"),
    "disbursement": ("add", "view"),
    "grantrelease": ("view",),  # written only by withdrawing or reinstating a project
    "programmesummary": ("view",),  # the admin's link to the programme summary page
    "outputindicator": ("add", "change", "delete", "view"),
    "organisation": ("add", "change", "view"),
    "commissionmember": ("add", "delete", "view"),
    "tranche": ("add", "view"),  # paid through services.tranche_pay, never edited
    "progressreport": ("change", "view"),  # only the reason is edited; decided through services.reporting_decide
    "expenseclaim": ("change", "view"),
    "expenseitem": ("view",),
    "reportingevent": ("view",),
    # The applicants' area: a call's online rules and documents are set by the office; what applicants
    # write (accounts, drafts, their budget lines and documents) is read only.
    "callonline": ("add", "change", "delete", "view"),
    "attachmenttype": ("add", "change", "delete", "view"),
    "applicantaccount": ("view",),
    "applicationdraft": ("view",),
    "draftbudgetline": ("view",),
    "draftattachment": ("view",),
    "organisationmember": ("add", "change", "delete", "view"),  # access to the beneficiaries' area
    "reportreminder": ("view",),
}


# Who may read applications' attachments and the programme summary: the grants_admin group has these
# permissions, and so has any staff account a superuser gives them to (or a superuser).
ATTACHMENT_PERMISSION = "grants.view_applicationattachment"
PROGRAMME_PERMISSION = "grants.view_programmesummary"


def can_download_attachments(user) -> bool:
    return user.is_authenticated and user.has_perm(ATTACHMENT_PERMISSION)


def can_view_programme(user) -> bool:
    return user.is_authenticated and user.has_perm(PROGRAMME_PERMISSION)


def codenames() -> list[str]:
    return [f"{action}_{model}" for model, actions in GRANTS_ADMIN_PERMISSIONS.items() for action in actions]


def grant_group_permissions(group_model, permission_model) -> None:
    """Give the grants_admin group exactly the permissions above (idempotent)."""
    group, _created = group_model.objects.get_or_create(name=GRANTS_ADMIN)
    permissions = permission_model.objects.filter(content_type__app_label="grants", codename__in=codenames())
    group.permissions.add(*permissions)
