"""What a member of a beneficiary may read: only the projects of the organisations the grants office gave them.

Anything else (another organisation's project, a milestone of it, a receipt) is "not found", the same answer
as for an id that does not exist, so the pages say nothing about what others have.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from grants import services
from grants.models import ExpenseClaim, ExpenseItem, Milestone, ProgressReport, Project, Review, Tranche

from .models import OrganisationMember


def member_organisation_ids(user) -> list[int]:
    if not user.is_authenticated or not user.is_active:
        return []
    return list(OrganisationMember.objects.filter(user=user).values_list("organisation_id", flat=True))


def member_projects(user) -> QuerySet[Project]:
    return (
        Project.objects.with_money()
        .filter(organisation_id__in=member_organisation_ids(user))
        .select_related("call", "organisation")
        .order_by("-start_on", "id")
    )


def member_project(user, project_id: int) -> Project:
    project = member_projects(user).filter(pk=project_id).first()
    if project is None:
        raise Http404("No such project.")
    return project


def member_milestone(project: Project, milestone_id: int) -> Milestone:
    milestone = Milestone.objects.filter(project=project, pk=milestone_id).first()
    if milestone is None:
        raise Http404("No such milestone.")
    return milestone


def member_receipt(user, item_id: int) -> ExpenseItem:
    item = (
        ExpenseItem.objects.filter(pk=item_id, claim__project__organisation_id__in=member_organisation_ids(user))
        .select_related("claim")
        .first()
    )
    if item is None:
        raise Http404("No such receipt.")
    return item


def milestone_rows(project: Project) -> list[dict]:
    """Each milestone with its latest report and claim (drafts included: the member's own work) and what to do."""
    reports = Prefetch("reports", queryset=ProgressReport.objects.order_by("-id"), to_attr="report_list")
    claims = Prefetch(
        "claims", queryset=ExpenseClaim.objects.order_by("-id").prefetch_related("items"), to_attr="claim_list"
    )
    rows = []
    for milestone in project.milestones.prefetch_related(reports, claims).order_by("due_on", "id"):
        report = milestone.report_list[0] if milestone.report_list else None
        claim = milestone.claim_list[0] if milestone.claim_list else None
        rows.append(
            {
                "milestone": milestone,
                "report": report,
                "claim": claim,
                "claim_total": sum(item.amount for item in claim.items.all()) if claim else None,
                "can_report": milestone.approved_on is None
                and (report is None or report.status in (Review.DRAFT, Review.CHANGES_REQUESTED, Review.REJECTED)),
                "can_claim": milestone.approved_on is None
                and (claim is None or claim.status in (Review.DRAFT, Review.CHANGES_REQUESTED, Review.REJECTED)),
            }
        )
    return rows


def tranche_rows(project: Project, today) -> list[dict]:
    """Each tranche of the payment plan: paid (when), payable now, or what it waits for, in the reader's words.

    "Payable" means every rule of ``tranche_pay`` holds today: it is due and the payment conditions (CUP,
    publication, DURC, anti-mafia) are met; otherwise the rule's own message says what is missing."""
    rows = []
    conditions_error = None
    try:
        services.payment_conditions_check(project=project, paid_on=today)
    except ValidationError as error:
        conditions_error = " ".join(error.messages)
    tranches = Tranche.objects.filter(project=project).select_related("milestone", "disbursement").order_by("id")
    for tranche in tranches:
        row = {"tranche": tranche, "state": "paid" if tranche.disbursement_id else "payable", "reason": ""}
        if tranche.disbursement_id is None:
            try:
                services.tranche_due_check(tranche)
            except ValidationError as error:
                row["state"], row["reason"] = "waiting", " ".join(error.messages)
            else:
                if conditions_error:
                    row["state"], row["reason"] = "waiting", conditions_error
        rows.append(row)
    return rows
