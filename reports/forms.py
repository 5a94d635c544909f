"""The citizen's report form: parses and checks input, then hands over to report_submit."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Category, PerceivedSafety

CLOCK_SKEW = dt.timedelta(minutes=5)


class ReportForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=Category.objects.filter(active=True),
        empty_label=_("Choose a category"),
        error_messages={"required": _("Please choose a category."), "invalid_choice": _("Please choose a category.")},
    )
    perceived_safety = forms.TypedChoiceField(
        label=_("How safe did you feel?"),
        choices=PerceivedSafety.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please say how safe you felt.")},
    )
    latitude = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={"required": _("Please place the pin on the map or type the coordinates.")},
    )
    longitude = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={"required": _("Please place the pin on the map or type the coordinates.")},
    )
    occurred_at = forms.DateTimeField(
        label=_("When did it happen?"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": _("Please say when it happened.")},
    )
    description = forms.CharField(
        label=_("What happened? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_occurred_at(self) -> dt.datetime:
        occurred_at = self.cleaned_data["occurred_at"]
        now = timezone.now()
        if occurred_at > now + CLOCK_SKEW:
            raise forms.ValidationError(_("This time is in the future. Please give the time it happened."))
        oldest = now - dt.timedelta(days=settings.OBSERVATORY_REPORT_MAX_AGE_DAYS)
        if occurred_at < oldest:
            raise forms.ValidationError(
                _("This is more than %(days)s days ago; we only take recent reports."),
                params={"days": settings.OBSERVATORY_REPORT_MAX_AGE_DAYS},
            )
        return occurred_at

    def location(self) -> Point:
        return Point(self.cleaned_data["longitude"], self.cleaned_data["latitude"], srid=4326)
