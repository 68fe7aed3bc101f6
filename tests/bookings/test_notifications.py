"""E-mails and calendar files: the location's own time, discreet words, the right method."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from bookings import notifications
from bookings.services import booking_cancel, booking_create, booking_reschedule
from tests.factories import (
    ConsultationTypeFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    weekly_hours,
)


def as_text(content):
    return content.decode() if isinstance(content, bytes) else content


@pytest.fixture
def dubai_booking(db):
    dubai = LocationFactory(name="Dubai", time_zone="Asia/Dubai", address="Building 27")
    practitioner = PractitionerFactory(locations=[dubai])
    weekly_hours(practitioner, dubai, start=time(9), end=time(17))
    consultation_type = ConsultationTypeFactory(
        practitioners=[practitioner], name="PRP and stem cell suitability", horizon_days=400
    )
    day = (datetime.now(UTC) + timedelta(days=10)).date()
    return booking_create(
        patient=PatientFactory(email="sam@example.com"),
        consultation_type=consultation_type,
        location=dubai,
        starts_at=datetime(day.year, day.month, day.day, 5, 0, tzinfo=UTC),  # 09:00 in Dubai
        notify=False,
    )


def test_email_uses_the_location_time_zone_and_the_calendar_the_exact_instant(dubai_booking):
    notifications.send_patient_email(dubai_booking, "confirmed")
    message = mail.outbox[0]
    assert "09:00" in message.subject and "(Dubai time)" in message.body
    # The calendar file names the instant in UTC, which calendar programs show in their own
    # user's zone: 09:00 in Dubai is 05:00 UTC.
    event = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")[0]
    assert event["DTSTART"].dt == dubai_booking.starts_at
    assert event["DTSTART"].dt.utcoffset() == timedelta(0) and event["DTSTART"].dt.hour == 5


def test_no_treatment_words_in_the_html_body_or_the_calendar_file(dubai_booking):
    notifications.send_patient_email(dubai_booking, "confirmed")
    notifications.send_clinic_email(dubai_booking, "confirmed")
    for message in mail.outbox:
        parts = [message.subject, message.body]
        parts += [content for content, _ in getattr(message, "alternatives", [])]
        parts += [as_text(attachment[1]) for attachment in message.attachments]
        # The private link's random token could spell anything; it is not wording.
        text = " ".join(parts).replace(dubai_booking.token, "").lower()
        for word in ("prp", "stem cell", "suitability", "transplant", "hair loss"):
            assert word not in text, (word, message.subject)
        assert "/my-booking/" not in "".join(as_text(a[1]) for a in message.attachments)


def test_a_treatment_session_is_called_a_visit_not_a_consultation(dubai_booking):
    """As discreet, but true: a PRP session is not a consultation, in the e-mail, its calendar
    entry and the links that add it to a calendar."""
    session_type = dubai_booking.consultation_type
    session_type.kind, session_type.intake_required = session_type.Kind.PROCEDURE, False
    session_type.save()
    notifications.send_patient_email(dubai_booking, "reminder")
    notifications.send_patient_email(dubai_booking, "confirmed")
    reminder, booked = mail.outbox
    assert reminder.subject.startswith("Reminder: Visit at ")
    event = Calendar.from_ical(reminder.attachments[0][1]).walk("VEVENT")[0]
    assert str(event["SUMMARY"]).startswith("Visit at ")
    assert booked.subject.startswith("Booked: Visit at ")
    for message in (reminder, booked):
        html = " ".join(content for content, _ in getattr(message, "alternatives", []))
        assert "consultation at" not in f"{message.subject} {message.body} {html}".lower()
    links = notifications.calendar_links(dubai_booking)
    assert "text=Visit+at+" in links["google"] and "subject=Visit+at+" in links["outlook"]


def test_cancellation_email_carries_a_cancel_calendar_file(dubai_booking):
    cancelled = booking_cancel(booking=dubai_booking, notify=False)
    notifications.send_patient_email(cancelled, "cancelled")
    message = mail.outbox[0]
    assert message.subject.startswith("Cancelled: ")
    calendar = Calendar.from_ical(message.attachments[0][1])
    assert calendar["METHOD"] == "CANCEL"
    event = calendar.walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) == 1 and str(event["ORGANIZER"]).startswith("mailto:")


@pytest.mark.django_db(transaction=True)
def test_a_move_queues_its_own_e_mail_and_reminder_for_the_new_version(dubai_booking, settings):
    settings.REMINDER_HOURS_BEFORE = 24
    DBTaskResult.objects.all().delete()
    moved = booking_reschedule(
        booking=dubai_booking, starts_at=dubai_booking.starts_at + timedelta(hours=2)
    )
    queued = {
        t.task_path.rsplit(".", 1)[-1]: t.args_kwargs["args"] for t in DBTaskResult.objects.all()
    }
    assert queued["send_booking_emails"] == [moved.pk, "rescheduled", 1]
    assert queued["send_reminder"] == [moved.pk, 1]


def test_a_location_s_patients_are_given_its_own_number_and_others_the_clinic_s(
    dubai_booking, settings
):
    dubai_booking.location.phone = "+971 4 555 0142"
    dubai_booking.location.save()
    notifications.send_patient_email(dubai_booking, "confirmed")
    message = mail.outbox[0]
    calendar = as_text(message.attachments[0][1])
    html = message.alternatives[0][0]
    for part in (message.body, html, calendar.replace("\r\n ", "")):
        assert "+971 4 555 0142" in part and settings.CLINIC["phone"] not in part

    dubai_booking.location.phone = ""
    dubai_booking.location.save()
    notifications.send_patient_email(dubai_booking, "confirmed")
    assert settings.CLINIC["phone"] in mail.outbox[1].body
