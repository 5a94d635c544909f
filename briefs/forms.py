"""The brief's choices (month, zone, language) as a form: bad input is a form error in the reader's language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from .selectors import BriefError, month_parse, scope_resolve


class BriefForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month (YYYY-MM)"), max_length=7)
    zone = forms.CharField(label=gettext_lazy("Zone code (empty: the whole city)"), max_length=64, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language of the PDF"), choices=settings.LANGUAGES,
                                 required=False)  # fmt: skip

    def clean_month(self):
        try:
            return month_parse(self.cleaned_data["month"])
        except BriefError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_zone(self):
        try:
            return scope_resolve(zone_code=self.cleaned_data.get("zone", ""))
        except BriefError as error:
            raise forms.ValidationError(str(error)) from None
