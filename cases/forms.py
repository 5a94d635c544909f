"""Forms of the cases pages: they parse and refuse bad input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ClosingReason, FixedCheck, Priority, TaskNote


def _styled(form: forms.Form) -> None:
    """Bootstrap Italia's classes on every visible widget."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            continue
        widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class TaskAssignForm(forms.Form):
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    # The owner the coordinator's page showed: a concurrent assignment is refused rather than overwritten.
    seen_owner = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Nobody yet"))] + [
            (u.pk, u.get_full_name() or u.username) for u in members
        ]
        _styled(self)

    def seen_owner_id(self):
        value = self.cleaned_data.get("seen_owner") or ""
        return int(value) if value.isdigit() else None


class TaskNoteForm(StyledForm):
    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=TaskNote._meta.get_field("text").max_length)  # fmt: skip


class TaskCloseForm(StyledForm):
    reason = forms.ChoiceField(label=_("How did it end?"), choices=ClosingReason.choices)
    referred_to = forms.CharField(label=_("Referred to (if not ours)"), required=False, max_length=200)
    note = forms.CharField(label=_("Internal note"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=2000)  # fmt: skip


class PublicNoteForm(StyledForm):
    public_note = forms.CharField(label=_("Public note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class CasePlaceForm(StyledForm):
    """A case opened on a place: its title, zone (fixed for an alert's case), an optional point, an optional
    category (for the due dates), the priority and the departments (pre-ticked by routing)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    zone = forms.ChoiceField(label=_("Zone"), required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    category = forms.TypedChoiceField(label=_("Category (optional)"), coerce=int, required=False, empty_value=None)
    # Left out, an alert's case is high priority and any other normal.
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, required=False)
    departments = forms.TypedMultipleChoiceField(label=_("Departments"), coerce=int)

    def __init__(self, *args, departments=(), zones=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = [(d.pk, d.name) for d in departments]
        self.fields["zone"].choices = [("", _("Choose the zone"))] + [(code, name) for code, name in zones]
        self.fields["category"].choices = [("", _("No category"))] + [(c.pk, c.name) for c in categories]

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("lat") is None) != (cleaned.get("lon") is None):
            raise forms.ValidationError(_("Give both the latitude and the longitude of the point, or neither."))
        return cleaned

    def point(self):
        from django.contrib.gis.geos import Point

        lat, lon = self.cleaned_data.get("lat"), self.cleaned_data.get("lon")
        return None if lat is None or lon is None else Point(lon, lat, srid=4326)


class FixedCheckForm(StyledForm):
    answer = forms.ChoiceField(label=_("Is it fixed?"), choices=FixedCheck.Answer.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Anything to add? (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)  # fmt: skip
