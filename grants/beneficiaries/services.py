"""The beneficiaries' writes: drafts of progress reports and expense claims, sending them, the reminders.

What a sent report or claim must contain, how the city decides on it and when a tranche may be paid are the
rules of ``grants.services`` (``progress_report_check``, ``expense_item_check``, ``reporting_decide``,
``tranche_due_check``, ``payment_conditions_check``); this module calls them and never restates them. Each
function is one transaction and refuses with a ``ValidationError`` in the user's language before writing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from city.outbox import absolute_url, queue_rendered
from grants import services
from grants.models import ExpenseClaim, ExpenseItem, Milestone, ProgressReport, Project, Review

from .models import ReportReminder

logger = logging.getLogger(__name__)

MAX_ITEMS_PER_CLAIM = 100


def _blank_or_count(value, *, field: str, decimal: bool = False):
    """A draft keeps an empty number empty; a typed one must be a number, zero or more."""
    if value is None or str(value).strip() == "":
        return None
    return services._count(str(value).strip().replace(",", "."), field=field, decimal=decimal)


def _milestone_of(project: Project, milestone: Milestone) -> None:
    """The milestone is the project's, still open, and the project still running."""
    if milestone.project_id != project.pk:
        raise ValidationError(_("That milestone belongs to another project."))
    if project.status == Project.Status.WITHDRAWN:
        raise ValidationError(_("The project was withdrawn: nothing more can be sent for it."))
    if milestone.approved_on is not None:
        raise ValidationError(_("The city approved this milestone: there is nothing more to send for it."))


def _editable(item) -> None:
    if item.status != Review.DRAFT:
        raise ValidationError(_("This has been sent to the city already: it can no longer be changed."))


def report_draft_save(
    *, project: Project, milestone: Milestone, text: str, people_reached, night_events, night_service_hours, actor
) -> ProgressReport:
    """Save the milestone's report as a draft (one draft per milestone: saving again updates it).

    A draft may be incomplete; what is typed is checked already (a number is a number)."""
    _milestone_of(project, milestone)
    people = _blank_or_count(people_reached, field=_("People reached"))
    events = _blank_or_count(night_events, field=_("Night events held"))
    hours = _blank_or_count(night_service_hours, field=_("Hours of night-time service"), decimal=True)
    if hours is not None and hours >= 10**7:
        raise ValidationError(_("%(field)s is too large.") % {"field": _("Hours of night-time service")})
    with transaction.atomic():
        services._lock_project(project)  # two saves at once make one draft, two sends one report under review
        services.progress_report_check_open(milestone)
        draft = ProgressReport.objects.select_for_update().filter(
            milestone=milestone, status=Review.DRAFT
        ).first() or ProgressReport(project=project, milestone=milestone, status=Review.DRAFT)
        draft.text = (text or "").strip()
        draft.people_reached, draft.night_events, draft.night_service_hours = people, events, hours
        created = draft.pk is None
        draft.save()
        if created:
            services._reporting_event(project, f"report:{draft.pk}", "draft", actor=actor)
    return draft


def report_send(*, report: ProgressReport, actor) -> ProgressReport:
    """Send a draft report to the city: it must now be complete; the office reviews it, the member is told."""
    with transaction.atomic():
        services._lock_project(report.project)
        locked = ProgressReport.objects.select_for_update().select_related("project", "milestone").get(pk=report.pk)
        _editable(locked)
        _milestone_of(locked.project, locked.milestone)
        text, people, events, hours = services.progress_report_check(
            project=locked.project, milestone=locked.milestone, text=locked.text,
            people_reached="" if locked.people_reached is None else locked.people_reached,
            night_events="" if locked.night_events is None else locked.night_events,
            night_service_hours="" if locked.night_service_hours is None else locked.night_service_hours,
        )  # fmt: skip
        services.progress_report_check_open(locked.milestone)
        locked.text, locked.people_reached, locked.night_events, locked.night_service_hours = (
            text,
            people,
            events,
            hours,
        )
        locked.status = Review.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save()
        services._reporting_event(locked.project, f"report:{locked.pk}", "submitted", actor=actor)
        _received_notice(locked, "report")
    return locked


def claim_draft_open(*, project: Project, milestone: Milestone, actor) -> ExpenseClaim:
    """The milestone's draft claim, opened if there is none (one draft per milestone)."""
    _milestone_of(project, milestone)
    with transaction.atomic():
        services._lock_project(project)  # two taps at once open one draft
        draft = ExpenseClaim.objects.filter(milestone=milestone, status=Review.DRAFT).first()
        if draft is None:
            draft = ExpenseClaim.objects.create(project=project, milestone=milestone, status=Review.DRAFT)
            services._reporting_event(project, f"claim:{draft.pk}", "draft", actor=actor)
    return draft


def claim_item_add(*, claim: ExpenseClaim, description: str, amount, receipt, actor) -> ExpenseItem:
    """Add an expense with its receipt to a draft claim; the receipt is checked as any PDF of the grants."""
    with transaction.atomic():
        locked = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
        _editable(locked)
        count = locked.items.count()
        if count >= MAX_ITEMS_PER_CLAIM:
            raise ValidationError(_("A claim has %(limit)d items at most.") % {"limit": MAX_ITEMS_PER_CLAIM})
        description, value, receipt = services.expense_item_check(count + 1, description, amount, receipt)
        return ExpenseItem.objects.create(claim=locked, description=description, amount=value, receipt=receipt)


def claim_item_remove(*, claim: ExpenseClaim, item_id: int, actor) -> None:
    """Take an item out of a draft claim; its receipt goes with it once the deletion commits."""
    with transaction.atomic():
        locked = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
        _editable(locked)
        item = locked.items.filter(pk=item_id).first()
        if item is None:
            raise ValidationError(_("That item is not in this claim."))
        name, storage = item.receipt.name, item.receipt.storage
        item.delete()
        # A new version of a claim shares its receipts with the one sent back: keep a file still in use.
        if not ExpenseItem.objects.filter(receipt=name).exists():
            transaction.on_commit(lambda: storage.delete(name))


def claim_send(*, claim: ExpenseClaim, actor) -> ExpenseClaim:
    """Send a draft claim to the city: at least one item; the office reviews it, the member is told."""
    with transaction.atomic():
        locked = ExpenseClaim.objects.select_for_update().select_related("project", "milestone").get(pk=claim.pk)
        _editable(locked)
        _milestone_of(locked.project, locked.milestone)
        items = list(locked.items.all())
        if not items:
            raise ValidationError(_("A claim needs at least one expense item."))
        locked.status = Review.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at"])
        total = sum(item.amount for item in items)
        note = _("%(count)d item(s), %(total)s EUR") % {"count": len(items), "total": total}
        services._reporting_event(locked.project, f"claim:{locked.pk}", "submitted", actor=actor, note=note)
        _received_notice(locked, "claim")
    return locked


def claim_revise(*, claim: ExpenseClaim, actor) -> ExpenseClaim:
    """A new draft from a claim sent back for changes: the same items and receipts, to correct and send again."""
    if claim.status != Review.CHANGES_REQUESTED:
        raise ValidationError(_("Only a claim sent back for changes can be revised."))
    with transaction.atomic():
        draft = claim_draft_open(project=claim.project, milestone=claim.milestone, actor=actor)
        if not draft.items.exists():
            ExpenseItem.objects.bulk_create(
                ExpenseItem(claim=draft, description=item.description, amount=item.amount, receipt=item.receipt.name)
                for item in claim.items.all()
            )
    return draft


def _received_notice(item, kind: str) -> None:
    """The organisation is told, in its language, that the city received its report or claim."""
    organisation = item.project.organisation
    if organisation is None or not organisation.email:
        return
    with translation.override(organisation.language):
        what = _("your progress report") if kind == "report" else _("your expense claim")
    queue_rendered(
        organisation.email,
        "grants/beneficiaries/email/received",
        {
            "beneficiary": organisation.name,
            "what": what,
            "milestone": services.in_language_of(item.milestone.title_it, item.milestone.title_en,
                                                 organisation.language),
            "project_title": services.in_language_of(item.project.title_it, item.project.title_en,
                                                     organisation.language),
            "url": absolute_url(reverse("grants:beneficiaries:project", args=[item.project_id])),
        },
        organisation.language,
        kind=f"grants.{kind}.received",
        reference=f"{kind}:{item.pk}",
    )  # fmt: skip


def reminder_days() -> int:
    return int(settings.GRANTS_REPORT_REMINDER_DAYS)


def milestones_to_remind(today: dt.date):
    """Milestones due within the reminder window (or overdue) with no report sent, of running projects whose
    beneficiary has an e-mail, never reminded before."""
    return (
        Milestone.objects.filter(
            due_on__lte=today + dt.timedelta(days=reminder_days()),
            approved_on__isnull=True,
            project__status__in=(Project.Status.PLANNED, Project.Status.ACTIVE),
            project__organisation__isnull=False,
            report_reminder__isnull=True,
        )
        .exclude(project__organisation__email="")
        .exclude(reports__status__in=(Review.SUBMITTED, Review.APPROVED))
        .select_related("project", "project__organisation")
        .order_by("due_on", "id")
        .distinct()
    )


def report_reminders_send(*, today: dt.date | None = None) -> int:
    """E-mail each beneficiary whose milestone report falls due soon, once per milestone, ever.

    The reminder's row and its e-mail commit together; a second run (or a second beat) finds the row, or
    loses the race on its unique key, and sends nothing."""
    today = today or timezone.localdate()
    sent = 0
    for milestone in milestones_to_remind(today):
        organisation = milestone.project.organisation
        try:
            with transaction.atomic():
                ReportReminder.objects.create(milestone=milestone)
                queue_rendered(
                    organisation.email,
                    "grants/beneficiaries/email/reminder",
                    {
                        "beneficiary": organisation.name,
                        "milestone": services.in_language_of(
                            milestone.title_it, milestone.title_en, organisation.language
                        ),
                        "project_title": services.in_language_of(
                            milestone.project.title_it, milestone.project.title_en, organisation.language
                        ),
                        "due_on": milestone.due_on,
                        "overdue": milestone.due_on < today,
                        "url": absolute_url(
                            reverse("grants:beneficiaries:report", args=[milestone.project_id, milestone.pk])
                        ),
                    },
                    organisation.language,
                    kind="grants.report.reminder",
                    reference=f"milestone:{milestone.pk}",
                )
        except IntegrityError:  # another run reminded this milestone a moment ago
            continue
        sent += 1
    logger.info("report reminders sent: %d", sent)
    return sent
