"""Citizens' photos: accepted by content (JPEG, PNG, WebP), bounded, turned upright, and stored as a new JPEG
built from the pixels alone, so that no metadata (EXIF, GPS, XMP, IPTC, ICC profiles, comments, text chunks)
and no bytes after the image survive."""

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
    """Check an uploaded file and return a clean JPEG: orientation applied, pixels only (see _pixels_only_jpeg).

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
    too_many_pixels = ValidationError(
        {"photo": _("The photo has too many pixels: at most %(mp)s megapixels.")
         % {"mp": settings.OBSERVATORY_PHOTO_MAX_PIXELS // 1_000_000}}
    )  # fmt: skip
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise not_an_image
            width, height = probe.size  # read from the header, before any pixel is decoded
            if width * height > settings.OBSERVATORY_PHOTO_MAX_PIXELS:
                raise too_many_pixels
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except Image.DecompressionBombError:  # Pillow's own bound, far above ours, refused at open
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    return ContentFile(_pixels_only_jpeg(upright), name=f"{secrets.token_hex(8)}.jpg")


def _pixels_only_jpeg(image: Image.Image) -> bytes:
    """A baseline JPEG of the image's pixels, flattened on white and at most MAX_STORED_SIDE long.

    The saved image is made with ``Image.frombytes`` from the raw pixel data, so it has an empty ``info``:
    Pillow's savers write back what ``info`` carries (a JPEG comment, an ICC profile, XMP), and a copy of
    the decoded image would carry it along. Nothing but the pixels is read from the upload.
    """
    if image.mode in ("RGBA", "LA", "P", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    clean.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
