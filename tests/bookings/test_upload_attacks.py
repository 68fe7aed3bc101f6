"""Hostile uploads through the patient's booking form: each refused with a clear message, the
rest of the form kept, nothing booked."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bookings.models import Booking, BookingDraft
from patients.models import IntakePhoto
from tests.factories import (
    bookable_clinic,
    details_url,
    jpeg_upload,
    next_slot,
    png_bomb,
    valid_form,
)

pytestmark = pytest.mark.django_db


def text_renamed_jpg():
    return {"photo_top": SimpleUploadedFile("scalp.jpg", b"GIF89a? no, text", "image/jpeg")}


def decompression_bomb():
    return {"photo_top": SimpleUploadedFile("scalp.png", png_bomb(60_000, 60_000), "image/png")}


def script_appended():
    photo = jpeg_upload("scalp.jpg").read() + b"<script>fetch('/staff/')</script>"
    return {"photo_top": SimpleUploadedFile("scalp.jpg", photo, "image/jpeg")}


def fifty_megabytes():
    huge = b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024)
    return {"photo_top": SimpleUploadedFile("scalp.jpg", huge, "image/jpeg")}


def twenty_files():
    return {"photo_top": [jpeg_upload(f"scalp{n}.jpg") for n in range(20)]}


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        (text_renamed_jpg, "not a photo we can read"),
        (decompression_bomb, "too many pixels"),
        (script_appended, "holds more than a photo"),
        (fifty_megabytes, "larger than 10 MB"),
        (twenty_files, "at most 6 photos"),
    ],
    ids=["text-as-jpg", "bomb", "script-appended", "50MB", "20-files"],
)
def test_hostile_uploads_are_refused_and_the_typing_kept(client, attack, message):
    location, _, consultation_type = bookable_clinic()
    url = details_url(consultation_type, location, next_slot())
    data = {**valid_form(), **attack()}  # a list of files is sent as that many parts
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'")
    assert 'value="Ada"' in html and 'value="Lovelace"' in html  # the typing is kept
    assert not Booking.objects.exists()
    assert not IntakePhoto.objects.exists()  # no part of a refused file is stored
    assert BookingDraft.objects.count() <= 1


def test_twenty_files_over_all_views_are_refused_as_too_many(client):
    location, _, consultation_type = bookable_clinic()
    url = details_url(consultation_type, location, next_slot())
    views = ["hairline", "top", "crown", "left", "right", "back"]
    data = valid_form()
    for n in range(20):
        data.setdefault(f"photo_{views[n % len(views)]}", []).append(jpeg_upload(f"p{n}.jpg"))
    response = client.post(url, data)
    assert response.status_code == 400
    assert "at most 6 photos" in response.content.decode()
    assert not IntakePhoto.objects.exists()
