"""Pixel limits judged from the image header before any decode, and faithful 16-bit greyscale.

The memory figures are real: each attack runs in a fresh Python process that reports its own
peak resident size (``ru_maxrss``) before and after the photo form, since Pillow allocates its
pixels outside Python's allocator, where tracemalloc cannot see them.
"""

import io
import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict
from PIL import Image, ImageStat

from patients.choices import PHOTO_VIEWS
from patients.forms import PhotoForm
from patients.models import IntakePhoto
from patients.photos import PhotoError, PixelBudget, clean_photo
from tests.factories import crafted_png, intake_page, valid_form

VIEWS = [code for code, _ in PHOTO_VIEWS]
MIB = 1024  # ru_maxrss is in KiB on Linux


# Run in a fresh process: build six copies of one crafted PNG, send them through the photo form,
# and report what was refused and the process's peak memory before and after.
MEASURE = """
import json, resource, sys, time
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict
from patients.forms import PhotoForm
from patients.choices import PHOTO_VIEWS
from tests.factories import crafted_png

VIEWS = [code for code, _ in PHOTO_VIEWS]

content = crafted_png(int(sys.argv[1]), int(sys.argv[2]))
files = MultiValueDict(
    {f"photo_{v}": [SimpleUploadedFile(f"{v}.png", content, "image/png")] for v in VIEWS}
)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
form = PhotoForm({}, files)
form.is_valid()
print(json.dumps({
    "accepted": [view for view, *_ in form.cleaned_photos],
    "errors": {name: list(errors) for name, errors in form.errors.items()},
    "sent_bytes": 6 * len(content),
    "extra_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before,
    "seconds": time.monotonic() - started,
}))
"""


def measure_six_pngs(width, height):
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(width), str(height)],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(settings.BASE_DIR)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_six_strips_of_49_megapixels_are_refused_from_the_header_without_decoding():
    # 1 × 49,000,000 pixels each, just under the old 50-megapixel cap: 1.1 MB sent in all, and
    # 1.7 GB and a minute of one worker before this limit.
    result = measure_six_pngs(1, 49_000_000)
    assert result["sent_bytes"] < 1_300_000
    assert result["accepted"] == []
    assert set(result["errors"]) == {f"photo_{view}" for view in VIEWS}
    assert all("too many pixels" in e[0] for e in result["errors"].values()), result["errors"]
    # Decoding even one of them would take about 200 MB; refusing all six takes nearly nothing.
    assert result["extra_peak_kib"] < 20 * MIB, result


def test_six_7000_pixel_squares_fit_the_request_budget_only_in_part():
    # Six 7000 × 7000 PNGs (49 megapixels each, 160 kB each) took 566 MB more and 18 s.
    result = measure_six_pngs(7000, 7000)
    assert result["accepted"] == ["hairline", "top"]  # 98 of the 120 megapixels a request may
    refused = {f"photo_{view}" for view in VIEWS[2:]}
    assert set(result["errors"]) == refused
    for errors in result["errors"].values():
        assert "more than we can take at once" in errors[0]
        assert "send it again on its own" in errors[0]
    # One such photo decoded at a time, each scaled down before anything else is copied.
    assert result["extra_peak_kib"] < 350 * MIB, result


def png_upload(width, height, name="scalp.png"):
    return SimpleUploadedFile(name, crafted_png(width, height), "image/png")


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (12_001, 2_000, "at most 12,000 a side"),
        (2_000, 12_001, "at most 12,000 a side"),
        (8_000, 7_000, "50 megapixels"),
        (6_000, 500, "very narrow strip"),
        (300, 3_100, "very narrow strip"),
    ],
)
def test_size_and_shape_are_refused_from_the_header(width, height, message):
    with pytest.raises(PhotoError, match=message):
        clean_photo(png_upload(width, height))


def test_ordinary_panorama_and_large_photo_are_accepted():
    _, width, height = clean_photo(png_upload(4_000, 1_000))
    assert (width, height) == (2400, 600)
    _, width, height = clean_photo(png_upload(12_000, 3_000))
    assert (width, height) == (2400, 600)


def test_refused_photo_spends_nothing_from_the_budget():
    budget = PixelBudget(left=1_000_000)
    with pytest.raises(PhotoError, match="more than we can take at once"):
        clean_photo(png_upload(1_200, 1_000), budget)
    assert budget.left == 1_000_000
    clean_photo(png_upload(1_000, 1_000), budget)
    assert budget.left == 0


def test_large_jpeg_spends_only_the_pixels_it_is_decoded_at():
    # A 5000 × 5000 JPEG is decoded at half scale, at least 2400 a side.
    out = io.BytesIO()
    Image.new("RGB", (5000, 5000), (120, 90, 80)).save(out, format="JPEG")
    budget = PixelBudget()
    clean_photo(SimpleUploadedFile("big.jpg", out.getvalue(), "image/jpeg"), budget)
    assert budget.left == PixelBudget().left - 2500 * 2500


def test_photo_form_keeps_the_photos_within_the_budget_and_names_the_others(monkeypatch):
    monkeypatch.setattr("patients.photos.REQUEST_PIXELS", 10_000_000)
    files = MultiValueDict(
        {
            "photo_hairline": [png_upload(3000, 3000, "a.png")],
            "photo_top": [png_upload(3000, 3000, "b.png")],
            "photo_crown": [png_upload(1000, 1000, "c.png")],
        }
    )
    form = PhotoForm({}, files)
    assert not form.is_valid()
    # 9 of the 10 megapixels for the first; the second does not fit, the third still does.
    assert [view for view, *_ in form.cleaned_photos] == ["hairline", "crown"]
    assert list(form.errors) == ["photo_top"]
    assert "“b.png”" in form.errors["photo_top"][0]


@pytest.mark.django_db
def test_booking_form_refuses_a_strip_with_a_message_and_keeps_the_typing(client):
    url = intake_page()
    strip = png_upload(1, 20_000, "strip.png")
    response = client.post(url, {**valid_form(), "photo_top": strip})
    assert response.status_code == 400
    html = response.content.decode()
    assert "“strip.png” has too many pixels" in html
    assert "Keep what I have." in html
    assert not IntakePhoto.objects.exists()


def sixteen_bit_gradient(width=512, height=64):
    """A 16-bit greyscale PNG running from black to white, left to right."""
    image = Image.new("I;16", (width, height))
    image.putdata([x * 65535 // (width - 1) for _ in range(height) for x in range(width)])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_sixteen_bit_greyscale_keeps_its_tones():
    content = sixteen_bit_gradient()
    with Image.open(io.BytesIO(content)) as original:
        assert original.mode == "I;16"  # really 16 bits a pixel
        values = list(original.get_flattened_data())
    scaled_mean = sum(values) / len(values) / 257
    stored, _, _ = clean_photo(SimpleUploadedFile("grey.png", content, "image/png"))
    with Image.open(io.BytesIO(stored)) as kept:
        stored_mean = ImageStat.Stat(kept.convert("L")).mean[0]
        left, right = kept.convert("L").getpixel((2, 30)), kept.convert("L").getpixel((509, 30))
    assert abs(scaled_mean - 127.5) < 1
    assert abs(stored_mean - scaled_mean) < 3, (stored_mean, scaled_mean)
    assert left < 10 and right > 245  # black stays black, white stays white
