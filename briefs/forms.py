"""The brief's choices (month, zone, language) as a form: bad input is a form error in the reader's language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from .selectors import BriefError, district_councils, month_parse, scope_resolve


class BriefForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month (YYYY-MM)"), max_length=7)
    zone = forms.CharField(label=gettext_lazy("Zone code (empty: the whole city)"), max_length=64, required=False)
    council = forms.ChoiceField(
        label=gettext_lazy("Or a district council"),
        required=False,
        choices=lambda: [("", "—"), *((d.code, d.name) for d in district_councils())],
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the PDF"), choices=settings.LANGUAGES,
                                 required=False)  # fmt: skip

    def clean_month(self):
        try:
            return month_parse(self.cleaned_data["month"])
        except BriefError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        if "zone" in self.errors or "council" in self.errors:
            return data
        try:
            data["scope"] = scope_resolve(zone_code=data.get("zone", ""), council_code=data.get("council", ""))
        except BriefError as error:
            self.add_error("council" if data.get("council") else "zone", str(error))
        return data
