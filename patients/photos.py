"""Scalp photo uploads: prove each file is a JPEG or PNG image, then keep only clean pixels.

Every accepted photo is decoded by Pillow, turned upright, stripped of all metadata (EXIF,
including GPS) by re-encoding, scaled down to a sensible size and saved as a fresh JPEG.
"""

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 6
MAX_BYTES = 10 * 1024 * 1024
# A phone photo is about 12-50 megapixels. Anything far larger is refused before it is decoded,
# so that a small file that expands to gigabytes (a decompression bomb) cannot exhaust memory.
MAX_PIXELS = 50_000_000
MAX_EDGE = 2400
# Many phones save their JPEGs as MPO (a JPEG with extra frames); the first frame is the photo.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG"}


# Markup or code hidden in an image file ("polyglot" files). A real photo never holds these, and
# a file that does was made to be read as something other than a picture somewhere.
ACTIVE_CONTENT = (b"<script", b"<?php", b"<html", b"<svg", b"<iframe", b"<body", b"javascript:")


class PhotoError(ValueError):
    """The upload is not an acceptable photo; the message says why, for the patient."""


def clean_photo(upload) -> tuple[bytes, int, int]:
    """Return (JPEG bytes, width, height) for an uploaded file, or raise PhotoError."""
    name = getattr(upload, "name", "photo")
    if upload.size > MAX_BYTES:
        raise PhotoError(f"“{name}” is larger than 10 MB. Please choose a smaller photo.")
    upload.seek(0)
    raw = upload.read().lower()
    if any(marker in raw for marker in ACTIVE_CONTENT):
        raise PhotoError(
            f"“{name}” holds more than a photo (such as a script or web page). "
            "Please send the photo straight from your camera or phone."
        )
    del raw
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise PhotoError(f"“{name}” is not a JPEG or PNG photo.")
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoError(f"“{name}” has too many pixels. Please send a smaller photo.")
                probe.verify()  # reads the whole file: catches truncated or corrupt images
            upload.seek(0)
            with Image.open(upload) as image:
                # For a JPEG, decode at a reduced scale straight away: a large photo then never
                # needs its full size in memory.
                image.draft("RGB", (MAX_EDGE, MAX_EDGE))
                image.load()
                image = ImageOps.exif_transpose(image).convert("RGB")
                image.thumbnail((MAX_EDGE, MAX_EDGE))
                # Copy the pixels alone into a new image: no EXIF, GPS, comment or other
                # metadata can ride along into the saved file.
                clean = Image.new("RGB", image.size)
                clean.paste(image)
                out = io.BytesIO()
                clean.save(out, format="JPEG", quality=88, optimize=True)
                return out.getvalue(), clean.width, clean.height
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
