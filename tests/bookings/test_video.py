"""Video consultations: each booking its own unguessable room on the configured video service,
named in the e-mails, on the patient's pages and on staff Today; never "we will send the link"."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from bookings import notifications
from bookings.models import Booking
from bookings.privacy import patient_erase
from bookings.services import booking_create
from tests.factories import PatientFactory, bookable_clinic, next_slot, upcoming_booking

pytestmark = pytest.mark.django_db

SEND_LATER = re.compile(r"will (e-mail|send) you the link|link comes by e-mail", re.IGNORECASE)


@pytest.fixture
def video_clinic(settings):
    settings.VIDEO_BASE_URL = "https://video.example-clinic.com"
    location, staff, consultation_type = bookable_clinic(practitioners=1)
    consultation_type.mode = "video"
    consultation_type.save()
    return location, staff, consultation_type


def book(clinic, days):
    return upcoming_booking(days, clinic)


def test_each_video_booking_has_its_own_unguessable_room(video_clinic):
    first, second = book(video_clinic, 3), book(video_clinic, 4)
    assert first.video_link.startswith("https://video.example-clinic.com/")
    assert first.video_link != second.video_link
    assert re.fullmatch(r"[0-9a-f]{32}", first.video_room)  # 128 random bits
    # The room is as secret as the private link: kept out of the history rows.
    assert "video_room" not in {f.name for f in Booking.history.model._meta.get_fields()}


def test_an_in_person_booking_has_no_video_link(clinic_setup):
    booking = booking_create(
        patient=PatientFactory(),
        consultation_type=clinic_setup["type"],
        location=clinic_setup["location"],
        starts_at=next_slot(days=3),
        notify=False,
    )
    assert booking.video_link == ""


def test_the_link_is_in_the_emails_but_not_in_the_calendar_file(video_clinic):
    booking = book(video_clinic, 3)
    for kind in ("confirmed", "rescheduled", "reminder"):
        notifications.send_patient_email(booking, kind)
    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert booking.video_link in message.body and booking.video_link in html
        assert not SEND_LATER.search(message.body + html)
        calendar = message.attachments[0][1]
        calendar = calendar.decode() if isinstance(calendar, bytes) else calendar
        assert booking.video_room not in calendar  # calendars are shared more widely
    mail.outbox.clear()
    booking.status = "cancelled"
    notifications.send_patient_email(booking, "cancelled")
    assert booking.video_link not in mail.outbox[0].body


def test_the_patient_pages_and_staff_today_show_the_link(video_clinic, client, reception):
    booking = book(video_clinic, 3)
    manage = client.get(reverse("bookings:manage", args=[booking.token])).content.decode()
    assert booking.video_link in manage and not SEND_LATER.search(manage)
    day = booking.starts_at.astimezone(booking.location.zone).date()
    today = reception.get(reverse("staff:home") + f"?day={day.isoformat()}").content.decode()
    assert f'href="{booking.video_link}"' in today and "Join video" in today
    picker = client.get(reverse("bookings:times", args=[booking.consultation_type.slug]))
    assert not SEND_LATER.search(picker.content.decode())


def test_erasure_gives_the_booking_a_new_room(video_clinic):
    booking = book(video_clinic, 3)
    old = booking.video_room
    patient_erase(patient=booking.patient)
    booking.refresh_from_db()
    assert booking.video_room != old
