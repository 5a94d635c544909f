"""Admin forms of the grants app: they parse input and ask the services' checks, which say what is wrong."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Application, ApplicationAttachment, Call, Disbursement, Milestone, Organisation, Project


class GeoJSONMapWidget(forms.Textarea):
    """GeoJSON in a textarea, drawn and previewed on a Leaflet map served from our own static files.

    GeoDjango's OSMWidget loads OpenLayers from a CDN; this one loads nothing from outside except
    the optional base tiles (the map works without them).
    """

    template_name = "grants/widgets/geojson_map.html"

    class Media:
        css = {"all": ("vendor/leaflet/leaflet.css",)}
        js = ("vendor/leaflet/leaflet.js", "js/projects_admin.js")

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 6, "cols": 80, "class": "geojson-sites", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, GEOSGeometry):
            return value.json
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["map"] = {
            "lat": settings.OBSERVATORY_CITY_CENTRE[0],
            "lon": settings.OBSERVATORY_CITY_CENTRE[1],
            "tiles": settings.OBSERVATORY_MAP_TILES_URL,
            "attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
        }
        return context


class GeoJSONSitesField(forms.CharField):
    widget = GeoJSONMapWidget
    default_error_messages = {"required": _("Draw at least one site on the map, or paste GeoJSON.")}

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            _(
                "Click the map to add the corners of a site, then 'Finish polygon' (or 'Add point'); "
                "or paste GeoJSON (a geometry, Feature or FeatureCollection, longitude/latitude WGS84)."
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, GEOSGeometry):
            return value
        value = super().to_python(value)
        if not value:
            return None
        return services.sites_from_geojson(value)

    def prepare_value(self, value):
        return value.json if isinstance(value, GEOSGeometry) else value

    def has_changed(self, initial, data):
        if initial is None:
            return bool(data)
        try:
            return not services.sites_from_geojson(data).equals_exact(initial, 1e-9)
        except (ValidationError, TypeError):
            return True


class CallForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = ["kind", "title_it", "title_en", "budget", "opens_on", "closes_on", "eligibility", "minimum_score",
                  "legal_basis", "selection_method", "ranking_act_number", "ranking_act_date"]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", _("The call cannot close before it opens."))
        budget = cleaned.get("budget")
        if budget is not None and self.instance.pk:
            committed = services.call_committed(self.instance.pk)
            if budget < committed:
                self.add_error(
                    "budget",
                    _("%(committed)s EUR are already granted in this call: the budget cannot be lower.")
                    % {"committed": committed},
                )
        return cleaned


class ApplicationForm(forms.ModelForm):
    sites = GeoJSONSitesField(label=_("proposed sites"))

    class Meta:
        model = Application
        fields = [
            "call", "organisation", "contact_name", "contact_email", "contact_phone", "title", "summary",
            "requested_amount", "co_financing", "night_service", "submitted_on", "sites",
        ]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and not self.errors:
            try:
                services.application_check(
                    call=cleaned["call"],
                    requested_amount=cleaned["requested_amount"],
                    co_financing=cleaned.get("co_financing"),
                    sites=cleaned["sites"],
                    submitted_on=cleaned["submitted_on"],
                )
            except ValidationError as error:
                raise ValidationError(error.messages) from None
        elif self.instance.pk and "sites" in self.changed_data and cleaned.get("sites") is not None:
            try:
                services.sites_check_in_city(cleaned["sites"])
            except ValidationError as error:
                self.add_error("sites", error)
        return cleaned


class AttachmentForm(forms.ModelForm):
    class Meta:
        model = ApplicationAttachment
        fields = ["file"]

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file and hasattr(file, "content_type"):  # a new upload, not the stored file
            services.attachment_check(file)
        return file

    def save(self, commit=True):
        file = self.cleaned_data["file"]
        if self.instance.pk is None:
            self.instance.original_name = file.name[:255]
            self.instance.size = file.size
        return super().save(commit)


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "tax_code", "natural_person", "email", "language", "durc_valid_until", "antimafia_status",
                  "antimafia_checked_on"]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("tax_code"):
            try:
                cleaned["tax_code"] = services.tax_code_parse(
                    cleaned["tax_code"], natural_person=bool(cleaned.get("natural_person"))
                )
            except ValidationError as error:
                self.add_error("tax_code", error)
        status = cleaned.get("antimafia_status")
        checked = cleaned.get("antimafia_checked_on")
        if status in (Organisation.AntimafiaStatus.CLEARED, Organisation.AntimafiaStatus.REFUSED) and not checked:
            self.add_error("antimafia_checked_on", _("The date of the anti-mafia check is required with its outcome."))
        return cleaned


class ProjectAwardForm(forms.ModelForm):
    """Fund a ranked application; the project is created by ``services.project_award``."""

    application = forms.ModelChoiceField(
        queryset=Application.objects.filter(status=Application.Status.RANKED).select_related("call"),
        label=_("ranked application"),
    )
    sites = GeoJSONSitesField(label=_("sites"), required=False)

    class Meta:
        model = Project
        fields = [
            "application", "granted_amount", "co_financing", "start_on", "end_on", "status",
            "title_it", "title_en", "description_it", "description_en", "beneficiary", "sites",
            "organisation", "cup", "rup", "office", "award_act_number", "award_act_date",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("title_it", "title_en", "beneficiary", "co_financing"):
            self.fields[name].required = False
        # Withdrawing is a later step (it releases money); a new project cannot start withdrawn.
        self.fields["status"].choices = [c for c in Project.Status.choices if c[0] != Project.Status.WITHDRAWN]
        self.fields["sites"].help_text = _("Leave empty to use the sites of the application.")
        # No 0.00 pre-filled from the model's default: an empty field keeps the application's co-financing.
        self.fields["co_financing"].initial = None
        self.fields["co_financing"].help_text = _("Leave empty to keep the co-financing of the application.")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                services.project_award_check(
                    application=cleaned["application"],
                    granted_amount=cleaned["granted_amount"],
                    start_on=cleaned["start_on"],
                    end_on=cleaned["end_on"],
                    co_financing=cleaned.get("co_financing"),
                )
                if cleaned.get("cup"):
                    cleaned["cup"] = services.cup_parse(cleaned["cup"])
                if cleaned.get("sites") is not None:
                    services.sites_check_in_city(cleaned["sites"])
            except ValidationError as error:
                raise ValidationError(error.messages) from None
        return cleaned


class ProjectChangeForm(forms.ModelForm):
    sites = GeoJSONSitesField(label=_("sites"))

    class Meta:
        model = Project
        fields = [
            "title_it", "title_en", "description_it", "description_en", "beneficiary", "status",
            "start_on", "end_on", "night_service", "sites", "organisation", "cup", "rup", "office",
            "award_act_number", "award_act_date",
        ]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_on"), cleaned.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", _("The end cannot be before the start."))
        if cleaned.get("cup"):
            try:
                cleaned["cup"] = services.cup_parse(cleaned["cup"])
            except ValidationError as error:
                self.add_error("cup", error)
        else:
            cleaned["cup"] = None
        if "sites" in self.changed_data and cleaned.get("sites") is not None:
            try:
                services.sites_check_in_city(cleaned["sites"])
            except ValidationError as error:
                self.add_error("sites", error)
        if "status" in self.changed_data and cleaned.get("status"):
            try:  # the instance still holds the saved status here
                services.project_status_check(project=self.instance, status=cleaned["status"])
            except ValidationError as error:
                self.add_error("status", error)
        return cleaned


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title_it", "title_en", "due_on", "done_on"]

    def clean(self):
        cleaned = super().clean()
        done = cleaned.get("done_on")
        if done and done > timezone.localdate():
            self.add_error("done_on", _("A milestone cannot be done in the future."))
        return cleaned


class DisbursementForm(forms.ModelForm):
    """A tranche or a correction; ``services.disbursement_record`` writes it under a lock on the project."""

    amount = forms.CharField(
        label=_("amount (EUR)"),
        help_text=_("Use a point for cents, e.g. 25000.00; negative for a correction that takes money back."),
    )

    class Meta:
        model = Disbursement
        fields = ["project", "paid_on", "amount", "note", "corrects"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "project" in self.fields:
            self.fields["project"].queryset = Project.objects.select_related("call")

    def clean_amount(self):
        return services.money_parse(self.cleaned_data["amount"], field=_("The amount"), allow_negative=True)

    def clean(self):
        cleaned = super().clean()
        project = cleaned.get("project") or (self.instance.project if self.instance.project_id else None)
        if project is not None and not self.errors:
            try:
                services.disbursement_check(project=project, amount=cleaned["amount"], paid_on=cleaned["paid_on"])
            except ValidationError as error:
                raise ValidationError(error.messages) from None
            corrects = cleaned.get("corrects")
            if corrects is not None and corrects.project_id != project.pk:
                self.add_error("corrects", _("A correction must refer to an entry of the same project."))
        return cleaned
