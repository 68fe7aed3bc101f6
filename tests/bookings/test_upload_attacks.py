"""Hostile uploads through the patient's questions page (after booking, through the private
link): each refused with a clear message, the answers typed kept, no part of the file stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patients.models import HairLossIntake, IntakeInProgress, IntakePhoto
from tests.factories import intake_page, jpeg_upload, png_bomb, valid_form

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
    url = intake_page()
    data = {**valid_form(), **attack()}  # a list of files is sent as that many parts
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'")
    assert "Keep what I have." in html  # the typing is kept, on the page
    assert IntakeInProgress.objects.get().answers["goals"] == ["Keep what I have."]  # and saved
    assert not HairLossIntake.objects.exists()
    assert not IntakePhoto.objects.exists()  # no part of a refused file is stored


def test_twenty_files_over_all_views_are_refused_as_too_many(client):
    url = intake_page()
    views = ["hairline", "top", "crown", "left", "right", "back"]
    data = valid_form()
    for n in range(20):
        data.setdefault(f"photo_{views[n % len(views)]}", []).append(jpeg_upload(f"p{n}.jpg"))
    response = client.post(url, data)
    assert response.status_code == 400
    assert "at most 6 photos" in response.content.decode()
    assert not IntakePhoto.objects.exists()
