"""The staff form for recording an intervention: the place as a point (latitude, longitude) or as GeoJSON."""

from __future__ import annotations

import json

from django import forms
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case
from city.models import Department

from .models import Intervention

MAX_GEOJSON_CHARS = 200_000
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def place_from_geojson(text: str) -> GEOSGeometry:
    """A GeoJSON geometry or Feature (WGS84) as a GEOS geometry, or a ValidationError in the reader's language."""
    if len(text) > MAX_GEOJSON_CHARS:
        raise forms.ValidationError(_("The GeoJSON is too large."))
    try:
        data = json.loads(text)
    except ValueError:
        raise forms.ValidationError(_("The place is not valid GeoJSON.")) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in GEOMETRY_TYPES:
        raise forms.ValidationError(_("Give one point, line or polygon geometry (GeoJSON)."))
    try:
        geometry = GEOSGeometry(json.dumps(data), srid=4326)
    except (GEOSException, ValueError, TypeError):
        raise forms.ValidationError(_("The place is not valid GeoJSON.")) from None
    geometry.srid = 4326
    if geometry.empty or not geometry.valid:
        raise forms.ValidationError(_("The place's geometry is invalid (for instance a polygon crossing itself)."))
    xmin, ymin, xmax, ymax = geometry.extent
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise forms.ValidationError(_("Coordinates must be longitude and latitude in WGS84 (EPSG:4326)."))
    return geometry


class InterventionForm(forms.Form):
    what = forms.CharField(label=gettext_lazy("What was done"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Intervention.Kind.choices)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), required=False, queryset=Department.objects.active().order_by("code"),
        to_field_name="code",
    )  # fmt: skip
    partner = forms.CharField(label=gettext_lazy("Carried out by (partner)"), max_length=200, required=False)
    start_on = forms.DateField(label=gettext_lazy("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    end_on = forms.DateField(label=gettext_lazy("End"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    night_time = forms.BooleanField(label=gettext_lazy("Night-time"), required=False)
    cost = forms.DecimalField(
        label=gettext_lazy("Cost (EUR)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    latitude = forms.FloatField(label=gettext_lazy("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=gettext_lazy("Longitude"), required=False, min_value=-180, max_value=180)
    place_geojson = forms.CharField(
        label=gettext_lazy("Or the place as GeoJSON (a line or an area)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    case = forms.ModelChoiceField(
        label=gettext_lazy("Linked case (number)"), required=False, queryset=Case.objects.all(),
        widget=forms.NumberInput(attrs={"min": 1}),
    )  # fmt: skip
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # Bootstrap Italia's classes: full width, 44 px tall on a phone
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            else:
                widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")

    def clean(self):
        data = super().clean()
        text = (data.get("place_geojson") or "").strip()
        lat, lon = data.get("latitude"), data.get("longitude")
        if text:
            try:
                data["place"] = place_from_geojson(text)
            except forms.ValidationError as error:
                self.add_error("place_geojson", error)
        elif lat is not None and lon is not None:
            data["place"] = Point(lon, lat, srid=4326)
        elif "latitude" not in self.errors and "longitude" not in self.errors:
            self.add_error("latitude", _("Give the place: a latitude and a longitude, or GeoJSON."))
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", _("The end cannot come before the start."))
        return data
