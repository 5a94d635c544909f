"""The questionnaire form (built from an instrument version) and the staff forms; they parse, services check."""

from __future__ import annotations

from django import forms
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from city.i18n import in_language
from city.models import Zone
from reports.forms import CoordinateField

from .models import AgeBand, Campaign, Item, SafeAfterDark, Sex
from .services import campaign_zones, item_choices

# The headline's answers in ISTAT's order: from very safe down, "never goes out alone" last.
HEADLINE_ORDER = [
    SafeAfterDark.VERY_SAFE,
    SafeAfterDark.FAIRLY_SAFE,
    SafeAfterDark.A_BIT_UNSAFE,
    SafeAfterDark.NOT_SAFE_AT_ALL,
    SafeAfterDark.NEVER_OUT_ALONE,
]


def item_field_name(code: str) -> str:
    return f"item_{code}"


class ZoneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Zone) -> str:
        return obj.name


class QuestionnaireForm(forms.Form):
    """The fields of one campaign's questionnaire: its invitation code (probability samples), the headline
    item, the version's items and the optional profile. Every answer but the headline may be left empty
    unless the item is required; the service says what is wrong (``services.response_validate``)."""

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        version = campaign.instrument_version
        if campaign.mode == Campaign.Mode.PROBABILITY:
            self.fields["invitation_code"] = forms.CharField(
                label=_("Invitation code"),
                max_length=32,
                help_text=_("The code printed on your letter or written in your e-mail."),
                error_messages={"required": _("Please type the code of your invitation.")},
                widget=forms.TextInput(
                    attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
                ),
            )
        self.fields["safe_after_dark"] = forms.TypedChoiceField(
            label=version.headline,
            choices=[(choice.value, choice.label) for choice in HEADLINE_ORDER],
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={"required": _("Please choose how safe you feel.")},
        )
        self.items: list[tuple[Item, str]] = []
        for item in version.items.all():
            choices = [(c.code, in_language(c.label_it, c.label_en)) for c in item_choices(item)]
            label = item.text if item.required else f"{item.text} {_('(optional)')}"
            if item.kind == Item.Kind.SINGLE:
                field = forms.ChoiceField(label=label, choices=choices, required=False, widget=forms.RadioSelect)
            else:
                field = forms.MultipleChoiceField(
                    label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
                )
            self.fields[item_field_name(item.code)] = field
            self.items.append((item, item_field_name(item.code)))
        if version.ask_sex:
            self.fields["sex"] = forms.ChoiceField(
                label=_("Sex (optional)"),
                choices=[*Sex.choices, ("", pgettext_lazy("sex", "I prefer not to say"))],
                required=False,
                widget=forms.RadioSelect,
            )
        if version.ask_age_band:
            self.fields["age_band"] = forms.ChoiceField(
                label=_("Age (optional)"),
                choices=[("", _("I prefer not to say")), *AgeBand.choices],
                required=False,
            )
        if version.ask_zone:
            self.fields["zone"] = ZoneChoiceField(
                label=_("Zone where you live (optional)"),
                queryset=campaign_zones(campaign).order_by("name"),
                required=False,
                empty_label=_("Choose a zone"),
            )
            self.fields["address"] = forms.CharField(
                label=_("Or the street where you live (optional)"), max_length=200, required=False
            )
            self.fields["latitude"] = CoordinateField(coordinate="latitude", required=False, widget=forms.HiddenInput)
            self.fields["longitude"] = CoordinateField(coordinate="longitude", required=False, widget=forms.HiddenInput)
        # The honeypot: people do not see it, scripts fill it in.
        self.fields["website"] = forms.CharField(required=False, label=_("Leave this empty"))

    def clean(self):
        data = super().clean()
        if data.get("website"):
            raise forms.ValidationError(_("Your answers could not be accepted."), code="honeypot")
        return data

    def answers(self) -> dict[str, object]:
        return {item.code: self.cleaned_data.get(name) for item, name in self.items}

    def item_fields(self):
        return [self[name] for _item, name in self.items]

    def location(self) -> Point | None:
        lat, lon = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        if lat is None or lon is None:
            return None
        return Point(lon, lat, srid=4326)

    def field_for_error(self, key: str) -> str | None:
        """The form field a service error (``answers[code]``, ``zone``, ...) belongs to; None: the whole form."""
        if key.startswith("answers[") and key.endswith("]"):
            key = item_field_name(key[len("answers[") : -1])
        return key if key in self.fields else None


class SampleDrawForm(forms.Form):
    """How many to invite: a total shared among zones in proportion to their size, or one line per zone."""

    seed = forms.IntegerField(
        label=_("Seed"), min_value=0, max_value=2**63 - 1, help_text=_("The same seed and frame draw the same sample.")
    )
    total = forms.IntegerField(
        label=_("Invitations in all (proportional to each zone's size)"), min_value=1, required=False
    )
    per_zone = forms.CharField(
        label=_("Or invitations per zone, one line each: ZONE-CODE=number"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_per_zone(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for number, line in enumerate((self.cleaned_data.get("per_zone") or "").splitlines(), start=1):
            if not line.strip():
                continue
            code, sep, count = line.partition("=")
            if not sep or not count.strip().isdigit() or not code.strip():
                raise forms.ValidationError(_("Line %(line)s: write ZONE-CODE=number."), params={"line": number})
            sizes[code.strip()] = int(count.strip())
        return sizes

    def clean(self):
        data = super().clean()
        if not self.errors and bool(data.get("total")) == bool(data.get("per_zone")):
            raise forms.ValidationError(_("Give either a total or the invitations per zone."))
        return data


class FrameUploadForm(forms.Form):
    file = forms.FileField(label=_("Sampling frame (CSV: frame_id, zone_code, email, address, language)"))


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
