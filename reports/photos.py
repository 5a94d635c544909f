"""Citizens' photos: accepted by content (JPEG, PNG, WebP), bounded, turned upright, re-encoded without metadata."""

from __future__ import annotations

import io
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Long side of the stored image: plenty for a moderator, and it bounds the disk a report can take.
MAX_STORED_SIDE = 2560
JPEG_QUALITY = 85


def photo_sanitise(upload) -> ContentFile:
    """Check an uploaded file and return a clean JPEG (orientation applied, no EXIF, GPS or other metadata).

    Raises ValidationError on field ``photo`` for a file that is too big, not an image, of another
    format (whatever its name says), or with too many pixels.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > settings.OBSERVATORY_PHOTO_MAX_BYTES:
        raise ValidationError(
            {
                "photo": _("The photo is too large: at most %(mb)s MB.")
                % {"mb": settings.OBSERVATORY_PHOTO_MAX_BYTES // 2**20}
            }
        )
    upload.seek(0)
    data = upload.read(settings.OBSERVATORY_PHOTO_MAX_BYTES + 1)
    if len(data) > settings.OBSERVATORY_PHOTO_MAX_BYTES:
        raise ValidationError(
            {
                "photo": _("The photo is too large: at most %(mb)s MB.")
                % {"mb": settings.OBSERVATORY_PHOTO_MAX_BYTES // 2**20}
            }
        )
    not_an_image = ValidationError({"photo": _("This file is not a JPEG, PNG or WebP photo.")})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise not_an_image
            width, height = probe.size  # read from the header, before any pixel is decoded
            if width * height > settings.OBSERVATORY_PHOTO_MAX_PIXELS:
                raise ValidationError(
                    {"photo": _("The photo has too many pixels: at most %(mp)s megapixels.")
                     % {"mp": settings.OBSERVATORY_PHOTO_MAX_PIXELS // 1_000_000}}
                )  # fmt: skip
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    if upright.mode in ("RGBA", "LA", "P"):
        upright = upright.convert("RGBA")
        background = Image.new("RGB", upright.size, "white")
        background.paste(upright, mask=upright.getchannel("A"))
        upright = background
    elif upright.mode != "RGB":
        upright = upright.convert("RGB")
    upright.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE))
    out = io.BytesIO()
    # A fresh image saved without exif=/icc_profile=: nothing of the original metadata is carried over.
    upright.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.jpg")
