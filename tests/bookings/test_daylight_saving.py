"""The hour that happens twice when clocks go back: two different times never look the same.

In London the clocks go back from 02:00 BST to 01:00 GMT on the last Sunday of October, so
01:00–01:59 happens twice: first in BST (00:00–00:59 UTC), then in GMT (01:00–01:59 UTC).
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from bookings import notifications
from bookings.drafts import format_start
from bookings.models import Booking
from bookings.services import booking_create
from clinic import roles as role_names
from clinic.times import format_local, in_repeated_hour, zone_label
from tests.factories import (
    ConsultationTypeFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    sign_in_with_second_factor,
)

LONDON = ZoneInfo("Europe/London")


def next_clocks_back_day(zone=LONDON) -> date:
    """The next local day, at least two days ahead, on which the zone's clocks go back."""
    day = timezone.now().date() + timedelta(days=2)
    while True:
        morning = datetime.combine(day, time(0), tzinfo=zone)
        evening = datetime.combine(day, time(23), tzinfo=zone)
        if evening.utcoffset() < morning.utcoffset():
            return day
        day += timedelta(days=1)


@pytest.fixture
def night_clinic(db):
    """A London clinic open 00:00–03:00 on the Sunday the clocks go back (four real hours)."""
    day = next_clocks_back_day()
    location = LocationFactory(name="Night clinic", time_zone="Europe/London")
    practitioner = PractitionerFactory(locations=[location])
    practitioner.working_hours.create(
        location=location, weekday=day.weekday(), start_time=time(0), end_time=time(3)
    )
    consultation_type = ConsultationTypeFactory(
        practitioners=[practitioner], slug="night", horizon_days=400
    )
    return day, location, practitioner, consultation_type


def at_utc(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def book_at(night_clinic, start, patient=None):
    _, location, practitioner, consultation_type = night_clinic
    return booking_create(
        patient=patient or PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        practitioner=practitioner,
        notify=False,
    )


def test_the_repeated_hour_is_told_apart_by_its_zone():
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    assert format_local(first, LONDON, "H:i") == "01:30 BST"
    assert format_local(second, LONDON, "H:i") == "01:30 GMT"
    # Outside that hour, on that day or any other, a time is written plainly.
    assert format_local(datetime(2026, 10, 24, 23, 30, tzinfo=UTC), LONDON, "H:i") == "00:30"
    assert format_local(datetime(2026, 10, 25, 2, 30, tzinfo=UTC), LONDON, "H:i") == "02:30"
    assert format_local(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), LONDON, "H:i") == "02:00"
    # Berlin repeats 02:00–02:59; a zone without letters gets its offset.
    berlin = ZoneInfo("Europe/Berlin")
    assert format_local(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), berlin, "H:i") == "02:30 CET"
    assert not in_repeated_hour(datetime(2026, 10, 25, 3, 30, tzinfo=berlin))
    santiago = datetime(2026, 4, 4, 23, 30, tzinfo=ZoneInfo("America/Santiago"))
    assert in_repeated_hour(santiago) and zone_label(santiago) in ("UTC-03", "UTC-04")


def test_the_picker_shows_both_occurrences_of_the_repeated_hour_apart(client, night_clinic):
    day, location, _, consultation_type = night_clinic
    page = client.get(
        reverse("bookings:times", args=[consultation_type.slug]),
        {"location": location.pk, "practitioner": "any", "day": day.isoformat()},
    ).content.decode()
    # Each half hour of the night, once each in the phone's day and in the desktop's week,
    # with the repeated ones labelled.
    phone, desktop = page.split('class="d-none d-md-block"')
    for text, start in [
        (">00:30<", at_utc(day, 0, 30) - timedelta(hours=1)),
        (">01:30 BST<", at_utc(day, 0, 30)),
        (">01:30 GMT<", at_utc(day, 1, 30)),
        (">02:00<", at_utc(day, 2)),
    ]:
        for half in (phone, desktop):
            assert half.count(text) == 1, text
            assert half.count(f"start={format_start(start)}") == 1, text
    assert ">01:30<" not in page


def test_the_patients_pages_and_e_mails_name_the_occurrence(client, night_clinic):
    day = night_clinic[0]
    booking = book_at(night_clinic, at_utc(day, 1, 30))  # the second 01:30, in GMT
    page = client.get(reverse("bookings:manage", args=[booking.token])).content.decode()
    assert "01:30 GMT" in page
    notifications.send_patient_email(booking, "confirmed")
    notifications.send_clinic_email(booking, "confirmed")
    for message in mail.outbox:
        assert "01:30 GMT" in message.subject
        assert "01:30 GMT" in message.body


def test_the_calendar_file_names_the_second_occurrence_exactly(client, night_clinic):
    day = night_clinic[0]
    booking = book_at(night_clinic, at_utc(day, 1, 30))
    ics = client.get(reverse("bookings:calendar", args=[booking.token])).content
    assert f"DTSTART:{day:%Y%m%d}T013000Z".encode() in ics
    assert f"DTEND:{day:%Y%m%d}T020000Z".encode() in ics
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event["DTSTART"].dt.astimezone(UTC) == booking.starts_at
    assert event["DTEND"].dt.astimezone(UTC) == booking.ends_at


def test_a_list_writing_each_start_in_one_step_reads_as_a_time_zone_block_did(night_clinic):
    """``LocalStarts`` (the review queue's rows, staff/queue_rows.py) against ``clinic_time``
    in the booking's ``{% timezone %}`` block, the repeated hour included."""
    from staff.queue_rows import LocalStarts

    day, *_ = night_clinic
    block = Template(
        "{% load tz booking_tags %}{% timezone booking.location.time_zone %}"
        '{{ booking.starts_at|clinic_time:"D j M, H:i" }}{% endtimezone %}'
    )
    written = []
    page = LocalStarts()  # the queue's writer, each day's part worked out once
    for start in (at_utc(day, 0, 0), at_utc(day, 1, 0), at_utc(day, 2, 0)):
        booking = book_at(night_clinic, start)
        context = Context({"booking": booking})
        written.append(page(booking.starts_at, booking.location.zone))
        assert written[-1] == block.render(context)
    first, second, plain = written
    assert first.endswith(", 01:00 BST") and second.endswith(", 01:00 GMT")
    assert plain.endswith(", 02:00")


def test_staff_day_and_week_views_tell_the_two_apart(client, roles, night_clinic):
    day, location, *_ = night_clinic
    first = book_at(night_clinic, at_utc(day, 0, 0))  # 01:00 BST, until 01:30 BST
    second = book_at(night_clinic, at_utc(day, 1, 0))  # 01:00 GMT
    user = UserFactory(username="rosa")
    user.groups.add(roles[role_names.RECEPTION])
    staff = sign_in_with_second_factor(client, user)
    day_view = staff.get(reverse("staff:home"), {"day": day.isoformat()}).content.decode()
    week_view = staff.get(reverse("staff:week"), {"week": day.isoformat()}).content.decode()
    for page in (day_view, week_view):
        assert first.patient.full_name in page and second.patient.full_name in page
        assert "01:00 BST" in page and "01:00 GMT" in page
    assert Booking.objects.filter(location=location).count() == 2
