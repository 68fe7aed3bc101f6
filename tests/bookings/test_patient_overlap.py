"""One patient never holds two active bookings at overlapping times: checked by the booking
services on every database, and on PostgreSQL guaranteed by an exclusion constraint too."""

import importlib
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from bookings.models import Booking
from bookings.refusals import PATIENT_BUSY_MESSAGE, PATIENT_BUSY_MESSAGE_FOR_STAFF
from bookings.services import (
    BookingError,
    booking_cancel,
    booking_create,
    booking_reschedule,
)
from tests.factories import PatientFactory

# Monday 2 March 2026 in London (GMT, so UTC equals local time); bookings a week later.
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def at(hour, minute=0):
    return datetime(2026, 3, 9, hour, minute, tzinfo=UTC)


def book(setup, patient, start, practitioner, by_staff=False):
    return booking_create(
        patient=patient,
        consultation_type=setup["type"],
        location=setup["location"],
        starts_at=start,
        practitioner=practitioner,
        now=NOW,
        by_staff=by_staff,
    )


def test_a_patient_cannot_hold_two_overlapping_active_bookings(clinic_setup, patient):
    first, second = clinic_setup["practitioners"]
    book(clinic_setup, patient, at(10), first)
    # With the other practitioner, free then: refused all the same, at the same time or a part.
    for start in (at(10), at(10, 15), at(9, 45)):
        with pytest.raises(BookingError) as refused:
            book(clinic_setup, patient, start, second)
        assert refused.value.message == PATIENT_BUSY_MESSAGE
    with pytest.raises(BookingError) as refused:
        book(clinic_setup, patient, at(10, 15), None, by_staff=True)
    assert refused.value.message == PATIENT_BUSY_MESSAGE_FOR_STAFF
    assert patient.bookings.count() == 1
    # Back to back is not an overlap, and another patient may take the other practitioner.
    assert book(clinic_setup, patient, at(10, 30), second).practitioner == second
    assert book(clinic_setup, PatientFactory(), at(10), second).practitioner == second


def test_a_cancelled_booking_does_not_hold_the_patients_time(clinic_setup, patient):
    first, second = clinic_setup["practitioners"]
    booking = book(clinic_setup, patient, at(10), first)
    booking_cancel(booking=booking, now=NOW)
    assert book(clinic_setup, patient, at(10), second).status == Booking.Status.CONFIRMED


def test_moving_a_booking_onto_the_patients_other_booking_is_refused(clinic_setup, patient):
    first, second = clinic_setup["practitioners"]
    book(clinic_setup, patient, at(10), first)
    later = book(clinic_setup, patient, at(14), second)
    with pytest.raises(BookingError) as refused:
        booking_reschedule(booking=later, starts_at=at(10, 15), now=NOW)
    assert refused.value.message == PATIENT_BUSY_MESSAGE
    later.refresh_from_db()
    assert (later.starts_at, later.sequence) == (at(14), 0)
    # Moving within its own time is no clash with itself.
    assert booking_reschedule(booking=later, starts_at=at(14, 15), now=NOW).starts_at == at(14, 15)


def overlapping_row(booking, practitioner, **extra):
    """An overlapping booking of the same patient, written without the service."""
    return Booking(
        patient=booking.patient,
        practitioner=practitioner,
        consultation_type=booking.consultation_type,
        location=booking.location,
        starts_at=at(10, 15),
        ends_at=at(10, 45),
        blocked_from=at(10, 15),
        blocked_until=at(10, 45),
        **extra,
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's exclusion constraint")
def test_database_refuses_a_patients_overlap_even_when_the_service_is_bypassed(
    clinic_setup, patient
):
    first, second = clinic_setup["practitioners"]
    booking = book(clinic_setup, patient, at(10), first)
    with pytest.raises(IntegrityError, match="booking_patient_no_overlap"), transaction.atomic():
        overlapping_row(booking, second).save()
    overlapping_row(booking, second, status=Booking.Status.CANCELLED).save()
    # Back to back, and another patient at the same time, are allowed.
    Booking.objects.create(
        patient=patient,
        practitioner=second,
        consultation_type=booking.consultation_type,
        location=booking.location,
        starts_at=at(10, 30),
        ends_at=at(11),
        blocked_from=at(10, 30),
        blocked_until=at(11),
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's exclusion constraint")
def test_the_constraint_is_not_added_over_overlaps_already_stored(clinic_setup, patient):
    """A database that already holds a patient's overlapping bookings gets a list of them to
    sort out, rather than one cancelled behind the patient's back."""
    migration = importlib.import_module("bookings.migrations.0011_booking_patient_no_overlap")
    first, second = clinic_setup["practitioners"]
    booking = book(clinic_setup, patient, at(10), first)

    def check_foreign_keys_now():
        # The test's transaction defers them; PostgreSQL alters no table with checks pending.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    with connection.schema_editor(atomic=False) as editor:
        check_foreign_keys_now()
        migration.drop_constraint(None, editor)
        clash = overlapping_row(booking, second)
        clash.save()
        check_foreign_keys_now()
        with pytest.raises(migration.OverlappingBookings) as stopped:
            migration.add_constraint(None, editor)
        assert f"bookings {booking.pk} and {clash.pk} of patient {patient.pk}" in str(stopped.value)
        clash.delete()
        check_foreign_keys_now()
        migration.add_constraint(None, editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        overlapping_row(booking, second).save()
