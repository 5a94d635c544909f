"""The applicants' forms: registration, login, and the application (organisation, project, budget plan,
documents). They parse and say what is wrong in the user's language; the services decide and write."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from city.models import Zone

from . import services
from .models import ApplicationDraft

EXTRA_BUDGET_ROWS = 3
EXTRA_SITE_ROWS = 2
EXTRA_TEAM_ROWS = 2


def posted_count(data, name: str, default: int, maximum: int) -> int:
    """How many rows of a table the page posted (a hidden field), kept within 1..maximum."""
    try:
        posted = int(data.get(name, default))
    except (TypeError, ValueError):
        posted = default
    return max(1, min(maximum, posted))


def posted_rows(data, prefix: str, names: tuple[str, ...], count: int) -> list[tuple[int, dict]]:
    """The rows of a table posted as ``<prefix>-<i>-<name>`` that hold anything: (index, {name: text})."""
    rows = []
    for index in range(count):
        row = {name: (data.get(f"{prefix}-{index}-{name}") or "").strip() for name in names}
        if any(row.values()):
            rows.append((index, row))
    return rows


def table_rows(data, prefix: str, names: tuple[str, ...], count: int, errors: dict) -> list[dict]:
    """Every row of a posted table as the page shows it again: what was typed, and its errors."""
    return [
        {"index": i, **{n: data.get(f"{prefix}-{i}-{n}", "") for n in names}, "errors": errors.get(i, [])}
        for i in range(count)
    ]


LINE_FIELDS = ("description", "requested", "co_financing")
SITE_FIELDS = ("name", "address", "lat", "lon")
TEAM_FIELDS = ("full_name", "role", "organisation", "hours")


def _style(form: forms.Form) -> None:
    """Bootstrap Italia's classes, and the help and error texts tied to their field for screen readers."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxSelectMultiple, forms.CheckboxInput)):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
        if field.help_text:
            widget.attrs.setdefault("aria-describedby", f"id_{name}_help")


class RegisterForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), max_length=150, help_text=_("We send a link to confirm it."))
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not only digits, not too common."),
    )  # fmt: skip
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    privacy = forms.BooleanField(label=_("I have read the privacy notice"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            from django.contrib.auth.models import User

            try:
                password_validation.validate_password(
                    first, User(username=data.get("email", ""), email=data.get("email", ""))
                )
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class ApplicantLoginForm(AuthenticationForm):
    """Django's login form (django-axes checks it, as the staff login), for applicants: an e-mail too long for
    any account is a form error before authentication; an unverified account is told to confirm its e-mail."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The e-mail or the password is wrong."),
        "unverified": _(
            "Confirm your e-mail first: we have just sent you a new link (%(time)s). If it is not in your inbox "
            "within a few minutes, look in the spam folder."
        ),
        "unverified_recently": _(
            "Confirm your e-mail first: we sent you the link at %(time)s, and send a new one at most every "
            "15 minutes. If it is not in your inbox, look in the spam folder."
        ),
        "not_applicant": _("This account is not an applicant's account: staff log in from the staff login page."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.label = _("E-mail")
        field.max_length = self.username_field.max_length or 150
        field.validators.append(MaxLengthValidator(field.max_length))
        _style(self)

    def clean_username(self):
        return (self.cleaned_data.get("username") or "").strip().lower()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        account = getattr(user, "applicant_account", None)
        if account is None:
            raise ValidationError(self.error_messages["not_applicant"], code="not_applicant")
        if account.verified_at is None:
            sent_at, sent_now = services.verification_email_resend(account)
            time = formats.date_format(timezone.localtime(sent_at), "SHORT_DATETIME_FORMAT")
            code = "unverified" if sent_now else "unverified_recently"
            raise ValidationError(self.error_messages[code], code=code, params={"time": time})


def _zone_choices():
    return Zone.objects.select_related("parent").order_by("district", "name", "id")


class ZoneChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Zone) -> str:
        return obj.place_label  # "name, district", as the report form lists them


class DraftForm(forms.Form):
    """Every field of the application; blank is allowed in a draft (submission checks completeness)."""

    org_name = forms.CharField(label=_("Organisation name"), max_length=200, required=False)
    org_legal_form = forms.ChoiceField(
        label=_("Legal form"), choices=[("", "—"), *ApplicationDraft.LegalForm.choices], required=False
    )
    org_tax_code = forms.CharField(
        label=_("Codice fiscale of the organisation"), max_length=20, required=False,
        help_text=_("11 digits, e.g. 97512340015."),
    )  # fmt: skip
    org_vat_number = forms.CharField(
        label=_("Partita IVA (if any)"), max_length=20, required=False, help_text=_("11 digits.")
    )
    org_address = forms.CharField(label=_("Registered address"), max_length=300, required=False)
    legal_rep_name = forms.CharField(label=_("Legal representative"), max_length=200, required=False)
    legal_rep_tax_code = forms.CharField(
        label=_("Legal representative's codice fiscale"), max_length=20, required=False,
        help_text=_("16 letters and digits."),
    )  # fmt: skip
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    title = forms.CharField(label=_("Project title"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("Summary"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the project does, for whom, at what hours of the night (at most 5000 characters)."),
    )  # fmt: skip
    zones = ZoneChoiceField(
        label=_("Zones where the project takes place"), queryset=Zone.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    start_on = forms.DateField(
        label=_("Start"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end_on = forms.DateField(
        label=_("End"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    night_service = forms.BooleanField(label=_("The project offers a night-time service"), required=False)

    def __init__(self, *args, draft: ApplicationDraft, **kwargs):
        super().__init__(*args, **kwargs)
        self.draft = draft
        self.fields["zones"].queryset = _zone_choices()
        self.kinds = list(draft.call.attachment_types.all())
        for kind in self.kinds:
            self.fields[f"doc_{kind.pk}"] = forms.FileField(
                label=kind.name,
                required=False,
                help_text=_("PDF, at most %(limit)d MB.") % {"limit": kind.max_mb},
                widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
            )
        _style(self)
        self.declarations = list(draft.call.declarations.all())
        for declaration in self.declarations:
            self.fields[f"decl_{declaration.pk}"] = forms.BooleanField(
                label=declaration.text, required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
            )
        self.line_count = min(
            services.MAX_BUDGET_LINES, max(draft.budget_lines.count() + EXTRA_BUDGET_ROWS, EXTRA_BUDGET_ROWS)
        )
        self.site_count = min(services.MAX_SITES, draft.sites.count() + EXTRA_SITE_ROWS)
        self.team_count = min(services.MAX_TEAM, draft.team.count() + EXTRA_TEAM_ROWS)
        if self.is_bound:
            self.line_count = posted_count(self.data, "line_count", self.line_count, services.MAX_BUDGET_LINES)
            self.site_count = posted_count(self.data, "site_count", self.site_count, services.MAX_SITES)
            self.team_count = posted_count(self.data, "team_count", self.team_count, services.MAX_TEAM)
        self.lines: list[tuple[str, Decimal, Decimal]] = []
        self.line_errors: dict[int, list[str]] = {}
        self.sites: list[dict] = []
        self.site_errors: dict[int, list[str]] = {}
        self.team: list[dict] = []
        self.team_errors: dict[int, list[str]] = {}

    def _clean_code(self, name: str, parse) -> str:
        value = self.cleaned_data.get(name, "")
        if not value:
            return ""
        try:
            return parse(value)
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def clean_org_tax_code(self):
        return self._clean_code("org_tax_code", services.organisation_tax_code_parse)

    def clean_org_vat_number(self):
        return self._clean_code("org_vat_number", services.organisation_tax_code_parse)

    def clean_legal_rep_tax_code(self):
        return self._clean_code("legal_rep_tax_code", services.person_tax_code_parse)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", _("The end date cannot be before the start date."))
        for kind in self.kinds:
            file = data.get(f"doc_{kind.pk}")
            if file:
                try:
                    services.attachment_accept(kind, file)
                except ValidationError as error:
                    self.add_error(f"doc_{kind.pk}", error)
        self._clean_lines()
        self._clean_table("site", SITE_FIELDS, self.site_count, services.site_locate, self.sites, self.site_errors,
                          _("Check the sites: some are not right."))  # fmt: skip
        self._clean_table("team", TEAM_FIELDS, self.team_count, services.team_member_parse, self.team,
                          self.team_errors, _("Check the team: some lines are not right."))  # fmt: skip
        return data

    def _clean_table(self, prefix, names, count, parse, rows, errors, message) -> None:
        """Each row that holds anything goes through the service's own parser; its errors stay on the row."""
        for index, row in posted_rows(self.data, prefix, names, count):
            try:
                parse(**row)
            except ValidationError as error:
                errors[index] = error.messages
            else:
                rows.append(row)
        if errors:
            self.add_error(None, message)

    def declared(self) -> set[int]:
        return {d.pk for d in self.declarations if self.cleaned_data.get(f"decl_{d.pk}")}

    def site_rows(self) -> list[dict]:
        """The sites' rows: what was posted (with its errors) or what the draft holds, then blanks."""
        if self.is_bound:
            return table_rows(self.data, "site", SITE_FIELDS, self.site_count, self.site_errors)
        rows = [
            {"index": i, "name": s.name, "address": s.address, "lat": f"{s.point.y:.6f}", "lon": f"{s.point.x:.6f}",
             "zone": s.zone.place_label, "errors": []}
            for i, s in enumerate(self.draft.sites.select_related("zone__parent"))
        ]  # fmt: skip
        while len(rows) < self.site_count:
            rows.append({"index": len(rows), **dict.fromkeys(SITE_FIELDS, ""), "errors": []})
        return rows

    def team_rows(self) -> list[dict]:
        if self.is_bound:
            return table_rows(self.data, "team", TEAM_FIELDS, self.team_count, self.team_errors)
        rows = [
            {"index": i, "full_name": m.full_name, "role": m.role, "organisation": m.organisation,
             "hours": "" if m.hours is None else m.hours, "errors": []}
            for i, m in enumerate(self.draft.team.all())
        ]  # fmt: skip
        while len(rows) < self.team_count:
            rows.append({"index": len(rows), **dict.fromkeys(TEAM_FIELDS, ""), "errors": []})
        return rows

    def _clean_lines(self) -> None:
        for index, row in posted_rows(self.data, "line", LINE_FIELDS, self.line_count):
            description, requested, co_financing = row["description"], row["requested"], row["co_financing"]
            errors = []
            amounts = []
            for value, field in ((requested, _("The amount requested")), (co_financing, _("Co-financing"))):
                try:
                    amounts.append(services.amount_parse(value, field=str(field)))
                except ValidationError as error:
                    errors.extend(error.messages)
            if not description:
                errors.append(str(_("Describe the expense item.")))
            elif len(description) > 300:
                errors.append(str(_("The description of an expense item has at most 300 characters.")))
            if len(amounts) == 2 and not (amounts[0] or amounts[1]):
                errors.append(str(_("Write the amount requested, the co-financing or both.")))
            if errors:
                self.line_errors[index] = errors
            else:
                self.lines.append((description, amounts[0], amounts[1]))
        if self.line_errors:
            self.add_error(None, _("Check the budget plan: some lines are not right."))

    def uploads(self) -> dict:
        return {
            kind.pk: self.cleaned_data[f"doc_{kind.pk}"]
            for kind in self.kinds
            if self.cleaned_data.get(f"doc_{kind.pk}")
        }

    def budget_rows(self) -> list[dict]:
        """The rows of the budget table: what was posted (with its errors) or what the draft holds, then blanks."""
        if self.is_bound:
            return table_rows(self.data, "line", LINE_FIELDS, self.line_count, self.line_errors)
        rows = []
        for index, line in enumerate(self.draft.budget_lines.all()):
            rows.append(
                {"index": index, "description": line.description, "requested": line.requested,
                 "co_financing": line.co_financing, "errors": []}
            )  # fmt: skip
        while len(rows) < self.line_count:
            rows.append({"index": len(rows), "description": "", "requested": "", "co_financing": "", "errors": []})
        return rows


def draft_initial(draft: ApplicationDraft) -> dict:
    initial = {name: getattr(draft, name) for name in services.DRAFT_FIELDS}
    initial["zones"] = list(draft.zones.values_list("pk", flat=True))
    for declaration_id in draft.declarations.values_list("declaration_id", flat=True):
        initial[f"decl_{declaration_id}"] = True
    return initial
