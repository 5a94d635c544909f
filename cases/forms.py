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


class CaseFromAlertForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    departments = forms.TypedMultipleChoiceField(label=_("Departments"), coerce=int)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = [(d.pk, d.name) for d in departments]


class FixedCheckForm(StyledForm):
    answer = forms.ChoiceField(label=_("Is it fixed?"), choices=FixedCheck.Answer.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Anything to add? (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)  # fmt: skip
