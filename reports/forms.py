"""The citizen's forms: they parse input; report_submit and the other services check and save it."""

from __future__ import annotations

from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from city.models import Department, Zone

from .models import (
    TRACKING_CODE_LENGTH,
    AbuseFlag,
    Category,
    PerceivedSafety,
    Report,
    SafetyAudit,
    StatusChange,
    characters_never_in_codes,
    normalise_tracking_code,
)
from .selectors import QueueFilters
from .validation import column_limit, parse_coordinate


class CoordinateField(forms.Field):
    """A latitude or longitude, read by validation.parse_coordinate like the API's and Open311's."""

    widget = forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})

    def __init__(self, *, coordinate: str, **kwargs):
        self.coordinate = coordinate
        super().__init__(**kwargs)

    def to_python(self, value) -> float | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_coordinate(value, field=self.coordinate)
        except ValidationError as error:
            raise ValidationError(error.message_dict[self.coordinate], code="coordinate") from None


class ZoneChoiceField(forms.ModelChoiceField):
    """The zone list of the citizens' forms: places people know (name and district), grouped by district."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Or choose the area"),
            required=False,
            queryset=Zone.objects.select_related("parent").order_by("district", "name", "id"),
            empty_label=_("(no area chosen)"),
            error_messages={"invalid_choice": _("Please choose an area from the list.")},
            **kwargs,
        )

    def label_from_instance(self, obj: Zone) -> str:
        return obj.place_label


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return obj.name


class AnswerListField(forms.Field):
    """Answers to a multiple-choice extra question; the service checks them against the category's values."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(v) for v in values if str(v).strip()]


def question_field(question: dict) -> forms.Field:
    """A form field for one extra question (an Open311 attribute). Fields only parse: answers are validated by
    services.validate_attributes, as for the API and Open311, and only for the category the citizen chose."""
    label = question["label"] + ("" if question["required"] else " " + str(_("(optional)")))
    common = {"label": label, "required": False, "help_text": question["help"]}
    choices = [(value["key"], value["name"]) for value in question["values"]]
    datatype = question["datatype"]
    if datatype == "multivaluelist":
        return AnswerListField(widget=forms.CheckboxSelectMultiple(choices=choices), **common)
    if datatype == "singlevaluelist":
        return forms.CharField(widget=forms.Select(choices=[("", _("(choose)")), *choices]), **common)
    control = {"class": "form-control"}
    if datatype == "number":
        return forms.CharField(
            widget=forms.NumberInput(attrs={**control, "step": "any", "inputmode": "decimal"}), **common
        )
    if datatype == "datetime":
        return forms.CharField(widget=forms.DateTimeInput(attrs={**control, "type": "datetime-local"}), **common)
    if datatype == "text":
        return forms.CharField(widget=forms.Textarea(attrs={**control, "rows": 3, "maxlength": 2000}), **common)
    return forms.CharField(widget=forms.TextInput(attrs={**control, "maxlength": 500}), **common)


class ReportForm(forms.Form):
    category = CategoryChoiceField(
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
    latitude = CoordinateField(coordinate="latitude", label=_("Latitude"), required=False)
    longitude = CoordinateField(coordinate="longitude", label=_("Longitude"), required=False)
    zone = ZoneChoiceField()
    # Lengths come from the model's columns (the service checks them; here they set the pages' maxlength).
    address = forms.CharField(
        label=_("Address or place (optional)"), required=False, max_length=column_limit(Report, "address")
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
        max_length=column_limit(Report, "description"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photo = forms.FileField(label=_("Photo (optional): JPEG, PNG or WebP"), required=False)
    contact_email = forms.EmailField(
        label=_("E-mail for updates (optional)"),
        required=False,
        max_length=column_limit(Report, "contact_email"),
        error_messages={"invalid": _("Please give a valid e-mail address.")},
    )
    contact_consent = forms.BooleanField(
        label=_(
            "I agree that the city keeps my e-mail address only to send me updates on this report; "
            "it is erased after six months and never published."
        ),
        required=False,
    )
    # Honeypot: hidden from people (and from assistive technology); bots fill every field.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    # The citizen's answer to "already reported nearby?": absent when no list was shown, NEW_REPORT, or the
    # tracking code of the open report nearby they add their experience to.
    join = forms.CharField(
        label=_("Already reported nearby?"), required=False, max_length=column_limit(Report, "tracking_code")
    )
    # Sent by the page's own form: a post without a choice comes back once with the possible duplicates. Other
    # clients posting the form (scripts, the bench) leave it out and are never held at that step.
    offer_duplicates = forms.BooleanField(required=False, widget=forms.HiddenInput)

    NEW_REPORT = "new"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every active category's extra questions, grouped by category: the script shows the chosen category's
        # group; without JavaScript all groups are shown and only the chosen category's answers are read.
        self.question_groups: list[dict] = []
        self._question_fields: dict[int, dict[str, str]] = {}
        categories = self.fields["category"].queryset.exclude(attributes=[])
        for category in categories:
            names = {}
            for position, question in enumerate(category.questions()):
                name = f"attr_{category.pk}_{position}"
                self.fields[name] = question_field(question)
                names[question["code"]] = name
            if names:
                self._question_fields[category.pk] = names
                self.question_groups.append({"category": category, "names": list(names.values())})

    def question_groups_bound(self) -> list[dict]:
        return [
            {"category": group["category"], "fields": [self[name] for name in group["names"]]}
            for group in self.question_groups
        ]

    def question_field_name(self, category: Category, code: str) -> str | None:
        return self._question_fields.get(category.pk, {}).get(code)

    def attribute_answers(self, category: Category) -> dict:
        """The answers given to ``category``'s questions, by question code (blank ones left out)."""
        answers = {}
        for code, name in self._question_fields.get(category.pk, {}).items():
            value = self.cleaned_data.get(name)
            if value not in (None, "", []):
                answers[code] = value
        return answers

    def join_code(self) -> str:
        """The tracking code chosen to add to, or '' for a new report (or when no choice was offered)."""
        code = (self.cleaned_data.get("join") or "").strip().upper()
        return "" if code == self.NEW_REPORT.upper() else code

    def join_offered(self) -> bool:
        return bool((self.cleaned_data.get("join") or "").strip())

    def clean(self):
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None) and "latitude" not in self.errors and "longitude" not in self.errors:
            self.add_error("latitude", _("Please give both latitude and longitude, or place the pin on the map."))
        no_place = lat is None and lon is None and not data.get("zone") and not data.get("address")
        if no_place and "latitude" not in self.errors and "longitude" not in self.errors and "zone" not in self.errors:
            self.add_error("latitude", _("Please place the pin on the map, type the coordinates, or choose an area."))
        if data.get("website"):
            raise forms.ValidationError(_("Your report could not be accepted."), code="honeypot")
        return data

    def location(self) -> Point | None:
        lat, lon = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        if lat is None or lon is None:
            return None
        return Point(lon, lat, srid=4326)


class NearbyForm(forms.Form):
    """The query of /reports/nearby.json: a category (by id, as the form's list sends it) and a point."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(active=True),
        error_messages={
            "required": _("category: give the id of an active category, as the report form lists them."),
            "invalid_choice": _("category: give the id of an active category, as the report form lists them."),
        },
    )
    lat = forms.FloatField(
        min_value=-90,
        max_value=90,
        error_messages={
            key: _("lat: give the latitude in decimal degrees, from -90 to 90.")
            for key in ("required", "invalid", "min_value", "max_value")
        },
    )
    lon = forms.FloatField(
        min_value=-180,
        max_value=180,
        error_messages={
            key: _("lon: give the longitude in decimal degrees, from -180 to 180.")
            for key in ("required", "invalid", "min_value", "max_value")
        },
    )

    def location(self) -> Point:
        return Point(self.cleaned_data["lon"], self.cleaned_data["lat"], srid=4326)


class PointQueryForm(forms.Form):
    """A point given by a page's script (/reports/places/where.json): latitude and longitude in degrees."""

    lat = NearbyForm.base_fields["lat"]
    lon = NearbyForm.base_fields["lon"]

    def location(self) -> Point:
        return Point(self.cleaned_data["lon"], self.cleaned_data["lat"], srid=4326)


class StreetQueryForm(forms.Form):
    """What a person typed in the address field, for the street suggestions."""

    q = forms.CharField(max_length=100, required=False, strip=True)


# Where a service's error lands on the report form (the location has no single field; errors on extra questions,
# keyed attribute[<code>], land on that question's field: see views._apply_errors).
FORM_FIELD_FOR = {
    "location": "latitude",
    "public_description": "description",
    "attributes": None,
    "duplicate_of": "join",
}


# What 0 (worst) and 3 (best) mean for each of Safetipin's nine parameters, one line next to each on the form.
AUDIT_SCORE_HELP = {
    "lighting": _("0 = dark, no working lights; 3 = bright, you can see faces and the ground everywhere."),
    "openness": _("0 = walls and blind corners, you cannot see around you; 3 = you see clearly all around."),
    "visibility": _("0 = no windows, shops or doors look onto the street; 3 = many eyes on the street."),
    "people": _("0 = deserted; 3 = many people around."),
    "security": _("0 = no guards, police or help point in sight; 3 = guards or police clearly present."),
    "walk_path": _("0 = no pavement, or broken and blocked; 3 = wide, even and continuous pavement."),
    "public_transport": _("0 = no bus, tram or metro stop nearby; 3 = a frequent stop a short walk away."),
    "gender_diversity": _("0 = almost only men; 3 = women, men and children alike."),
    "feeling": _("0 = very unsafe; 3 = very safe."),
}


class AuditForm(forms.Form):
    # The same place picker as the report form: the pin (or coordinates), the zone list or a street.
    latitude = CoordinateField(coordinate="latitude", label=_("Latitude"), required=False)
    longitude = CoordinateField(coordinate="longitude", label=_("Longitude"), required=False)
    zone = ZoneChoiceField()
    address = forms.CharField(label=_("Address or place (optional)"), required=False, max_length=255)
    occurred_at = forms.DateTimeField(
        label=_("When?"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=column_limit(SafetyAudit, "comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for parameter in SafetyAudit.PARAMETERS:
            self.fields[parameter] = forms.TypedChoiceField(
                label=SafetyAudit._meta.get_field(parameter).verbose_name.capitalize(),
                choices=SafetyAudit.SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=AUDIT_SCORE_HELP.get(parameter, ""),
                error_messages={"required": _("Give a score from 0 to 3.")},
            )

    def parameter_fields(self):
        return [self[p] for p in SafetyAudit.PARAMETERS]

    def clean(self):
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        if "latitude" in self.errors or "longitude" in self.errors:
            return data
        if (lat is None) != (lon is None):
            self.add_error("latitude", _("Please give both latitude and longitude, or place the pin on the map."))
        elif lat is None and not data.get("zone") and not data.get("address") and "zone" not in self.errors:
            self.add_error("latitude", _("Please place the pin on the map, type the coordinates, or choose an area."))
        return data

    def location(self) -> Point | None:
        lat, lon = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        return None if lat is None or lon is None else Point(lon, lat, srid=4326)


class TrackingLookupForm(forms.Form):
    """The way back to a report: its tracking code, however it was typed (case, spaces, separators)."""

    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        help_text=_("The code you got when you sent the report, e.g. 8GV7HY9W."),
        error_messages={"required": _("Type the tracking code of your report.")},
        widget=forms.TextInput(
            attrs={
                "class": "form-control tracking-code-input",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalise_tracking_code(self.cleaned_data["code"])
        if not code:
            raise ValidationError(_("Type the tracking code of your report."), code="required")
        if len(code) > Report._meta.get_field("tracking_code").max_length or "\x00" in code:
            raise ValidationError(_("A tracking code has %(n)s letters and digits.") % {"n": TRACKING_CODE_LENGTH})
        return code

    def not_found_message(self) -> str:
        """Why no report has the code typed, with the hint about characters codes never hold when it has one."""
        code = self.cleaned_data["code"]
        never = characters_never_in_codes()
        if any(ch in never.split(", ") for ch in code):
            return _("No report has the code %(code)s. Codes never contain %(characters)s: check those characters.") % {
                "code": code,
                "characters": never,
            }
        return _("No report has the code %(code)s: check it against the one you were given.") % {"code": code}


class AbuseForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this report?"),
        max_length=column_limit(AbuseFlag, "reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- moderation ---------------------------------------------------------------------------------


class PublishForm(forms.Form):
    public_description = forms.CharField(
        label=_("Public text (edit out names, numbers plates, insults)"), required=False,
        max_length=column_limit(Report, "public_description"), widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("Tracking code of the original report"), max_length=column_limit(Report, "tracking_code")
    )
    public_note = forms.CharField(
        label=_("Public note (optional)"), required=False, max_length=column_limit(StatusChange, "public_note")
    )

    def clean_into(self) -> Report:
        code = self.cleaned_data["into"].strip().upper()
        try:
            return Report.objects.get(tracking_code=code)
        except Report.DoesNotExist:
            raise forms.ValidationError(_("No report has this tracking code.")) from None


def department_choices() -> list[tuple[str, str]]:
    """The active departments as (code, name in the active language), for the assignment menus."""
    return [(d.code, d.name) for d in Department.objects.active()]


class AssignForm(forms.Form):
    department = forms.ChoiceField(label=_("Department"), choices=lambda: department_choices())


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Report.Status.choices)
    public_note = forms.CharField(
        label=_("Public note (shown on the tracking page and e-mailed)"), required=False,
        max_length=column_limit(StatusChange, "public_note"), widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip

    def offered_choices(self) -> list[tuple[str, str]]:
        """The statuses the page offers: duplicate and spam have their own actions (merge, reject as spam)."""
        own_action = {Report.Status.DUPLICATE, Report.Status.SPAM}
        return [(value, label) for value, label in self.fields["status"].choices if value not in own_action]


class QueueFilterForm(forms.Form):
    """The moderation queue's filters, from the query string: a bad value is an error, never a 500."""

    AGE_CHOICES = [
        ("", _("Any age")), ("1", _("Older than a day")), ("3", _("Older than 3 days")),
        ("7", _("Older than a week")), ("30", _("Older than 30 days")), ("-1", _("Last 24 hours")),
    ]  # fmt: skip

    show = forms.ChoiceField(
        label=_("Which reports"), required=False,
        choices=[("new", _("New")), ("open", _("Open")), ("all", _("All"))],
    )  # fmt: skip
    q = forms.CharField(label=_("Code or text"), required=False, max_length=100)
    zone = forms.ModelChoiceField(label=_("Zone"), required=False, queryset=Zone.objects.order_by("code"),
                                  to_field_name="code")  # fmt: skip
    category = forms.ModelChoiceField(label=_("Category"), required=False, queryset=Category.objects.all())
    department = forms.ModelChoiceField(label=_("Department"), required=False, queryset=Department.objects.all(),
                                        to_field_name="code")  # fmt: skip
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")),
                                                                          *Report.Status.choices])  # fmt: skip
    age = forms.ChoiceField(label=_("Age"), required=False, choices=AGE_CHOICES)
    order = forms.ChoiceField(label=_("Order"), required=False,
                              choices=[("oldest", _("Oldest first")), ("newest", _("Newest first"))])  # fmt: skip

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "").strip()

    def filters(self) -> QueueFilters:
        """The filters as the selector takes them (call after is_valid())."""
        data = self.cleaned_data
        age = int(data["age"]) if data.get("age") else None
        return QueueFilters(
            show=data.get("show") or "new",
            q=data.get("q") or "",
            zone_id=data["zone"].pk if data.get("zone") else None,
            category_id=data["category"].pk if data.get("category") else None,
            department_code=data["department"].code if data.get("department") else "",
            status=data.get("status") or "",
            older_than_days=age if age and age > 0 else None,
            newer_than_days=1 if age == -1 else None,
            order=data.get("order") or "oldest",
        )


class BulkActionForm(forms.Form):
    """Publish, assign or reject as spam the reports ticked on a page of the queue (spam asks to confirm)."""

    MAX_REPORTS = 100

    action = forms.ChoiceField(
        label=_("With the selected reports"),
        choices=[("publish", _("Publish")), ("assign", _("Assign to a department")), ("spam", _("Reject as spam"))],
    )
    codes = forms.CharField(required=False)
    department = forms.ChoiceField(label=_("Department"), required=False,
                                   choices=lambda: [("", "—"), *department_choices()])  # fmt: skip
    confirm = forms.BooleanField(required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.selected_codes = [c.strip().upper() for c in (data.getlist("codes") if data is not None else []) if
                               c.strip()]  # fmt: skip

    def clean(self):
        data = super().clean()
        codes = list(dict.fromkeys(self.selected_codes))
        if not codes:
            raise forms.ValidationError(_("Tick at least one report."))
        if len(codes) > self.MAX_REPORTS:
            raise forms.ValidationError(_("At most %(n)d reports at a time.") % {"n": self.MAX_REPORTS})
        reports = list(Report.objects.filter(tracking_code__in=codes).order_by("created_at", "id"))
        if len(reports) != len(codes):
            raise forms.ValidationError(_("Some of the ticked reports no longer exist; reload the queue."))
        if data.get("action") == "assign" and not data.get("department"):
            self.add_error("department", _("Please choose a department."))
        data["reports"] = reports
        return data
