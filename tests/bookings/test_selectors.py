from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Booking, TimeOff
from bookings.selectors import available_slots
from tests.factories import (
    BookingFactory,
    ConsultationTypeFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    weekly_hours,
)

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 3, 2)


def build_clinic(practitioner_count, bookings_each):
    location = LocationFactory(time_zone="Europe/London")
    practitioners = PractitionerFactory.create_batch(practitioner_count, locations=[location])
    consultation_type = ConsultationTypeFactory(practitioners=practitioners)
    rows = []
    for practitioner in practitioners:
        # One patient per practitioner: a patient is never in two consultations at once.
        patient = PatientFactory()
        weekly_hours(practitioner, location, start=time(9), end=time(12, 30))
        weekly_hours(practitioner, location, start=time(13, 30), end=time(17))
        TimeOff.objects.create(
            practitioner=practitioner,
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=4),
        )
        for n in range(bookings_each):
            start = datetime(2026, 3, 3, 9, tzinfo=UTC) + timedelta(days=n // 4, hours=2 * (n % 4))
            rows.append(
                BookingFactory.build(
                    patient=patient,
                    practitioner=practitioner,
                    consultation_type=consultation_type,
                    location=location,
                    starts_at=start,
                )
            )
    Booking.objects.bulk_create(rows)
    return location, consultation_type


@pytest.mark.parametrize(("practitioners", "bookings_each"), [(1, 0), (3, 10), (12, 40)])
def test_fourteen_days_of_any_practitioner_slots_take_five_queries(
    db, practitioners, bookings_each
):
    location, consultation_type = build_clinic(practitioners, bookings_each)
    with CaptureQueriesContext(connection) as queries:
        result = available_slots(
            consultation_type=consultation_type,
            location=location,
            first_day=FIRST_DAY,
            last_day=FIRST_DAY + timedelta(days=13),
            now=NOW,
        )
    assert len(queries) == 5
    assert result.slots
    # Every practitioner appears, and the busy and time-off hours are honoured.
    offered = {pid for slot in result.slots for pid in slot.practitioner_ids}
    assert len(offered) == practitioners
    busy_start = datetime(2026, 3, 3, 9, tzinfo=UTC)
    if bookings_each:
        assert result.slot_at(busy_start) is None
    time_off_day = (NOW + timedelta(days=3, hours=6)).replace(minute=0)
    assert result.slot_at(time_off_day) is None


def test_no_eligible_practitioner_costs_one_query(db):
    location = LocationFactory()
    consultation_type = ConsultationTypeFactory()
    with CaptureQueriesContext(connection) as queries:
        result = available_slots(
            consultation_type=consultation_type,
            location=location,
            first_day=FIRST_DAY,
            last_day=FIRST_DAY + timedelta(days=13),
            now=NOW,
        )
    assert result.slots == [] and len(queries) == 1


def test_bookings_at_another_location_make_the_practitioner_busy(db):
    hampstead = LocationFactory(time_zone="Europe/London")
    chelsea = LocationFactory(time_zone="Europe/London")
    practitioner = PractitionerFactory(locations=[hampstead, chelsea])
    weekly_hours(practitioner, hampstead, start=time(9), end=time(12))
    weekly_hours(practitioner, chelsea, start=time(13), end=time(17))
    consultation_type = ConsultationTypeFactory(practitioners=[practitioner])
    # Booked at Chelsea from 11:30 (an admin's phone booking outside the usual hours).
    start = datetime(2026, 3, 3, 11, 30, tzinfo=UTC)
    BookingFactory(
        patient=PatientFactory(),
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=chelsea,
        starts_at=start,
    )
    hampstead_slots = available_slots(
        consultation_type=consultation_type,
        location=hampstead,
        first_day=date(2026, 3, 3),
        last_day=date(2026, 3, 3),
        now=NOW,
    )
    assert hampstead_slots.slot_at(datetime(2026, 3, 3, 11, tzinfo=UTC)) is not None
    assert hampstead_slots.slot_at(datetime(2026, 3, 3, 11, 15, tzinfo=UTC)) is None
    assert hampstead_slots.slot_at(start) is None


def test_slots_are_computed_in_the_location_time_zone(db):
    dubai = LocationFactory(time_zone="Asia/Dubai")
    practitioner = PractitionerFactory(locations=[dubai])
    weekly_hours(practitioner, dubai, start=time(9), end=time(17))
    consultation_type = ConsultationTypeFactory(practitioners=[practitioner])
    result = available_slots(
        consultation_type=consultation_type,
        location=dubai,
        first_day=date(2026, 3, 3),
        last_day=date(2026, 3, 3),
        now=NOW,
    )
    assert result.slots[0].start == datetime(2026, 3, 3, 5, tzinfo=UTC)  # 09:00 in Dubai


@pytest.mark.parametrize(
    ("zone", "day", "before_midnight"),
    [
        # An ordinary day, and the night clocks go back (midnight is then at 22:00 UTC).
        ("Europe/London", date(2026, 3, 10), datetime(2026, 3, 9, 23, 15, tzinfo=UTC)),
        ("Europe/Berlin", date(2026, 10, 25), datetime(2026, 10, 24, 21, 15, tzinfo=UTC)),
    ],
)
def test_a_booking_ending_before_midnight_still_blocks_a_start_at_midnight(
    db, zone, day, before_midnight
):
    """The busy times read for a day reach back past its midnight by the buffers and duration:
    a booking blocked until 23:55 the evening before keeps a 00:00 start (10 minutes' buffer
    before) from being offered."""
    location = LocationFactory(time_zone=zone)
    practitioner = PractitionerFactory(locations=[location])
    weekly_hours(practitioner, location, start=time(0), end=time(6))
    consultation_type = ConsultationTypeFactory(
        practitioners=[practitioner],
        buffer_before_minutes=10,
        buffer_after_minutes=10,
        horizon_days=365,
    )
    # 23:15–23:45 the evening before, local time, blocked until 23:55.
    BookingFactory(
        patient=PatientFactory(),
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=before_midnight,
        blocked_from=before_midnight - timedelta(minutes=10),
        blocked_until=before_midnight + timedelta(minutes=40),
    )
    result = available_slots(
        consultation_type=consultation_type, location=location, first_day=day, last_day=day, now=NOW
    )
    midnight = before_midnight + timedelta(minutes=45)
    assert result.slots[0].start == midnight + timedelta(minutes=15)
    assert result.slot_at(midnight) is None
