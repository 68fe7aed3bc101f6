"""A request too large to be a booking form is refused before a byte of its body is read."""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from patients.models import IntakeInProgress, IntakePhoto
from tests.factories import intake_page, jpeg_upload, valid_form

pytestmark = pytest.mark.django_db


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self):
        return True

    def read(self, *args):
        raise AssertionError("the body was read")

    readinto = readline = read


def serve(path, **environ):
    """Send one request straight through Django's WSGI handler; return (status, headers, body)."""
    setup_testing_defaults(environ)
    environ.update(
        PATH_INFO=path.split("?")[0],
        QUERY_STRING=path.partition("?")[2],
        HTTP_HOST="testserver",
        SERVER_NAME="testserver",
    )
    environ["wsgi.input"] = UnreadableBody()
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    # As Django's test client does: the test's database connection must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, start_response)
        body = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], body.decode()


@pytest.fixture
def booking_page():
    """The page patients send photos from: the questions after booking."""
    return intake_page()


def test_a_huge_declared_body_is_refused_with_413_without_reading_it(booking_page):
    status, headers, body = serve(
        booking_page,
        REQUEST_METHOD="POST",
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(150 * 1024 * 1024),
    )
    assert status.startswith("413")
    assert "That was too much to send at once" in body
    assert "at most 62 MB" in body
    assert "Content-Security-Policy" in headers  # the clinic's page, with its usual headers
    assert not IntakeInProgress.objects.exists()


def test_a_chunked_body_with_no_length_is_refused_without_reading_it(booking_page):
    status, _, body = serve(
        booking_page,
        REQUEST_METHOD="POST",
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert status.startswith("411")
    assert "This request could not be read" in body
    assert not IntakeInProgress.objects.exists()


def test_a_request_with_no_body_is_served_as_ever(booking_page):
    status, _, _ = serve(booking_page, REQUEST_METHOD="GET")
    assert status.startswith("200")


@override_settings(MAX_REQUEST_BYTES=300_000)
def test_the_cap_counts_the_whole_form_with_its_photos(client, booking_page):
    small = valid_form(photo_top=jpeg_upload(size=(64, 48)))
    assert client.post(booking_page, small).status_code == 302
    assert IntakePhoto.objects.count() == 1

    big = jpeg_upload(size=(800, 600))
    big.file = io.BytesIO(big.read() + b"\x00" * 400_000)  # a JPEG with 400 kB of padding
    response = client.post(booking_page, valid_form(photo_crown=big))
    assert response.status_code == 413
    assert "That was too much to send at once" in response.content.decode()
    assert IntakePhoto.objects.count() == 1


def test_a_booking_with_six_ordinary_photos_still_goes_through(client, booking_page):
    views = ["hairline", "top", "crown", "temples", "donor", "other"]
    form = valid_form(**{f"photo_{v}": jpeg_upload(f"{v}.jpg", size=(640, 480)) for v in views})
    response = client.post(booking_page, form)
    assert response.status_code == 302
    assert IntakePhoto.objects.count() == 6
