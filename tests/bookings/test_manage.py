"""The patient's private link: one booking, its calendar file, moving, cancelling, answers."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from bookings.drafts import format_start
from bookings.models import Booking
from bookings.services import booking_create
from patients.models import HairLossIntake, IntakePhoto
from tests.factories import (
    PatientFactory,
    bookable_clinic,
    jpeg_upload,
    next_slot,
    valid_form,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    location, _, consultation_type = bookable_clinic()
    return booking_create(
        patient=PatientFactory(email="pat@example.com"),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=5),
        notify=False,
    )


def move_inside_the_cutoff(booking):
    """Put the booking three hours from now, inside its 24-hour late-cancel cutoff."""
    soon = timezone.now() + timedelta(hours=3)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=soon,
        ends_at=soon + timedelta(minutes=30),
        blocked_from=soon,
        blocked_until=soon + timedelta(minutes=30),
    )
    return soon


def url(name, booking, *args):
    return reverse(f"bookings:{name}", args=[booking.token, *args])


def test_private_link_shows_the_booking_and_nothing_else(client, booking):
    response = client.get(url("manage", booking))
    assert response.status_code == 200
    assert booking.practitioner.display_name in response.content.decode()
    assert client.get(reverse("bookings:manage", args=["not-a-real-token"])).status_code == 404
    assert url("manage", booking) == f"/my-booking/{booking.token}/"  # no database id


def test_calendar_file_has_a_stable_uid_and_the_exact_instant(client, booking):
    first = Calendar.from_ical(client.get(url("calendar", booking)).content).walk("VEVENT")[0]
    assert first["DTSTART"].to_ical().endswith(b"Z")  # in UTC: no local time to misread
    assert first["DTSTART"].dt == booking.starts_at
    assert int(first["SEQUENCE"]) == 0
    client.post(
        url("reschedule", booking), {"start": format_start(booking.starts_at + timedelta(hours=1))}
    )
    moved = Calendar.from_ical(client.get(url("calendar", booking)).content).walk("VEVENT")[0]
    assert moved["UID"] == first["UID"]
    assert int(moved["SEQUENCE"]) == 1
    assert moved["DTSTART"].dt == booking.starts_at + timedelta(hours=1)


def test_cancel_with_a_reason_then_the_link_changes_nothing(
    client, booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("cancel", booking), {"reason": "Feeling better"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancellation_reason == "Feeling better"
    # The cancellation e-mails and the offer of the freed time to the waitlist, queued for
    # after the commit.
    assert len(callbacks) == 2
    page = client.get(url("manage", booking)).content.decode()
    assert "was cancelled" in page
    calendar = Calendar.from_ical(client.get(url("calendar", booking)).content)
    # The download adds to a calendar (PUBLISH); it says the consultation is cancelled.
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    assert calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    for name in ("cancel", "reschedule", "intake"):
        assert client.get(url(name, booking)).status_code == 302
    client.post(url("reschedule", booking), {"start": format_start(next_slot(days=6))})
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.sequence == 1


def test_inside_the_late_cancel_cutoff_the_page_says_to_call(client, booking):
    move_inside_the_cutoff(booking)
    page = client.get(url("manage", booking)).content.decode()
    assert "can no longer be moved or cancelled online" in page
    assert client.post(url("cancel", booking), {"reason": ""}).status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"


def test_reschedule_picks_a_new_time_under_the_same_rules(client, booking):
    page = client.get(url("reschedule", booking))
    assert page.status_code == 200
    new_start = booking.starts_at + timedelta(days=1)
    confirm = client.get(url("reschedule", booking), {"start": format_start(new_start)})
    assert "Move your booking?" in confirm.content.decode()
    assert Booking.objects.get(pk=booking.pk).sequence == 0  # looking moves nothing
    response = client.post(url("reschedule", booking), {"start": format_start(new_start)})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == new_start and booking.sequence == 1
    # A time outside the hours is refused with a message, and nothing moves.
    night = new_start.replace(hour=2)
    response = client.post(url("reschedule", booking), {"start": format_start(night)}, follow=True)
    assert "not available" in response.content.decode()
    booking.refresh_from_db()
    assert booking.starts_at == new_start
    assert client.post(url("reschedule", booking), {"start": "nonsense"}).status_code == 302


def test_answers_can_be_completed_later_and_flags_follow_them(client, booking, screening_rules):
    form = valid_form(screen_bleeding_disorder="yes", photo_donor=jpeg_upload("donor.jpg"))
    response = client.post(url("intake", booking), form)
    assert response.status_code == 302
    intake = HairLossIntake.objects.get(booking=booking)
    assert ("prp", "contraindicated") in {(f.treatment, f.severity) for f in intake.flags.all()}
    client.post(url("intake", booking), valid_form())
    assert not intake.flags.filter(severity="contraindicated").exists()
    assert IntakePhoto.objects.filter(intake=intake).count() == 1
    edit_page = client.get(url("intake", booking)).content.decode()
    assert re.search(r'value="receding"[^>]*checked', edit_page)  # saved answers come back


def test_bad_answers_on_the_private_link_are_kept_with_a_message(client, booking):
    response = client.post(
        url("intake", booking), valid_form(onset="in the future", goals="Keep it")
    )
    assert response.status_code == 400
    assert "Keep it" in response.content.decode()
    assert not HairLossIntake.objects.filter(booking=booking).exists()


def test_photos_open_only_through_their_own_booking_link(client, booking):
    client.post(url("intake", booking), valid_form(photo_top=jpeg_upload("top.jpg")))
    photo = IntakePhoto.objects.get(intake__booking=booking)
    response = client.get(url("photo", booking, photo.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    other = booking_create(
        patient=PatientFactory(),
        consultation_type=booking.consultation_type,
        location=booking.location,
        starts_at=booking.starts_at + timedelta(days=1),
        notify=False,
    )
    assert Client().get(url("photo", other, photo.pk)).status_code == 404


def test_no_mail_leaves_without_a_commit(client, booking):
    client.post(url("cancel", booking), {"reason": ""})
    assert mail.outbox == []  # e-mails go out from the worker, after the commit


def test_patient_cannot_move_inside_the_cutoff(client, booking):
    soon = move_inside_the_cutoff(booking)
    response = client.post(url("reschedule", booking), {"start": format_start(next_slot(days=6))})
    assert response.status_code == 302
    assert Booking.objects.get(pk=booking.pk).starts_at == soon


def test_reschedule_with_a_far_day_gets_a_page(client, booking):
    assert client.get(url("reschedule", booking), {"day": "9999-12-31"}).status_code == 200


def test_a_photo_whose_file_is_lost_is_a_friendly_page_not_an_error(client, booking):
    client.post(url("intake", booking), valid_form(photo_top=jpeg_upload("top.jpg")))
    photo = IntakePhoto.objects.get(intake__booking=booking)
    photo.image.storage.delete(photo.image.name)
    response = client.get(url("photo", booking, photo.pk))
    assert response.status_code == 404
    assert "This photo is not available" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


def test_a_move_confirmed_in_a_second_tab_after_the_first_moved_it_is_refused(client, booking):
    first, second = booking.starts_at + timedelta(days=1), booking.starts_at + timedelta(days=2)
    # Both tabs show the booking as it is, each with its own new time.
    tab_a = client.get(url("reschedule", booking), {"start": format_start(first)})
    tab_b = client.get(url("reschedule", booking), {"start": format_start(second)})
    shown = re.search(r'name="sequence" value="(\d+)"', tab_b.content.decode()).group(1)
    assert re.search(r'name="sequence" value="(\d+)"', tab_a.content.decode()).group(1) == shown
    moved = client.post(
        url("reschedule", booking), {"start": format_start(first), "sequence": shown}
    )
    assert moved.status_code == 302
    again = client.post(
        url("reschedule", booking),
        {"start": format_start(second), "sequence": shown},
        follow=True,
    )
    page = again.content.decode()
    assert "was not moved again" in page
    assert f"{first.day} " in page.split("was not moved again", 1)[1][:80]  # where it is now
    booking.refresh_from_db()
    assert booking.starts_at == first and booking.sequence == 1


def test_a_move_sent_after_the_booking_was_cancelled_says_nothing_changed(client, booking):
    client.post(url("cancel", booking), {"reason": ""})
    response = client.post(
        url("reschedule", booking),
        {"start": format_start(booking.starts_at + timedelta(days=1)), "sequence": "1"},
        follow=True,
    )
    page = response.content.decode()
    assert "Nothing was changed" in page and "This booking was cancelled" in page
    assert Booking.objects.get(pk=booking.pk).starts_at == booking.starts_at


def test_a_treatment_session_s_page_calls_it_a_visit(booking):
    """The private page says "visit" of a treatment session, as its e-mails do."""
    manage = reverse("bookings:manage", args=[booking.token])
    shift = booking.starts_at - (timezone.now() - timedelta(hours=2))
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=booking.starts_at - shift,
        ends_at=booking.ends_at - shift,
        blocked_from=booking.blocked_from - shift,
        blocked_until=booking.blocked_until - shift,
        status=Booking.Status.COMPLETED,
    )
    assert "This consultation has taken place" in Client().get(manage).content.decode()
    booking.consultation_type.kind = booking.consultation_type.Kind.PROCEDURE
    booking.consultation_type.intake_required = False
    booking.consultation_type.save()
    page = Client().get(manage).content.decode()
    assert "This visit has taken place" in page and "This consultation" not in page
