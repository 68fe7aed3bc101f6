"""Uploads that are not honest photos are refused with a message; honest ones are cleaned."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from patients.forms import PhotoForm
from patients.photos import PhotoError, clean_photo
from tests.factories import jpeg_upload, png_bomb


def test_jpeg_with_gps_is_reencoded_without_metadata():
    content, width, height = clean_photo(jpeg_upload(size=(800, 600)))
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "JPEG" and (width, height) == image.size == (800, 600)
        assert not image.getexif()
        assert "exif" not in image.info


def test_png_is_accepted_and_becomes_jpeg():
    content, _, _ = clean_photo(jpeg_upload("top.png", fmt="PNG"))
    assert content[:3] == b"\xff\xd8\xff"


def test_text_file_named_jpg_is_refused():
    fake = SimpleUploadedFile("scalp.jpg", b"hello, I am text", "image/jpeg")
    with pytest.raises(PhotoError, match="not a photo we can read"):
        clean_photo(fake)


def test_gif_is_refused_even_though_it_is_an_image():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    with pytest.raises(PhotoError, match="not a JPEG or PNG"):
        clean_photo(SimpleUploadedFile("a.gif", out.getvalue(), "image/gif"))


def test_decompression_bomb_is_refused_before_decoding():
    bomb = SimpleUploadedFile("bomb.png", png_bomb(50_000, 50_000), "image/png")
    with pytest.raises(PhotoError, match=r"too many pixels"):
        clean_photo(bomb)


@pytest.mark.parametrize(
    "payload", [b"<script>alert('x')</script>", b"<?php system($_GET['c']); ?>", b"<SVG onload=x>"]
)
def test_image_with_code_appended_is_refused(payload):
    honest = jpeg_upload().read()
    assert clean_photo(SimpleUploadedFile("x.jpg", honest, "image/jpeg"))  # the photo alone is fine
    with pytest.raises(PhotoError, match="holds more than a photo"):
        clean_photo(SimpleUploadedFile("x.jpg", honest + payload, "image/jpeg"))


def test_truncated_image_is_refused():
    honest = jpeg_upload(size=(400, 300)).read()
    with pytest.raises(PhotoError):
        clean_photo(SimpleUploadedFile("cut.jpg", honest[: len(honest) // 2], "image/jpeg"))


def test_file_over_ten_megabytes_is_refused_without_decoding():
    big = SimpleUploadedFile(
        "big.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024 + 1), "image/jpeg"
    )
    with pytest.raises(PhotoError, match="larger than 10 MB"):
        clean_photo(big)


def test_more_than_six_photos_at_once_are_refused():
    from django.utils.datastructures import MultiValueDict

    files = MultiValueDict({"photo_hairline": [jpeg_upload(f"p{n}.jpg") for n in range(20)]})
    form = PhotoForm({}, files)
    assert not form.is_valid()
    assert "at most 6 photos" in " ".join(form.non_field_errors())


def test_two_files_for_one_view_are_refused():
    from django.utils.datastructures import MultiValueDict

    files = MultiValueDict({"photo_crown": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")]})
    form = PhotoForm({}, files)
    assert not form.is_valid()
    assert "one photo for this view" in str(form.errors["photo_crown"])


def test_a_photo_whose_pixels_happen_to_spell_a_tag_is_accepted():
    from devtools.demo_history import scalp_picture
    from patients.photos import ACTIVE_CONTENT

    # This drawing's compressed pixels hold "<svg" by chance, as about one camera photo of
    # 3 MB in two hundred does: it is a photo, and nothing but.
    drawn = scalp_picture(1151, 1300).read()
    assert any(marker in drawn.lower() for marker in ACTIVE_CONTENT)
    jpeg, width, height = clean_photo(SimpleUploadedFile("scalp.jpg", drawn, "image/jpeg"))
    assert (width, height) == (480, 360) and jpeg.startswith(b"\xff\xd8")


@pytest.mark.parametrize("kind", ["jpeg-comment", "png-text", "png-after-end"])
def test_code_hidden_beside_the_pixels_is_still_refused(kind):
    import zlib

    payload = b"<svg onload=alert(1)>"
    if kind == "jpeg-comment":
        honest = jpeg_upload().read()
        comment = b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload
        crafted = honest[:2] + comment + honest[2:]  # a comment segment before the scans
    else:
        out = io.BytesIO()
        Image.new("RGB", (64, 48), (150, 120, 100)).save(out, format="PNG")
        honest = out.getvalue()
        if kind == "png-text":
            data = b"Comment\x00" + payload
            chunk = (
                len(data).to_bytes(4, "big")
                + b"tEXt"
                + data
                + zlib.crc32(b"tEXt" + data).to_bytes(4, "big")
            )
            crafted = honest[:33] + chunk + honest[33:]  # after the header chunk
        else:
            crafted = honest + payload
    with pytest.raises(PhotoError, match="holds more than a photo"):
        clean_photo(SimpleUploadedFile("x.img", crafted, "image/jpeg"))
