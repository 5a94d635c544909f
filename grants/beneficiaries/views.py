"""The beneficiaries' pages: their projects, what is due, reports and claims as drafts, then sent.

Every page needs a login (an anonymous visitor is sent to it, whatever the id, so the link of a beneficiary's
e-mail works when logged out); every page but the list needs a membership of the project's organisation, and
anyone else logged in gets the site's 404: nothing says which ids exist.
Writes go through ``grants.beneficiaries.services``; a refusal is shown on the form in the member's language
and nothing is written.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from city.protected_media import protected_file_response
from grants import permissions
from grants.models import ExpenseClaim, ExpenseItem, ProgressReport, Project, ReportingEvent, Review
from grants.views import download_name

from . import selectors, services
from .forms import ClaimItemForm, ReportForm


@login_required
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    projects = list(selectors.member_projects(request.user))
    for project in projects:
        project.next_milestone = project.milestones.filter(approved_on__isnull=True).order_by("due_on", "id").first()
    ctx = {"projects": projects, "today": today, "is_member": bool(selectors.member_organisation_ids(request.user))}
    return render(request, "grants/beneficiaries/home.html", ctx)


def project(request: HttpRequest, project_id: int) -> HttpResponse:
    today = timezone.localdate()
    item = selectors.member_project(request.user, project_id)
    events = ReportingEvent.objects.filter(project=item).exclude(action="draft").order_by("-at", "-id")[:50]
    subjects = {"report": _("Progress report"), "claim": _("Expense claim"), "milestone": _("Milestone"),
                "project": _("Project")}  # fmt: skip
    actions = {**dict(Review.choices), **dict(Project.Status.choices), "submitted": _("sent to the city")}
    history = [
        {"at": e.at, "what": subjects.get(e.subject.split(":")[0], e.subject),
         "action": actions.get(e.action, e.action), "note": e.note}
        for e in events
    ]  # fmt: skip
    ctx = {
        "project": item,
        "today": today,
        "milestones": selectors.milestone_rows(item),
        "tranches": selectors.tranche_rows(item, today),
        "events": history,
    }
    return render(request, "grants/beneficiaries/project.html", ctx)


def _report_initial(report: ProgressReport | None) -> dict:
    if report is None:
        return {}
    return {
        "text": report.text,
        "people_reached": "" if report.people_reached is None else report.people_reached,
        "night_events": "" if report.night_events is None else report.night_events,
        "night_service_hours": "" if report.night_service_hours is None else report.night_service_hours,
    }


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, project_id: int, milestone_id: int) -> HttpResponse:
    """The milestone's report: a draft to fill in and save, then send. A report sent back for changes is the
    starting point of the next version, with the city's reason above the form."""
    item = selectors.member_project(request.user, project_id)
    milestone = selectors.member_milestone(item, milestone_id)
    reports = list(ProgressReport.objects.filter(milestone=milestone).order_by("-id"))
    draft = next((r for r in reports if r.status == Review.DRAFT), None)
    sent = next((r for r in reports if r.status != Review.DRAFT), None)
    locked = bool((sent is not None and sent.status in (Review.SUBMITTED, Review.APPROVED)) or milestone.approved_on)
    error = None
    if request.method == "POST" and not locked:
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                saved = services.report_draft_save(project=item, milestone=milestone, actor=request.user,
                                                   **form.cleaned_data)  # fmt: skip
                if request.POST.get("action") == "send":
                    services.report_send(report=saved, actor=request.user)
                    messages.success(
                        request, _("Report sent to the city. You will receive an e-mail when it is reviewed.")
                    )
                    return redirect("grants:beneficiaries:project", item.pk)
                messages.success(request, _("Draft saved. It is not sent to the city until you press 'Send'."))
                return redirect("grants:beneficiaries:report", item.pk, milestone.pk)
            except ValidationError as exc:
                error = " ".join(exc.messages)
    else:
        form = ReportForm(initial=_report_initial(draft or sent))
    ctx = {"project": item, "milestone": milestone, "form": form, "draft": draft, "sent": sent,
           "locked": locked, "error": error}  # fmt: skip
    return render(request, "grants/beneficiaries/report.html", ctx, status=400 if error or form.errors else 200)


@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, project_id: int, milestone_id: int) -> HttpResponse:
    """The milestone's expense claim: items with their receipts added to a draft one by one, then sent."""
    item = selectors.member_project(request.user, project_id)
    milestone = selectors.member_milestone(item, milestone_id)
    claims = list(ExpenseClaim.objects.filter(milestone=milestone).prefetch_related("items").order_by("-id"))
    draft = next((c for c in claims if c.status == Review.DRAFT), None)
    sent = next((c for c in claims if c.status != Review.DRAFT), None)
    locked = bool((sent is not None and sent.status in (Review.SUBMITTED, Review.APPROVED)) or milestone.approved_on)
    form, error = ClaimItemForm(), None
    if request.method == "POST" and not locked:
        action = request.POST.get("action", "add")
        try:
            if action == "add":
                form = ClaimItemForm(request.POST, request.FILES)
                if form.is_valid():
                    target = draft or services.claim_draft_open(project=item, milestone=milestone, actor=request.user)
                    services.claim_item_add(claim=target, actor=request.user, **form.cleaned_data)
                    messages.success(request, _("Expense added to the draft claim."))
                    return redirect("grants:beneficiaries:claim", item.pk, milestone.pk)
            elif action == "remove" and draft is not None:
                services.claim_item_remove(claim=draft, item_id=_int(request.POST.get("item")), actor=request.user)
                messages.success(request, _("Expense removed from the draft claim."))
                return redirect("grants:beneficiaries:claim", item.pk, milestone.pk)
            elif action == "revise" and sent is not None and draft is None:
                services.claim_revise(claim=sent, actor=request.user)
                messages.success(
                    request, _("A new draft was prepared from the claim sent back: correct it and send it again.")
                )
                return redirect("grants:beneficiaries:claim", item.pk, milestone.pk)
            elif action == "send" and draft is not None:
                services.claim_send(claim=draft, actor=request.user)
                messages.success(
                    request, _("Expense claim sent to the city. You will receive an e-mail when it is reviewed.")
                )
                return redirect("grants:beneficiaries:project", item.pk)
            else:
                error = _("There is no draft claim to change: reload the page.")
        except ValidationError as exc:
            error = " ".join(exc.messages)
    ctx = {
        "project": item, "milestone": milestone, "form": form, "draft": draft, "sent": sent, "locked": locked,
        "can_add": not locked and (draft is not None or sent is None or sent.status == Review.REJECTED),
        "error": error, "limit_mb": settings.GRANTS_ATTACHMENT_MAX_BYTES // 2**20,
        "draft_total": sum(i.amount for i in draft.items.all()) if draft else None,
    }  # fmt: skip
    return render(request, "grants/beneficiaries/claim.html", ctx, status=400 if error or form.errors else 200)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_http_methods(["GET", "HEAD"])
def receipt(request: HttpRequest, item_id: int) -> HttpResponse:
    """A receipt, for the members of the claiming organisation and for who may read the grants' attachments."""
    if permissions.can_download_attachments(request.user):
        found = ExpenseItem.objects.filter(pk=item_id).first()
        if found is None:
            return selectors.member_receipt(request.user, item_id)  # the same 404
    else:
        found = selectors.member_receipt(request.user, item_id)
    response = protected_file_response(
        found.receipt.name, content_type="application/pdf", cache_control="private, no-store"
    )
    response["Content-Disposition"] = content_disposition_header(True, download_name(found.description[:80]))
    return response
