from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from bookings.models import Booking, TimeOff
from bookings.services import (
    BookingError,
    booking_cancel,
    booking_create,
    booking_reschedule,
)
from tests.factories import PatientFactory, PractitionerFactory

# Monday 2 March 2026 in London (GMT, so UTC equals local time); bookings a week later.
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 3, 9, tzinfo=UTC)


def at(hour, minute=0, day=NEXT_MONDAY):
    return day.replace(hour=hour, minute=minute)


def book(setup, patient, start, practitioner=None, now=NOW):
    return booking_create(
        patient=patient,
        consultation_type=setup["type"],
        location=setup["location"],
        starts_at=start,
        practitioner=practitioner,
        now=now,
    )


def test_booking_create_stores_the_consultation_and_its_buffers(clinic_setup, patient):
    clinic_setup["type"].buffer_before_minutes = 5
    clinic_setup["type"].buffer_after_minutes = 10
    clinic_setup["type"].save()
    first = clinic_setup["practitioners"][0]
    booking = book(clinic_setup, patient, at(10), practitioner=first)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert (booking.starts_at, booking.ends_at) == (at(10), at(10, 30))
    assert (booking.blocked_from, booking.blocked_until) == (at(9, 55), at(10, 40))
    assert len(booking.token) >= 40


def test_booking_create_refuses_overlapping_slot(clinic_setup, patient):
    first = clinic_setup["practitioners"][0]
    book(clinic_setup, patient, at(10), practitioner=first)
    with pytest.raises(BookingError) as refused:
        book(clinic_setup, PatientFactory(), at(10, 15), practitioner=first)
    assert "just been taken" in refused.value.message
    # The nearest free times are offered instead, none of them clashing.
    assert refused.value.alternatives
    assert all(
        slot.start >= at(10, 30) or slot.end <= at(10) for slot in refused.value.alternatives
    )
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (at(8, 30), "not available"),  # before opening
        (at(16, 45), "not available"),  # would run past 17:00
        (at(10, 7), "not available"),  # off the 15-minute grid
        (NOW + timedelta(days=90), "too far ahead"),
    ],
)
def test_booking_create_refuses_times_outside_the_rules(clinic_setup, patient, start, reason):
    with pytest.raises(BookingError) as refused:
        book(clinic_setup, patient, start)
    assert reason in refused.value.message
    assert not Booking.objects.exists()


def test_booking_create_refuses_too_little_notice(clinic_setup, patient):
    clinic_setup["type"].min_notice_hours = 48
    clinic_setup["type"].save()
    with pytest.raises(BookingError, match="too soon"):
        book(clinic_setup, patient, at(10, day=NOW + timedelta(days=1)))


def test_booking_create_refuses_time_off(clinic_setup, patient):
    first = clinic_setup["practitioners"][0]
    TimeOff.objects.create(practitioner=first, starts_at=at(9), ends_at=at(12))
    with pytest.raises(BookingError):
        book(clinic_setup, patient, at(10), practitioner=first)
    # The other practitioner is still free, so "first available" books them.
    booking = book(clinic_setup, patient, at(10))
    assert booking.practitioner == clinic_setup["practitioners"][1]


def test_booking_create_refuses_practitioner_who_does_not_offer_the_type(clinic_setup, patient):
    outsider = PractitionerFactory(locations=[clinic_setup["location"]])
    with pytest.raises(BookingError):
        book(clinic_setup, patient, at(10), practitioner=outsider)


def test_booking_create_refuses_inactive_type(clinic_setup, patient):
    clinic_setup["type"].is_active = False
    clinic_setup["type"].save()
    with pytest.raises(BookingError, match="no longer offered"):
        book(clinic_setup, patient, at(10))


def test_first_available_goes_to_the_practitioner_with_the_lighter_day(clinic_setup, patient):
    first, second = clinic_setup["practitioners"]
    book(clinic_setup, patient, at(9), practitioner=first)
    book(clinic_setup, patient, at(11), practitioner=first)
    book(clinic_setup, patient, at(13), practitioner=second)
    assert book(clinic_setup, patient, at(15)).practitioner == second
    assert book(clinic_setup, patient, at(15, 30)).practitioner == first  # now 2 each: lower id
    assert first.pk < second.pk


def test_first_available_skips_a_busy_practitioner(clinic_setup, patient):
    first, second = clinic_setup["practitioners"]
    book(clinic_setup, patient, at(10), practitioner=first)
    assert book(clinic_setup, PatientFactory(), at(10)).practitioner == second
    with pytest.raises(BookingError, match="just been taken"):
        book(clinic_setup, PatientFactory(), at(10))


def test_first_available_tries_the_next_when_the_chosen_one_was_taken_since_the_read(
    clinic_setup, patient, monkeypatch
):
    """Who is free is read without a lock; a practitioner booked between that read and their
    lock is passed over for the next in the fair rule's order."""
    from bookings import first_available

    first, second = clinic_setup["practitioners"]
    setup = clinic_setup
    # What the read said before ``first`` was booked at 10:00: both free, ``first`` first.
    stale = first_available.ranked_free_practitioners(
        consultation_type=setup["type"], location=setup["location"], starts_at=at(10), now=NOW
    )
    assert stale == [first.pk, second.pk]
    book(setup, PatientFactory(), at(10), practitioner=first)
    monkeypatch.setattr(first_available, "ranked_free_practitioners", lambda **kwargs: stale)
    booking = book(setup, patient, at(10))
    assert booking.practitioner == second
    assert Booking.objects.filter(starts_at=at(10)).count() == 2
    # Neither left: refused, with nothing written.
    stale = [first.pk, second.pk]
    with pytest.raises(BookingError, match="just been taken"):
        book(setup, PatientFactory(), at(10))
    assert Booking.objects.filter(starts_at=at(10)).count() == 2


def test_cancel_frees_the_slot_and_raises_the_sequence(clinic_setup, patient):
    first = clinic_setup["practitioners"][0]
    booking = book(clinic_setup, patient, at(10), practitioner=first)
    cancelled = booking_cancel(booking=booking, reason="  Feeling better  ", now=NOW)
    assert cancelled.status == Booking.Status.CANCELLED
    assert cancelled.cancellation_reason == "Feeling better"
    assert cancelled.sequence == 1
    assert book(clinic_setup, PatientFactory(), at(10), practitioner=first).pk != booking.pk


def test_patient_cannot_cancel_inside_the_late_cancel_cutoff_but_staff_can(clinic_setup, patient):
    booking = book(clinic_setup, patient, at(10))
    late = at(10) - timedelta(hours=3)
    with pytest.raises(BookingError, match="call the clinic"):
        booking_cancel(booking=booking, now=late)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
    assert booking_cancel(booking=booking, by_staff=True, now=late).status == "cancelled"


def test_cancelled_or_past_booking_cannot_change(clinic_setup, patient):
    booking = book(clinic_setup, patient, at(10))
    with pytest.raises(BookingError, match="already started"):
        booking_cancel(booking=booking, by_staff=True, now=at(10, 5))
    booking_cancel(booking=booking, now=NOW)
    with pytest.raises(BookingError, match="cancelled"):
        booking_cancel(booking=booking, now=NOW)
    with pytest.raises(BookingError, match="cancelled"):
        booking_reschedule(booking=booking, starts_at=at(14), now=NOW)


def test_reschedule_moves_the_same_booking_and_keeps_its_link(clinic_setup, patient):
    booking = book(clinic_setup, patient, at(10))
    moved = booking_reschedule(booking=booking, starts_at=at(10, 15), now=NOW)
    moved.refresh_from_db()
    assert moved.pk == booking.pk and moved.token == booking.token
    assert (moved.starts_at, moved.ends_at, moved.sequence) == (at(10, 15), at(10, 45), 1)
    assert Booking.objects.count() == 1


def test_reschedule_refuses_a_taken_time_and_leaves_the_booking_alone(clinic_setup, patient):
    first = clinic_setup["practitioners"][0]
    mine = book(clinic_setup, patient, at(10), practitioner=first)
    book(clinic_setup, PatientFactory(), at(14), practitioner=first)
    with pytest.raises(BookingError, match="just been taken"):
        booking_reschedule(booking=mine, starts_at=at(14), now=NOW)
    mine.refresh_from_db()
    assert (mine.starts_at, mine.sequence) == (at(10), 0)


def test_patient_cannot_reschedule_inside_the_cutoff(clinic_setup, patient):
    booking = book(clinic_setup, patient, at(10))
    with pytest.raises(BookingError, match="moved online"):
        booking_reschedule(booking=booking, starts_at=at(15), now=at(9))


def test_staff_move_a_booking_inside_the_online_notice_and_past_the_online_horizon(
    clinic_setup, patient
):
    """Staff are not held to the online rules when they move a booking, as when they make one:
    this afternoon on the phone, or a follow-up three months ahead."""
    clinic_setup["type"].min_notice_hours = 48
    clinic_setup["type"].save()
    tomorrow = NOW + timedelta(days=1)
    booking = booking_create(
        patient=patient,
        consultation_type=clinic_setup["type"],
        location=clinic_setup["location"],
        starts_at=at(10, day=tomorrow),
        now=NOW,
        by_staff=True,
    )
    with pytest.raises(BookingError, match="too soon"):
        booking_reschedule(booking=booking, starts_at=at(11, day=tomorrow), now=NOW)
    moved = booking_reschedule(
        booking=booking, starts_at=at(11, day=tomorrow), now=NOW, by_staff=True
    )
    assert moved.starts_at == at(11, day=tomorrow)
    later = at(10, day=NOW + timedelta(days=91))  # a Monday, beyond the online horizon
    moved = booking_reschedule(booking=moved, starts_at=later, now=NOW, by_staff=True)
    assert moved.starts_at == later


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's exclusion constraint")
def test_database_refuses_overlap_even_when_the_service_is_bypassed(clinic_setup, patient):
    booking = book(clinic_setup, patient, at(10), practitioner=clinic_setup["practitioners"][0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            patient=patient,
            practitioner=booking.practitioner,
            consultation_type=booking.consultation_type,
            location=booking.location,
            starts_at=at(10, 20),
            ends_at=at(10, 50),
            blocked_from=at(10, 20),
            blocked_until=at(10, 50),
        )
    # A cancelled booking does not hold its time.
    Booking.objects.create(
        patient=patient,
        practitioner=booking.practitioner,
        consultation_type=booking.consultation_type,
        location=booking.location,
        starts_at=at(10, 20),
        ends_at=at(10, 50),
        blocked_from=at(10, 20),
        blocked_until=at(10, 50),
        status=Booking.Status.CANCELLED,
    )


def test_working_hours_on_another_weekday_do_not_count(clinic_setup, patient):
    # The fixture's practitioners work every day; a Sunday-only practitioner is not offered Monday.
    sunday_only = PractitionerFactory(locations=[clinic_setup["location"]])
    clinic_setup["type"].practitioners.add(sunday_only)
    sunday_only.working_hours.create(
        location=clinic_setup["location"], weekday=6, start_time=time(9), end_time=time(17)
    )
    with pytest.raises(BookingError):
        book(clinic_setup, patient, at(10), practitioner=sunday_only)
