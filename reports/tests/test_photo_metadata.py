"""Only the pixels of a citizen's photo are stored: no EXIF, GPS, XMP, IPTC, ICC profile, comment, text chunk or
trailing bytes, whatever the phone or the attacker put in the file.

The uploads are built here with every kind of metadata, each carrying a secret string, and the stored file is
taken apart segment by segment.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image, PngImagePlugin

from reports.models import Report

from .test_citizen_form import form_data

pytestmark = pytest.mark.django_db

SECRETS = {
    "exif": "secret-exif-maker",
    "gps": "secret-gps-area",
    "xmp": "secret-xmp-creator",
    "iptc": "secret-iptc-byline",
    "icc": "secret-icc-name",
    "comment": "secret-comment",
    "text": "secret-png-text",
    "itxt": "secret-png-itxt",
    "ztxt": "secret-png-ztxt",
    "trailer": "secret-trailing-bytes",
}
XMP = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>{SECRETS["xmp"]}</dc:creator>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
).encode()
# The segments a bare baseline (or optimised baseline) JPEG is made of: start, JFIF header, quantisation
# and Huffman tables, frame, scan, end. Anything else (APP1 EXIF/XMP, APP2 ICC, APP13 IPTC, COM) is metadata.
BARE_JPEG_MARKERS = {0xD8, 0xE0, 0xDB, 0xC4, 0xC0, 0xDA, 0xD9}


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = SECRETS["exif"]
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (45.0, 4.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (7.0, 40.0, 30.0)
    gps[ExifTags.GPS.GPSAreaInformation] = SECRETS["gps"]
    return exif


def icc_profile_named(name: str) -> bytes:
    """A minimal ICC v2 display profile whose only tag is its description (the profile's name)."""
    ascii_name = name.encode() + b"\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(ascii_name)) + ascii_name + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
    tag_table = struct.pack(">I", 1) + struct.pack(">4sII", b"desc", 128 + 4 + 12, len(desc))
    size = 128 + len(tag_table) + len(desc)
    header = (
        struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp"
    ).ljust(128, b"\0")
    return header + tag_table + desc


def iptc_segment(byline: str) -> bytes:
    """An APP13 'Photoshop 3.0' segment holding an IPTC record 2:80 (by-line), as cameras and editors write it."""
    record = b"\x1c\x02\x50" + struct.pack(">H", len(byline)) + byline.encode()
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(record)) + record
    payload = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_everything() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(
        buffer,
        format="JPEG",
        exif=exif_with_gps(),
        icc_profile=icc_profile_named(SECRETS["icc"]),
        comment=SECRETS["comment"],
        xmp=XMP,
    )
    data = buffer.getvalue()
    # IPTC goes right after the start of image; then bytes after the end of image (a ZIP polyglot's way).
    data = data[:2] + iptc_segment(SECRETS["iptc"]) + data[2:]
    return data + b"PK\x03\x04" + SECRETS["trailer"].encode() * 4


def png_with_everything() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRETS["text"])
    info.add_itxt("Description", SECRETS["itxt"], lang="it", tkey="Descrizione")
    info.add_text("Author", SECRETS["ztxt"], zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    # ImageMagick keeps IPTC in PNG as a compressed text chunk of hex.
    info.add_text("Raw profile type iptc", iptc_segment(SECRETS["iptc"]).hex(), zip=True)
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 120, 0, 200)).save(
        buffer, format="PNG", pnginfo=info, exif=exif_with_gps(), icc_profile=icc_profile_named(SECRETS["icc"])
    )
    return buffer.getvalue() + SECRETS["trailer"].encode() * 4


def jpeg_segments(data: bytes) -> tuple[list[int], bytes]:
    """The markers of a JPEG in order, and whatever follows its end-of-image marker."""
    assert data[:2] == b"\xff\xd8"
    markers, position = [0xD8], 2
    while True:
        assert data[position] == 0xFF, f"no marker at byte {position}"
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xD9:
            return markers, data[position + 2 :]
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        position += 2 + length
        if marker == 0xDA:  # entropy-coded data up to the next marker that is not a stuffed byte or a restart
            while not (data[position] == 0xFF and data[position + 1] not in (0x00, *range(0xD0, 0xD8))):
                position += 1


def png_chunks(data: bytes) -> list[str]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        chunks.append(kind.decode("latin-1"))
        position += 12 + length
    return chunks


def test_the_uploads_really_carry_every_kind_of_metadata():
    jpeg = jpeg_with_everything()
    markers, trailer = jpeg_segments(jpeg)
    assert {0xE1, 0xE2, 0xED, 0xFE} <= set(markers)  # APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC), COM
    assert SECRETS["trailer"].encode() in trailer
    with Image.open(io.BytesIO(jpeg)) as opened:
        assert opened.info["comment"] == SECRETS["comment"].encode()
        assert SECRETS["icc"].encode() in opened.info["icc_profile"]
    png = png_with_everything()
    assert {"tEXt", "iTXt", "zTXt", "eXIf", "iCCP"} <= set(png_chunks(png.split(b"IEND")[0] + b"IEND\xaeB`\x82"))
    for kind in ("text", "itxt"):
        assert SECRETS[kind].encode() in png
    assert SECRETS["ztxt"].encode() in zlib.decompress(png.split(b"Author\0\0")[1])


@pytest.mark.parametrize(
    ("name", "build"), [("phone.jpg", jpeg_with_everything), ("screenshot.png", png_with_everything)]
)
def test_only_the_pixels_of_a_photo_are_stored(client, two_zones, category, name, build):
    upload = SimpleUploadedFile(name, build(), content_type="image/jpeg" if name.endswith("jpg") else "image/png")
    response = client.post(reverse("reports:new"), form_data(category, photo=upload))
    assert response.status_code == 302, response.content.decode()[:500]
    stored = Report.objects.get().photo.read()

    markers, after_end = jpeg_segments(stored)
    assert set(markers) <= BARE_JPEG_MARKERS, [hex(m) for m in markers]
    assert markers.count(0xE0) == 1  # the JFIF header, once
    assert after_end == b""
    for secret in SECRETS.values():
        assert secret.encode() not in stored
    for signature in (b"Exif\0\0", b"http://ns.adobe.com", b"ICC_PROFILE", b"Photoshop 3.0", b"8BIM", b"PK\x03\x04"):
        assert signature not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
        assert not image.getexif()
        assert image.size == ((64, 48) if name.endswith("jpg") else (40, 30))
