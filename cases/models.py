"""Intersectoral work: routing rules, cases that group reports (or an alert, or a place) with one task per
department, their deadlines and audit trail, reply templates and the citizens' "is it fixed?" answers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from city.i18n import in_language
from city.roles import OFFICER, has_role


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class ClosingReason(models.TextChoices):
    """The honest set of outcomes (FixMyStreet Pro's, plus "partly fixed")."""

    FIXED = "fixed", _("Fixed")
    PARTLY_FIXED = "partly_fixed", _("Partly fixed")
    NOT_OURS = "not_ours", _("Not ours (referred)")
    NO_ACTION = "no_action", _("No action possible")
    DUPLICATE = "duplicate", _("Duplicate")


class RoutingRule(models.Model):
    """A new report of ``category`` (any when blank) in ``zone`` (any when blank) goes to ``department``.

    Every matching rule gives the report's case a task; with no rule matching, the category's default
    department gets it."""

    category = models.ForeignKey(
        "reports.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    zone = models.ForeignKey("city.Zone", verbose_name=_("zone"), null=True, blank=True, on_delete=models.CASCADE)
    department = models.ForeignKey("city.Department", verbose_name=_("department"), on_delete=models.CASCADE)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category", "zone", "department"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "zone", "department"], name="routing_rule_unique", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} · {self.zone or '*'} → {self.department}"


class ResponseTarget(models.Model):
    """How many days a department has to answer (and after how many without activity it is reminded), for a
    category (any when blank) and a priority. Without a row the settings' defaults (30 and 10) apply."""

    category = models.ForeignKey(
        "reports.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    answer_days = models.PositiveSmallIntegerField(_("answer within (days)"))
    reminder_days = models.PositiveSmallIntegerField(_("reminder after (days without activity)"))

    class Meta:
        ordering = ["category", "priority"]
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"], name="response_target_unique", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} · {self.get_priority_display()}: {self.answer_days}/{self.reminder_days}"


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.filter(status=Case.Status.OPEN)

    def visible_to(self, user) -> CaseQuerySet:
        """The cases ``user`` may open: every case for officers and superusers; for department people, the
        cases with a task of their department, and for district-council members also every case in the
        council's zones. A partner organisation sees only the cases it has a task in."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if has_role(user, OFFICER):
            return self.all()
        memberships = user.memberships.select_related("department")
        departments = [m.department_id for m in memberships]
        councils = [m.department_id for m in memberships if m.department.kind == "district_council"]
        scope = Q(tasks__department__in=departments)
        if councils:
            scope |= Q(zone__departments__in=councils)
        return self.filter(scope).distinct()


class Case(models.Model):
    """A piece of work for the city: one or more reports, or an alert, or a place, with a task per department."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("case", "Open")
        CLOSED = "closed", pgettext_lazy("case", "Closed")

    title = models.CharField(_("title"), max_length=200)
    zone = models.ForeignKey(
        "city.Zone", verbose_name=_("zone"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    place = models.PointField(_("place"), srid=4326, null=True, blank=True)
    alert = models.ForeignKey(
        "indicators.Alert",
        verbose_name=_("alert"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    reports = models.ManyToManyField(
        "reports.Report", verbose_name=_("reports"), through="CaseReport", related_name="cases", blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_cases",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    closing_reason = models.CharField(_("closing reason"), max_length=16, choices=ClosingReason.choices, blank=True)
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    public_note = models.TextField(_("public note"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["status", "closed_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class CaseReport(models.Model):
    """A report in a case; a report belongs to one case at most."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_reports")
    report = models.OneToOneField("reports.Report", on_delete=models.CASCADE, related_name="case_link")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("report in a case")
        verbose_name_plural = _("reports in cases")

    def __str__(self) -> str:
        return f"{self.case_id}:{self.report_id}"


class TaskQuerySet(models.QuerySet):
    def open(self) -> TaskQuerySet:
        return self.exclude(status=Task.Status.CLOSED)

    def overdue(self, today: dt.date | None = None) -> TaskQuerySet:
        return self.open().filter(due_date__lt=today or timezone.localdate())

    def of_departments(self, department_ids) -> TaskQuerySet:
        return self.filter(department__in=department_ids)


class Task(models.Model):
    """One department's part of a case: who owns it, how urgent, by when, and how it ended."""

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSED = "closed", _("Closed")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="tasks")
    department = models.ForeignKey(
        "city.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="tasks"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_tasks",
    )
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    due_date = models.DateField(_("due date"))
    reminder_days = models.PositiveSmallIntegerField(_("reminder after (days without activity)"), default=10)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    closing_reason = models.CharField(_("closing reason"), max_length=16, choices=ClosingReason.choices, blank=True)
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [models.UniqueConstraint(fields=["case", "department"], name="task_one_per_department")]
        indexes = [models.Index(fields=["department", "status", "due_date"])]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.department}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date < timezone.localdate()


class TaskNote(models.Model):
    """An internal note on a task: staff only, never shown to the public."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    text = models.TextField(_("internal note"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"note {self.task_id}"


class CaseEvent(models.Model):
    """One line of a case's audit trail: who did what, when. ``data`` holds the codes (department, status,
    reason, user); ``describe()`` turns them into a sentence in the reader's language."""

    class Action(models.TextChoices):
        OPENED = "opened", _("Case opened")
        TASK_ADDED = "task_added", _("Task added")
        ASSIGNED = "assigned", _("Task assigned")
        PRIORITY = "priority", _("Priority changed")
        DUE_DATE = "due_date", _("Due date changed")
        STARTED = "started", _("Work started")
        NOTE = "note", _("Internal note")
        TASK_CLOSED = "task_closed", _("Task closed")
        PUBLIC_NOTE = "public_note", _("Public note")
        CLOSED = "closed", _("Case closed")
        REOPENED = "reopened", _("Case reopened")
        REMINDED = "reminded", _("Reminder sent")
        ESCALATED = "escalated", _("Overdue: coordinators told")
        REPORT_ADDED = "report_added", _("Report added")
        REPORT_LEFT = "report_left", _("Report left the case")
        REPORT_STATUS = "report_status", _("Report status changed by a moderator")
        TASK_REOPENED = "task_reopened", _("Task reopened")
        ANSWERED = "answered", _("Citizen answered the questionnaire")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class ReplyTemplate(models.Model):
    """A ready public note for a category (any when blank) and a report status, in both languages."""

    category = models.ForeignKey(
        "reports.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    status = models.CharField(_("status"), max_length=32, blank=True, help_text=_("Report status (any when blank)"))
    title_it = models.CharField(_("title (Italian)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120)
    text_it = models.TextField(_("text (Italian)"), max_length=2000)
    text_en = models.TextField(_("text (English)"), max_length=2000)

    class Meta:
        ordering = ["category", "status", "title_it"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return in_language(self.title_it, self.title_en)

    @property
    def text(self) -> str:
        return in_language(self.text_it, self.text_en)


class FixedCheck(models.Model):
    """The "is it fixed?" questionnaire sent to a citizen some weeks after their report's case closed."""

    class Answer(models.TextChoices):
        YES = "yes", _("Yes, it is fixed")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No, it is not fixed")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="fixed_checks")
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="fixed_checks")
    closure = models.PositiveSmallIntegerField(default=0, help_text="The case's reopened_count when it was sent.")
    sent_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(_("answer"), max_length=8, choices=Answer.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["case", "report", "closure"], name="fixed_check_once_per_closure")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.answer or '?'}"


class AlertNotice(models.Model):
    """That the departments covering an alert's zone were told about it (so they are told once)."""

    alert = models.OneToOneField("indicators.Alert", on_delete=models.CASCADE, related_name="notice")
    notified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("alert notice")
        verbose_name_plural = _("alert notices")

    def __str__(self) -> str:
        return f"notice {self.alert_id}"
