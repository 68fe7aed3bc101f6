"""Scalp photo uploads: prove each file is a JPEG or PNG image, then keep only clean pixels.

Every accepted photo is decoded by Pillow, turned upright, stripped of all metadata (EXIF,
including GPS) by re-encoding, scaled down to a sensible size and saved as a fresh JPEG.

Decoding is what costs memory and time, so everything that can be judged from the image's header
(its format, width and height) is judged before any pixel is decoded: a small file can claim an
enormous or absurdly shaped image, and six of them in one request used to hold a worker for
gigabytes and many seconds.
"""

import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 6
MAX_BYTES = 10 * 1024 * 1024
# A phone photo is about 12-50 megapixels. Anything far larger is refused before it is decoded,
# so that a small file that expands to gigabytes (a decompression bomb) cannot exhaust memory.
MAX_PIXELS = 50_000_000
# No camera takes a photo wider or taller than this (a 200-megapixel sensor is about 16,000 by
# 12,000 and saves far smaller by default); a side beyond it is a crafted file.
MAX_SIDE = 12_000
# A panorama is about 1:4. A strip thinner than 1:10 is no scalp photo, and a degenerate one
# (1 x 49,000,000 pixels) costs Pillow far more per pixel than an ordinary image.
MAX_ASPECT = 10
# All the photos of one request together may decode to at most this many pixels. Six photos from
# a 16-megapixel phone fit (a JPEG larger than that is decoded at a reduced scale, below); six
# 49-megapixel PNGs do not.
REQUEST_PIXELS = 120_000_000
MAX_EDGE = 2400
# Many phones save their JPEGs as MPO (a JPEG with extra frames); the first frame is the photo.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG"}
# 16-bit greyscale PNGs open in these modes; their values run to 65535, not 255.
SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I"}
# Modes that resize poorly (nearest neighbour only) are made RGB before they are scaled down.
PALETTE_MODES = {"1", "P", "PA"}


# Markup or code hidden in an image file ("polyglot" files), looked for outside its compressed
# pixels (``outside_the_pixels``). A real photo holds none of these there, and
# a file that does was made to be read as something other than a picture somewhere.
ACTIVE_CONTENT = (b"<script", b"<?php", b"<html", b"<svg", b"<iframe", b"<body", b"javascript:")


JPEG_START, JPEG_SCAN, JPEG_END = b"\xff\xd8", b"\xff\xda", b"\xff\xd9"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def outside_the_pixels(raw: bytes) -> bytes:
    """The parts of an image file where a script could ride along, without its compressed
    pixels: there any short run of bytes turns up by chance ("<svg" in about one 3 MB photo in
    two hundred), and a camera's own photo was refused as holding code. A JPEG's segments
    before its first scan, and whatever follows the end after it (its scans cannot hold the end
    marker); a PNG's chunks other than its pixel data, and whatever follows its end. Any other
    file, whole. Nothing of the file is kept either way: its pixels are saved anew."""
    if raw.startswith(JPEG_START):
        scan = raw.find(JPEG_SCAN)
        end = raw.find(JPEG_END, scan) if scan != -1 else -1
        return raw if end == -1 else raw[:scan] + raw[end:]
    if raw.startswith(PNG_SIGNATURE):
        parts, at = [], len(PNG_SIGNATURE)
        while at + 8 <= len(raw):
            length, kind = int.from_bytes(raw[at : at + 4], "big"), raw[at + 4 : at + 8]
            following = at + 12 + length  # length, type, data and checksum
            if kind != b"IDAT":
                parts.append(raw[at:following])
            at = following
            if kind == b"IEND":
                break
        parts.append(raw[at:])
        return b"".join(parts)
    return raw


class PhotoError(ValueError):
    """The upload is not an acceptable photo; the message says why, for the patient."""


@dataclass
class PixelBudget:
    """The pixels one request may still decode, shared by all of its photos."""

    left: int = field(default_factory=lambda: REQUEST_PIXELS)

    def spend(self, pixels: int, name: str) -> None:
        """Take ``pixels`` from the budget, or raise PhotoError (spending nothing) if too few."""
        if pixels > self.left:
            raise PhotoError(
                f"Together with the other photos, “{name}” is more than we can take at once. "
                "Please send it again on its own."
            )
        self.left -= pixels


def _check_header(image, name: str) -> None:
    """Refuse, from the header alone, a format or size that is not a phone photo's."""
    if image.format not in ACCEPTED_FORMATS:
        raise PhotoError(f"“{name}” is not a JPEG or PNG photo.")
    width, height = image.size
    if width < 1 or height < 1:
        raise PhotoError(f"“{name}” is damaged or incomplete. Please try another photo.")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise PhotoError(
            f"“{name}” has too many pixels ({width:,} × {height:,}; at most {MAX_SIDE:,} a side "
            f"and {MAX_PIXELS // 1_000_000} megapixels). Please send a smaller photo."
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise PhotoError(
            f"“{name}” is a very narrow strip ({width:,} × {height:,} pixels), not a photo of "
            "the scalp. Please send an ordinary photo."
        )


def _eight_bit(image):
    """Return a 16-bit greyscale image as 8-bit greyscale, keeping its tones.

    Converting straight to "L" clips every value above 255 to white, so a mid-grey 16-bit
    photo (values around 32,000) would be stored almost white.
    """
    if image.mode not in SIXTEEN_BIT_MODES:
        return image
    if image.mode != "I":
        image = image.convert("I")
    return image.point(lambda value: value / 257).convert("L")


def clean_photo(upload, budget: PixelBudget | None = None) -> tuple[bytes, int, int]:
    """Return (JPEG bytes, width, height) for an uploaded file, or raise PhotoError.

    With a ``budget``, the pixels this photo will decode are taken from it before decoding.
    """
    name = getattr(upload, "name", "photo")
    if upload.size > MAX_BYTES:
        raise PhotoError(f"“{name}” is larger than 10 MB. Please choose a smaller photo.")
    upload.seek(0)
    raw = outside_the_pixels(upload.read()).lower()
    if any(marker in raw for marker in ACTIVE_CONTENT):
        raise PhotoError(
            f"“{name}” holds more than a photo (such as a script or web page). "
            "Please send the photo straight from your camera or phone."
        )
    del raw
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            # Image.open reads the header only: nothing below decodes pixels until load().
            with Image.open(upload) as probe:
                _check_header(probe, name)
                # A JPEG is decoded at a reduced scale straight away (1/2, 1/4 or 1/8, still at
                # least MAX_EDGE a side); the budget counts the pixels really decoded.
                probe.draft("RGB", (MAX_EDGE, MAX_EDGE))
                decoded_pixels = probe.width * probe.height
            if budget is not None:
                budget.spend(decoded_pixels, name)
            upload.seek(0)
            with Image.open(upload) as probe:
                probe.verify()  # reads the whole file: catches truncated or corrupt images
            upload.seek(0)
            with Image.open(upload) as image:
                image.draft("RGB", (MAX_EDGE, MAX_EDGE))
                image.load()
                return _reencode(image)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(f"“{name}” has too many pixels. Please send a smaller photo.") from None
    except UnidentifiedImageError:
        raise PhotoError(
            f"“{name}” is not a photo we can read. Please use a JPEG or PNG."
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise PhotoError(f"“{name}” is damaged or incomplete. Please try another photo.") from None


def _reencode(image) -> tuple[bytes, int, int]:
    """Scale a decoded image down, turn it upright and save its pixels alone as a JPEG."""
    if image.mode in PALETTE_MODES:
        image = image.convert("RGB")
    # Scale down first, while the image is still one full-size copy: every step after it then
    # works on at most MAX_EDGE a side, instead of making more full-size copies.
    image.thumbnail((MAX_EDGE, MAX_EDGE))
    image = _eight_bit(image)
    image = ImageOps.exif_transpose(image).convert("RGB")
    # Copy the pixels alone into a new image: no EXIF, GPS, comment or other metadata can ride
    # along into the saved file.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue(), clean.width, clean.height
