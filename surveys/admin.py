"""Admin of the surveys: instruments and campaigns are created here in both languages; answers, margins,
weighting runs and estimates are read here (they are written by the questionnaire, the imports and the
weighting). A published instrument version is read-only: "New draft version" copies it for changes."""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import services
from .forms import FrameUploadForm, SampleDrawForm
from .importers import SurveyImportError, frame_import
from .models import (
    Campaign,
    Instrument,
    InstrumentVersion,
    Invitation,
    Item,
    PopulationMargin,
    Response,
    SurveyEstimate,
    WeightingRun,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ItemAdminForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ["position", "code", "kind", "text_it", "text_en", "choices_text", "required"]
        widgets = {"choices_text": forms.Textarea(attrs={"rows": 4, "cols": 60})}

    def clean(self):
        data = super().clean()
        candidate = Item(kind=data.get("kind") or Item.Kind.SINGLE, choices_text=data.get("choices_text") or "")
        try:
            services.item_validate(candidate)
        except ValidationError as error:
            self.add_error("choices_text", error)
        return data


class ItemInline(admin.StackedInline):
    model = Item
    form = ItemAdminForm
    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or not obj.is_published

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class VersionInline(admin.TabularInline):
    model = InstrumentVersion
    fields = ["number", "published_at", "edit_link"]
    readonly_fields = ["number", "published_at", "edit_link"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("open"))
    def edit_link(self, version):
        url = reverse("admin:surveys_instrumentversion_change", args=[version.pk])
        return format_html('<a href="{}">{}</a>', url, version)


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["code", "name_it", "name_en"]
    search_fields = ["code", "name_it", "name_en"]
    inlines = [VersionInline]


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "instrument", "number", "published_at"]
    list_filter = ["instrument"]
    readonly_fields = ["published_at"]
    inlines = [ItemInline]
    actions = ["publish", "new_draft"]

    def get_readonly_fields(self, request, obj=None):
        return ["instrument", "number", "published_at"] if obj is not None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # A published version is frozen (answers point at it): shown read-only; "New draft version" copies it.
        return (obj is None or not obj.is_published) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_delete_permission(request, obj)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        for version in queryset:
            try:
                services.instrument_version_publish(version=version)
            except ValidationError as error:
                self.message_user(request, f"{version}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(version)s is published.") % {"version": version}, messages.SUCCESS)

    @admin.action(description=_("New draft version from the selected version"))
    def new_draft(self, request, queryset):
        for version in queryset:
            draft = services.instrument_version_new_draft(version=version)
            self.message_user(request, _("%(draft)s created from %(version)s.") % {"draft": draft, "version": version})


class CampaignAdminForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["code", "title_it", "title_en", "instrument_version", "mode", "opens_at", "closes_at", "zones"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "instrument_version" in self.fields:
            self.fields["instrument_version"].queryset = InstrumentVersion.objects.published().select_related(
                "instrument"
            )


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = ["code", "title_it", "mode", "instrument_version", "opens_at", "closes_at", "links"]
    list_filter = ["mode"]
    search_fields = ["code", "title_it", "title_en"]
    filter_horizontal = ["zones"]

    def get_readonly_fields(self, request, obj=None):
        # Once answered or sampled, the questionnaire and mode of a campaign stay what the answers were given to.
        if obj is not None and (obj.responses.exists() or obj.draws.exists()):
            return ["code", "instrument_version", "mode"]
        return []

    @admin.display(description=_("pages"))
    def links(self, campaign):
        status = reverse("surveys:status", args=[campaign.code])
        parts = [format_html('<a href="{}">{}</a>', status, _("response rates"))]
        if campaign.mode == Campaign.Mode.PROBABILITY:
            for name, label in (("frame", _("upload frame")), ("draw", _("draw sample"))):
                url = reverse(f"admin:surveys_campaign_{name}", args=[campaign.pk])
                parts.append(format_html('<a href="{}">{}</a>', url, label))
        else:
            parts.append(format_html('<a href="{}">{}</a>', campaign.get_absolute_url(), _("questionnaire")))
        return format_html(" · ".join(["{}"] * len(parts)), *parts)

    def get_urls(self):
        own = [
            path("<int:pk>/frame/", self.admin_site.admin_view(self.frame_view), name="surveys_campaign_frame"),
            path("<int:pk>/draw/", self.admin_site.admin_view(self.draw_view), name="surveys_campaign_draw"),
        ]
        return own + super().get_urls()

    def _campaign(self, request, pk: int) -> Campaign:
        campaign = get_object_or_404(Campaign, pk=pk, mode=Campaign.Mode.PROBABILITY)
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        return campaign

    def frame_view(self, request, pk: int):
        """Upload the sampling frame (CSV), all or nothing; errors by line and column."""
        campaign = self._campaign(request, pk)
        form = FrameUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            with tempfile.NamedTemporaryFile(suffix=".csv") as handle:
                for chunk in form.cleaned_data["file"].chunks():
                    handle.write(chunk)
                handle.flush()
                try:
                    summary = frame_import(path=handle.name, campaign=campaign)
                except SurveyImportError as error:
                    form.add_error("file", str(error))
                else:
                    self.message_user(request, _("%(n)s frame units loaded.") % {"n": summary.rows}, messages.SUCCESS)
                    return redirect("admin:surveys_campaign_draw", pk=campaign.pk)
        return self._page(request, campaign, form, _("Upload the sampling frame"))

    def draw_view(self, request, pk: int):
        """Draw the stratified sample (seeded) and issue the invitation codes."""
        campaign = self._campaign(request, pk)
        form = SampleDrawForm(request.POST or None)
        sizes = services.stratum_sizes(campaign)
        if request.method == "POST" and form.is_valid():
            per_zone = form.cleaned_data["per_zone"] or services.allocation_proportional(
                form.cleaned_data["total"], sizes
            )
            try:
                draw = services.sample_draw(campaign=campaign, seed=form.cleaned_data["seed"], sample_sizes=per_zone)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                count = draw.invitations.count()
                self.message_user(request, _("%(n)s invitations issued.") % {"n": count}, messages.SUCCESS)
                return redirect("surveys:status", code=campaign.code)
        return self._page(request, campaign, form, _("Draw the sample"), sizes=sizes)

    def _page(self, request, campaign, form, title, **extra):
        ctx = {
            **self.admin_site.each_context(request),
            "title": title,
            "campaign": campaign,
            "form": form,
            "opts": self.model._meta,
            "original": campaign,
            "frame_units": campaign.frame_units.count(),
            **extra,
        }
        return TemplateResponse(request, "admin/surveys/campaign_tool.html", ctx)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = [
        "code", "campaign", "zone", "inclusion_probability", "emailed_at", "reminders_sent", "used_at", "opted_out_at",
    ]  # fmt: skip
    list_filter = ["campaign", "zone"]
    search_fields = ["code"]


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    """Answers are immutable: read here, never edited."""

    list_display = [
        "__str__",
        "campaign",
        "instrument_version",
        "source",
        "answered_at",
        "safe_after_dark",
        "sex",
        "age_band",
        "zone",
    ]
    list_filter = ["campaign", "source", "safe_after_dark", "sex", "age_band"]
    list_select_related = ["campaign", "instrument_version__instrument", "zone"]


@admin.register(PopulationMargin)
class PopulationMarginAdmin(ReadOnlyAdmin):
    """Loaded by ``manage.py import_population``."""

    list_display = ["zone", "reference_date", "sex", "age_band", "residents", "source"]
    list_filter = ["reference_date", "sex", "age_band"]
    list_select_related = ["zone"]


@admin.register(WeightingRun)
class WeightingRunAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "started_at", "status", "converged", "collapsed_blocks", "method_version"]
    list_filter = ["campaign", "status"]

    @admin.display(description=_("small cells collapsed"))
    def collapsed_blocks(self, run: WeightingRun) -> str:
        """What the run merged before raking (docs/methodology.md, "Small cells"), one line per block."""
        blocks = (run.diagnostics or {}).get("collapsed") or []
        if not blocks:
            return "–"
        lines = [
            f"{b['margin']}{' ' + b['zone'] if b.get('zone') else ''}: {' + '.join(b['levels'])} ({b['respondents']})"
            for b in blocks[:5]
        ]
        more = len(blocks) - len(lines)
        return "; ".join(lines) + (f"; +{more}" if more > 0 else "")


@admin.register(SurveyEstimate)
class SurveyEstimateAdmin(ReadOnlyAdmin):
    list_display = [
        "campaign",
        "zone",
        "period_kind",
        "period_start",
        "slot",
        "reading",
        "method",
        "value",
        "n",
        "effective_n",
        "suppressed",
    ]
    list_filter = ["campaign", "method", "reading", "suppressed", "period_kind"]
    list_select_related = ["campaign", "zone"]
