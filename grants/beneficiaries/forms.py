"""The beneficiaries' forms: they only shape the input; the services decide what is acceptable."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

ITALIAN_AMOUNT = re.compile(r"^\s*\d{1,3}(\.\d{3})*(,\d+)?\s*$|^\s*\d+,\d+\s*$")


def amount_normalise(value: str) -> str:
    """``1.250,50`` (as Italians type it) or ``1250,50`` become ``1250.50``; anything else is left for
    ``services.money_parse`` to accept or refuse with its message."""
    value = (value or "").strip().replace("\u00a0", "").replace(" ", "")
    if "," in value and ITALIAN_AMOUNT.match(value):
        return value.replace(".", "").replace(",", ".")
    return value


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("What was done"), required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
        help_text=_("Activities held, who took part, what went as planned and what did not."),
    )  # fmt: skip
    people_reached = forms.CharField(
        label=_("People reached"), required=False, max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "form-control", "autocomplete": "off"}),
    )  # fmt: skip
    night_events = forms.CharField(
        label=_("Night events held"), required=False, max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "form-control", "autocomplete": "off"}),
    )  # fmt: skip
    night_service_hours = forms.CharField(
        label=_("Hours of night-time service"), required=False, max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "form-control", "autocomplete": "off"}),
    )  # fmt: skip

    def clean_night_service_hours(self) -> str:
        return (self.cleaned_data["night_service_hours"] or "").strip().replace(",", ".")


class ClaimItemForm(forms.Form):
    description = forms.CharField(
        label=_("Expense item"), max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
        help_text=_("What was bought or paid for, e.g. 'Stewarding, 12 evenings'."),
    )  # fmt: skip
    amount = forms.CharField(
        label=_("Amount (EUR)"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "form-control", "autocomplete": "off"}),
    )  # fmt: skip
    receipt = forms.FileField(
        label=_("Receipt (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf", "class": "form-control"}),
    )

    def clean_amount(self) -> str:
        return amount_normalise(self.cleaned_data["amount"])
