"""The grants administrators' workplace: calls, applications and their workflow, projects and their money.

Writes that carry rules go through services.py; the forms run the same checks first so that a
refusal shows as a form error, and a refusal that only the locked check can see (a concurrent
award or payment) rolls the whole save back and is reported as a message: nothing half-written.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from city.models import Zone

from . import exports, permissions, services
from .applicants import services as applicant_services
from .applicants.admin import AttachmentTypeInline, CallOnlineInline, DeclarationInline
from .beneficiaries.admin import OrganisationMemberInline
from .forms import (
    ApplicationForm,
    AttachmentForm,
    CallForm,
    DisbursementForm,
    MilestoneForm,
    OrganisationForm,
    ProjectAwardForm,
    ProjectChangeForm,
)
from .models import (
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    Call,
    CallOnline,
    CommissionMember,
    Criterion,
    Disbursement,
    ExpenseClaim,
    ExpenseItem,
    GrantRelease,
    Milestone,
    Organisation,
    OutputIndicator,
    ProgrammeSummary,
    ProgressReport,
    Project,
    ReportingEvent,
    Score,
    Tranche,
)


def _adopt(obj, created) -> None:
    """Make the admin's unsaved ``obj`` the row a service created (the admin logs and redirects with it)."""
    obj.__dict__.update(created.__dict__)


class ServiceErrorsMixin:
    """Turn a refusal raised while saving into a message, after the admin's transaction rolled back."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        except IntegrityError as error:
            self.message_user(
                request, gettext("The database refused the change: %(error)s") % {"error": error}, messages.ERROR
            )
        return HttpResponseRedirect(request.get_full_path())


def export_actions(table):
    @admin.action(description=_("Export selected as CSV"))
    def export_csv(modeladmin, request, queryset):
        headers, rows = table(queryset)
        return exports.csv_response(modeladmin.model._meta.model_name + "s", headers, rows)

    @admin.action(description=_("Export selected as Excel (XLSX)"))
    def export_xlsx(modeladmin, request, queryset):
        headers, rows = table(queryset)
        return exports.xlsx_response(modeladmin.model._meta.model_name + "s", headers, rows)

    return [export_csv, export_xlsx]


# --- calls -----------------------------------------------------------------------------------------


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 1
    fields = ["name", "weight"]


class CommissionInline(admin.TabularInline):
    """The evaluators the administrator assigns; each signs a declaration on the call's page before scoring."""

    model = CommissionMember
    fk_name = "call"
    extra = 1
    fields = ["evaluator", "declared_at", "has_conflict", "declaration"]
    readonly_fields = ["declared_at", "has_conflict", "declaration"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description=_("Publish the selected calls"), permissions=["change"])
def publish_calls(modeladmin, request, queryset):
    for call in queryset:
        services.call_publish(call=call)
    modeladmin.message_user(request, gettext("%(count)d call(s) published.") % {"count": queryset.count()})


@admin.action(
    description=_("Approve and publish the ranking (with the act entered on the call)"), permissions=["change"]
)
def approve_rankings(modeladmin, request, queryset):
    for call in queryset:
        try:
            services.call_ranking_approve(
                call=call, act_number=call.ranking_act_number, act_date=call.ranking_act_date, actor=request.user
            )
            modeladmin.message_user(request, gettext("%(call)s: ranking approved and published.") % {"call": call})
        except ValidationError as error:
            modeladmin.message_user(request, f"{call}: {' '.join(error.messages)}", messages.ERROR)


@admin.register(Call)
class CallAdmin(ServiceErrorsMixin, admin.ModelAdmin):
    form = CallForm
    inlines = [CriterionInline, CommissionInline, CallOnlineInline, AttachmentTypeInline, DeclarationInline]
    list_display = ["title_it", "kind", "opens_on", "closes_on", "budget", "granted", "released", "committed",
                    "disbursed", "remaining"]  # fmt: skip
    list_filter = ["kind"]
    search_fields = ["title_it", "title_en"]
    actions = [publish_calls, approve_rankings, *export_actions(exports.calls_table)]

    def get_queryset(self, request):
        return super().get_queryset(request).with_budget()

    def save_formset(self, request, form, formset, change):
        if formset.model is CommissionMember:
            for member in formset.save(commit=False):
                services.commission_assign(call=form.instance, evaluator=member.evaluator, actor=request.user)
            for deleted in formset.deleted_objects:
                deleted.delete()
            return
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A call taking applications online asks for the standard self-declarations unless the office has
        # written its own (on this page or before): it edits them in the inline.
        online = CallOnline.objects.filter(call=form.instance).exists()
        if online and applicant_services.declarations_default_create(form.instance):
            self.message_user(request, gettext("The standard self-declarations were added to the call."))

    @admin.display(description=_("granted (EUR)"), ordering="granted")
    def granted(self, obj):
        return obj.granted

    @admin.display(description=_("released (EUR)"), ordering="released")
    def released(self, obj):
        return obj.released

    @admin.display(description=_("committed (EUR)"), ordering="committed")
    def committed(self, obj):
        return obj.committed

    @admin.display(description=_("disbursed (EUR)"), ordering="disbursed")
    def disbursed(self, obj):
        return obj.disbursed

    @admin.display(description=_("not yet committed (EUR)"), ordering="remaining")
    def remaining(self, obj):
        return obj.remaining


# --- applications ----------------------------------------------------------------------------------


class AttachmentInline(admin.TabularInline):
    """The application's PDFs, each downloaded through a permission-checked view (never from /media/)."""

    model = ApplicationAttachment
    extra = 0
    fields = ["download", "size", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # new files go through AttachmentUploadInline

    @admin.display(description=_("file"))
    def download(self, obj):
        if obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}" class="attachment-download">{}</a>', reverse("grants:attachment", args=[obj.pk]),
            obj.original_name,
        )  # fmt: skip


class AttachmentUploadInline(admin.TabularInline):
    """Empty rows to upload more PDFs (checked by ``services.attachment_check``)."""

    model = ApplicationAttachment
    form = AttachmentForm
    extra = 1
    fields = ["file"]
    verbose_name = _("new attachment")
    verbose_name_plural = _("add attachments (PDF)")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    fields = ["criterion", "score", "reason", "evaluator", "scored_at"]
    readonly_fields = ["evaluator", "scored_at"]

    def get_queryset(self, request):
        # Evaluators score independently: a member of the call's commission reads only their own scores; the
        # office (not on the commission) reads every one.
        member_of = CommissionMember.objects.filter(evaluator=request.user).values("call")
        return super().get_queryset(request).filter(Q(evaluator=request.user) | ~Q(application__call__in=member_of))

    def get_formset(self, request, obj=None, **kwargs):
        self._application = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "criterion":
            application = getattr(self, "_application", None)
            kwargs["queryset"] = Criterion.objects.filter(call_id=application.call_id if application else None)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, obj=None):
        allowed = (Application.Status.ELIGIBLE, Application.Status.SCORED)
        return obj is not None and obj.status in allowed and super().has_add_permission(request, obj)


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _transition_action(status: str, label):
    @admin.action(description=label, permissions=["change"])
    def action(modeladmin, request, queryset):
        moved = 0
        for application in queryset:
            try:
                services.application_transition(application=application, to_status=status, actor=request.user)
                moved += 1
            except ValidationError as error:
                modeladmin.message_user(request, f"{application}: {' '.join(error.messages)}", messages.ERROR)
        if moved:
            modeladmin.message_user(
                request, gettext("%(count)d application(s) moved.") % {"count": moved}, messages.SUCCESS
            )

    action.__name__ = f"mark_{status}"
    return action


@admin.action(description=_("Rank the scored applications of the selected applications' calls"), permissions=["change"])
def rank_calls(modeladmin, request, queryset):
    for call in Call.objects.filter(pk__in=queryset.values("call_id")):
        try:
            ranked = services.call_rank(call=call, actor=request.user)
            modeladmin.message_user(
                request, gettext("%(call)s: %(count)d ranked.") % {"call": call, "count": len(ranked)}, messages.SUCCESS
            )
        except ValidationError as error:
            modeladmin.message_user(request, f"{call}: {' '.join(error.messages)}", messages.ERROR)


@admin.register(Application)
class ApplicationAdmin(ServiceErrorsMixin, admin.ModelAdmin):
    form = ApplicationForm
    inlines = [AttachmentInline, AttachmentUploadInline, ScoreInline, EventInline]
    list_display = ["title", "organisation", "call", "status", "requested_amount", "weighted_score", "rank",
                    "night_service"]  # fmt: skip
    list_filter = ["call", "status", "night_service", "call__kind"]
    search_fields = ["title", "organisation"]
    fields = [*ApplicationForm.Meta.fields, "applicant", "outcome_reason", "status", "rank"]
    readonly_fields = ["status", "rank"]
    actions = [
        _transition_action(Application.Status.ELIGIBLE, _("Mark eligible")),
        _transition_action(Application.Status.INELIGIBLE, _("Mark ineligible")),
        _transition_action(Application.Status.SCORED, _("Mark scored (every criterion scored)")),
        rank_calls,
        _transition_action(Application.Status.NOT_FUNDED, _("Mark not funded")),
    ]

    def get_queryset(self, request):
        # A commission member sees a call's applications only after declaring no conflict of interest.
        not_cleared = CommissionMember.objects.filter(evaluator=request.user).exclude(
            declared_at__isnull=False, has_conflict=False
        )
        return (
            super()
            .get_queryset(request)
            .exclude(call__in=not_cleared.values("call"))
            .select_related("call")
            .with_weighted_score()
        )

    def get_list_display(self, request):
        # The commission's running average would show an evaluator the others' scores: members see no score column.
        if CommissionMember.objects.filter(evaluator=request.user).exists():
            return [name for name in self.list_display if name != "weighted_score"]
        return self.list_display

    @admin.display(description=_("weighted score"), ordering="weighted_score")
    def weighted_score(self, obj):
        return None if obj.weighted_score is None else round(obj.weighted_score, 2)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        # ApplicationForm's own fields: the form the admin builds also lists the read-only ones (status, rank),
        # which the service decides and does not take.
        data = {name: form.cleaned_data.get(name) for name in ApplicationForm.Meta.fields}
        _adopt(obj, services.application_submit(**data, actor=request.user))

    def save_formset(self, request, form, formset, change):
        if formset.model is Score:
            for score in formset.save(commit=False):
                services.score_record(
                    application=form.instance,
                    criterion=score.criterion,
                    evaluator=request.user,
                    score=score.score,
                    reason=score.reason,
                )
            for deleted in formset.deleted_objects:
                deleted.delete()
            return
        super().save_formset(request, form, formset, change)


# --- projects and money ----------------------------------------------------------------------------


class MilestoneInline(admin.TabularInline):
    model = Milestone
    form = MilestoneForm
    extra = 1


class OutputInline(admin.TabularInline):
    model = OutputIndicator
    extra = 0


class DisbursementInline(admin.TabularInline):
    """Add-only: past entries are read-only; a mistake is corrected by a new (negative) entry."""

    model = Disbursement
    form = DisbursementForm
    fk_name = "project"
    extra = 1
    can_delete = False
    fields = ["paid_on", "amount", "note", "corrects", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def has_change_permission(self, request, obj=None):
        return False


class ReleaseInline(admin.TabularInline):
    """What the project gave back to its call: written by withdrawing or reinstating, never by hand."""

    model = GrantRelease
    fk_name = "project"
    extra = 0
    can_delete = False
    fields = ["released_on", "amount", "reason", "corrects", "recorded_by", "recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description=_("Withdraw the selected projects (the part not paid goes back to the call)"),
              permissions=["change"])  # fmt: skip
def withdraw_projects(modeladmin, request, queryset):
    withdrawn = 0
    for project in queryset:
        try:
            services.project_status_change(project=project, status=Project.Status.WITHDRAWN, actor=request.user)
            withdrawn += 1
        except ValidationError as error:
            modeladmin.message_user(request, f"{project}: {' '.join(error.messages)}", messages.ERROR)
    if withdrawn:
        modeladmin.message_user(
            request, gettext("%(count)d project(s) withdrawn.") % {"count": withdrawn}, messages.SUCCESS
        )


class TrancheInline(admin.TabularInline):
    """The payment plan: tranches are added here and paid with the 'Pay the due tranches' action."""

    model = Tranche
    fk_name = "project"
    extra = 1
    can_delete = False
    fields = ["kind", "amount", "milestone", "paid"]
    readonly_fields = ["paid"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("paid on"))
    def paid(self, obj):
        return obj.disbursement.paid_on if obj.disbursement_id else "—"


def _each(modeladmin, request, queryset, work, done_message):
    done = 0
    for project in queryset:
        try:
            done += work(project)
        except ValidationError as error:
            modeladmin.message_user(request, f"{project}: {' '.join(error.messages)}", messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


@admin.action(description=_("Publish the selected grants (D.lgs. 33/2013 art. 26)"), permissions=["change"])
def publish_projects(modeladmin, request, queryset):
    def publish(project):
        services.project_publish(project=project, actor=request.user)
        return 1

    _each(modeladmin, request, queryset, publish, gettext("%(count)d grant(s) published."))


@admin.action(description=_("Approve the milestones marked done"), permissions=["change"])
def approve_done_milestones(modeladmin, request, queryset):
    def approve(project):
        pending = project.milestones.filter(done_on__isnull=False, approved_on__isnull=True)
        return sum(1 for m in pending if services.milestone_approve(milestone=m, actor=request.user))

    _each(modeladmin, request, queryset, approve, gettext("%(count)d milestone(s) approved."))


@admin.action(description=_("Pay the due tranches of the payment plan (dated today)"), permissions=["change"])
def pay_due_tranches(modeladmin, request, queryset):
    def pay(project):
        paid = 0
        for tranche in project.tranches.filter(disbursement__isnull=True).order_by("id"):
            try:
                services.tranche_due_check(tranche)
            except ValidationError:
                continue
            services.tranche_pay(tranche=tranche, paid_on=timezone.localdate(), actor=request.user)
            paid += 1
        return paid

    _each(modeladmin, request, queryset, pay, gettext("%(count)d tranche(s) paid."))


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """Applicants and beneficiaries: tax code, DURC validity and the anti-mafia check a payment needs."""

    form = OrganisationForm
    list_display = ["name", "tax_code", "natural_person", "durc_valid_until", "antimafia_status",
                    "antimafia_checked_on"]  # fmt: skip
    list_filter = ["natural_person", "antimafia_status"]
    search_fields = ["name", "tax_code"]
    inlines = [OrganisationMemberInline]  # who acts for it in the beneficiaries' area


def money_cell(amount):
    """An amount as the list's column shows it: grouped thousands, two decimals, never broken across lines
    (the column is right-aligned by ``css/grants_admin.css``)."""
    return format_html('<span class="money">{}</span>', formats.number_format(amount, 2, force_grouping=True))


@admin.register(Project)
class ProjectAdmin(ServiceErrorsMixin, admin.ModelAdmin):
    # What fits beside the admin's menu and filters at 1440 px without scrolling sideways: the call is a filter
    # (and in each project), the released money is in the project's page; the money is grouped and right-aligned.
    list_display = ["title_it", "beneficiary", "status", "granted", "disbursed", "to_disburse", "period",
                    "zone_codes"]  # fmt: skip
    list_filter = ["call__kind", "call", "status", "night_service"]
    search_fields = ["title_it", "title_en", "beneficiary"]
    date_hierarchy = "start_on"
    actions = [withdraw_projects, publish_projects, approve_done_milestones, pay_due_tranches,
               *export_actions(exports.projects_table)]  # fmt: skip

    class Media:
        css = {"all": ["css/grants_admin.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("call")
            .with_money()
            .prefetch_related(Prefetch("zones", queryset=Zone.objects.only("id", "code").order_by("code")))
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ProjectChangeForm if obj is not None else ProjectAwardForm
        kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ProjectAwardForm.Meta.fields})]
        return [
            (None, {"fields": ["application", "call", "granted_amount", "released_total", "co_financing",
                               "disbursed_total", "status"]}),
            (_("Public description"), {"fields": ["title_it", "title_en", "description_it", "description_en",
                                                  "beneficiary", "night_service"]}),
            (_("When and where"), {"fields": ["start_on", "end_on", "sites", "zone_codes"]}),
            (_("Award and publication"), {"fields": ["organisation", "cup", "rup", "office", "award_act_number",
                                                     "award_act_date", "published_at"]}),
        ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["application", "call", "granted_amount", "released_total", "co_financing", "disbursed_total",
                "zone_codes", "published_at"]  # fmt: skip

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [MilestoneInline, TrancheInline, DisbursementInline, ReleaseInline, OutputInline]

    @admin.display(description=_("released (EUR)"), ordering="released")
    def released(self, obj):
        return obj.released

    @admin.display(description=_("released to the call so far (EUR)"))
    def released_total(self, obj):
        return services.project_released(obj.pk)

    @admin.display(description=_("granted (EUR)"), ordering="granted_amount")
    def granted(self, obj):
        return money_cell(obj.granted_amount)

    @admin.display(description=_("disbursed (EUR)"), ordering="disbursed")
    def disbursed(self, obj):
        return money_cell(obj.disbursed)

    @admin.display(description=_("still to pay (EUR)"), ordering="to_disburse")
    def to_disburse(self, obj):
        return money_cell(obj.to_disburse)

    @admin.display(description=_("period"), ordering="start_on")
    def period(self, obj):
        return format_html(
            "{}<br>{}", formats.date_format(obj.start_on, "SHORT_DATE_FORMAT"),
            formats.date_format(obj.end_on, "SHORT_DATE_FORMAT"),
        )  # fmt: skip

    @admin.display(description=_("disbursed so far (EUR)"))
    def disbursed_total(self, obj):
        return services.project_disbursed(obj.pk)

    @admin.display(description=_("zones"))
    def zone_codes(self, obj):
        return ", ".join(z.code for z in obj.zones.all())

    def save_model(self, request, obj, form, change):
        if change:
            # The status goes through the service: withdrawing releases money, reinstating commits it again.
            status = obj.status
            if "status" in form.changed_data:
                obj.status = form.initial["status"]
            obj.save()
            if "sites" in form.changed_data:
                services.project_zones_assign(project=obj)  # it brings the project's intervention in step too
            else:
                services.project_intervention_sync(project=obj)
            if "status" in form.changed_data:
                services.project_status_change(project=obj, status=status, actor=request.user)
            return
        data = dict(form.cleaned_data)
        created = services.project_award(
            application=data.pop("application"),
            granted_amount=data.pop("granted_amount"),
            start_on=data.pop("start_on"),
            end_on=data.pop("end_on"),
            actor=request.user,
            **{k: v for k, v in data.items() if v not in (None, "")},
        )
        _adopt(obj, created)

    def save_formset(self, request, form, formset, change):
        if formset.model is Tranche:
            for tranche in formset.save(commit=False):
                services.tranche_add(
                    project=form.instance, kind=tranche.kind, amount=tranche.amount, milestone=tranche.milestone
                )
            return
        if formset.model is Disbursement:
            for entry in formset.save(commit=False):
                services.disbursement_record(
                    project=form.instance,
                    amount=entry.amount,
                    paid_on=entry.paid_on,
                    note=entry.note,
                    corrects=entry.corrects,
                    actor=request.user,
                )
            return
        super().save_formset(request, form, formset, change)


@admin.register(Disbursement)
class DisbursementAdmin(ServiceErrorsMixin, admin.ModelAdmin):
    """Payments are history: recorded here or on the project page, never changed or deleted."""

    form = DisbursementForm
    list_display = ["paid_on", "project", "amount", "corrects", "note", "recorded_by", "recorded_at"]
    list_filter = ["project__call", "project"]
    date_hierarchy = "paid_on"
    search_fields = ["project__title_it", "note"]
    actions = export_actions(exports.disbursements_table)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "recorded_by", "corrects")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.disbursement_record(
            project=form.cleaned_data["project"],
            amount=form.cleaned_data["amount"],
            paid_on=form.cleaned_data["paid_on"],
            note=form.cleaned_data.get("note", ""),
            corrects=form.cleaned_data.get("corrects"),
            actor=request.user,
        )
        _adopt(obj, created)


@admin.register(GrantRelease)
class GrantReleaseAdmin(admin.ModelAdmin):
    """Money given back to the calls: history, written by withdrawing or reinstating a project."""

    list_display = ["released_on", "project", "amount", "corrects", "reason", "recorded_by", "recorded_at"]
    list_filter = ["project__call", "project"]
    date_hierarchy = "released_on"
    search_fields = ["project__title_it", "reason"]
    actions = export_actions(exports.releases_table)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "recorded_by", "corrects")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProgrammeSummary)
class ProgrammeSummaryAdmin(admin.ModelAdmin):
    """The admin index's row for the programme summary page (money and measured impact across the calls)."""

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_programme(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        # Only the changelist URL, which the admin index links to: there is nothing to list or edit here.
        opts = self.opts
        return [
            path("", self.admin_site.admin_view(self.changelist_view),
                 name=f"{opts.app_label}_{opts.model_name}_changelist"),
        ]  # fmt: skip

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("grants:programme"))


# --- beneficiaries' reporting: the city decides with the reason typed on the report or claim -------------


def _decide_action(decision: str, label):
    @admin.action(description=label, permissions=["change"])
    def action(modeladmin, request, queryset):
        decided = 0
        for item in queryset:
            try:
                services.reporting_decide(item=item, decision=decision, reason=item.decision_reason, actor=request.user)
                decided += 1
            except ValidationError as error:
                modeladmin.message_user(request, f"{item}: {' '.join(error.messages)}", messages.ERROR)
        if decided:
            modeladmin.message_user(request, gettext("%(count)d decided.") % {"count": decided}, messages.SUCCESS)

    action.__name__ = f"decide_{decision}"
    return action


DECISION_ACTIONS = [
    _decide_action("approved", _("Approve")),
    _decide_action("changes_requested", _("Ask for changes (with the reason written on it)")),
    _decide_action("rejected", _("Reject (with the reason written on it)")),
]


class ReviewAdmin(ServiceErrorsMixin, admin.ModelAdmin):
    """The office reads a report or claim and decides on its page (buttons under the reason) or in the list."""

    actions = DECISION_ACTIONS
    list_filter = ["status", "project__call"]
    change_form_template = "admin/grants/review_change_form.html"
    DECISIONS = ("approved", "changes_requested", "rejected")

    def save_model(self, request, obj, form, change):
        decision = next((d for d in self.DECISIONS if f"_decide_{d}" in request.POST), None)
        if decision is None:
            return super().save_model(request, obj, form, change)
        reason = form.cleaned_data.get("decision_reason", "")
        services.reporting_decide(item=obj, decision=decision, reason=reason, actor=request.user)
        return None

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(status="draft")  # the beneficiary's, until sent

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in ("decision_reason",)]


class ExpenseItemInline(admin.TabularInline):
    model = ExpenseItem
    extra = 0
    can_delete = False
    fields = ["description", "amount", "receipt_link"]
    readonly_fields = fields

    @admin.display(description=_("receipt (PDF)"))
    def receipt_link(self, obj):
        url = reverse("grants:beneficiaries:receipt", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(ReviewAdmin):
    list_display = ["milestone", "project", "status", "people_reached", "night_events", "night_service_hours",
                    "submitted_at"]  # fmt: skip


@admin.register(ExpenseClaim)
class ExpenseClaimAdmin(ReviewAdmin):
    list_display = ["milestone", "project", "status", "submitted_at"]
    inlines = [ExpenseItemInline]


@admin.register(ReportingEvent)
class ReportingEventAdmin(admin.ModelAdmin):
    """The audit trail of reporting: read only."""

    list_display = ["at", "project", "subject", "action", "actor", "note"]
    list_filter = ["action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
