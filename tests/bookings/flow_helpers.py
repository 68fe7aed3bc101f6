"""Shared pieces for the booking-flow tests: a valid form, a photo, a bookable clinic."""

import io
from datetime import UTC, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.http import urlencode
from PIL import Image

from bookings.drafts import format_start
from devtools.sample_answers import booking_form
from tests.factories import (
    ConsultationTypeFactory,
    LocationFactory,
    PractitionerFactory,
    weekly_hours,
)


def valid_form(**overrides):
    """Return the details page's sample answers, with ``overrides`` (None drops a field)."""
    return booking_form(**overrides)


def jpeg_upload(name="hairline.jpg", size=(64, 48), gps=True, fmt="JPEG"):
    image = Image.new("RGB", size, (180, 140, 120))
    out = io.BytesIO()
    if gps and fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # camera make
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS info
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    content_type = "image/jpeg" if fmt == "JPEG" else "image/png"
    return SimpleUploadedFile(name, out.getvalue(), content_type=content_type)


def bookable_clinic(practitioners=1):
    location = LocationFactory(name="Hampstead", time_zone="Europe/London")
    staff = PractitionerFactory.create_batch(practitioners, locations=[location])
    for practitioner in staff:
        weekly_hours(practitioner, location, start=time(9), end=time(17))
    consultation_type = ConsultationTypeFactory(
        practitioners=staff, slug="initial", min_notice_hours=2, late_cancel_hours=24
    )
    return location, staff, consultation_type


def next_slot(days=3, hour=10):
    """A time some days ahead, on the 15-minute grid of 09:00–17:00 London hours."""
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def details_url(consultation_type, location, start, practitioner="any"):
    query = {"location": location.pk, "practitioner": practitioner, "start": format_start(start)}
    return reverse("bookings:details", args=[consultation_type.slug]) + "?" + urlencode(query)
