"""Test data built through the product's own services."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from reports.models import PerceivedSafety
from reports.services import report_submit


def submit(category, *, lon=7.675, lat=45.065, hours_ago=1, **extra):
    return report_submit(
        category=category,
        location=Point(lon, lat, srid=4326),
        perceived_safety=extra.pop("perceived_safety", PerceivedSafety.A_BIT_UNSAFE),
        occurred_at=timezone.now() - dt.timedelta(hours=hours_ago),
        **extra,
    )


def jpeg_with_gps(*, size=(40, 20), orientation=6, fmt="JPEG", name="photo.jpg") -> SimpleUploadedFile:
    """A photo carrying GPS coordinates and a rotation flag, as phones write them."""
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (45.0, 4.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (7.0, 40.0, 30.0)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def png(size=(30, 30), name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 128)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def api_payload(**overrides) -> dict:
    """A valid body for POST /api/v1/reports/, with ``overrides`` applied."""
    data = {
        "category": "broken-street-light",
        "perceived_safety": 2,
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "latitude": 45.065,
        "longitude": 7.675,
        "description": "Lampione spento",
    }
    data.update(overrides)
    return data
