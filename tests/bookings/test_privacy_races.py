"""Erasing a patient while their booking is confirmed, or their assessment saved with a
follow-up, at the same moment: both finish, neither is a deadlock, nothing is half-written."""

import time

import pytest
from django.http import QueryDict
from django.utils import timezone

import bookings.drafts
import bookings.follow_up
from bookings.drafts import draft_confirm, draft_create, draft_save, typed_answers
from bookings.follow_up import assessment_record
from bookings.models import Booking
from bookings.privacy import patient_erase
from bookings.services import BookingError, booking_create
from patients.models import Patient
from tests.factories import (
    PatientFactory,
    all_at_once,
    assessment_values,
    bookable_clinic,
    booking_with_intake,
    next_slot,
    valid_form,
)

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

ASSESSMENT = assessment_values()


def slowed(function, seconds=0.5):
    """``function``, called after a pause: holds the caller's locks while the other thread
    reaches for them, so the two really meet in the middle."""

    def wrapper(*args, **kwargs):
        time.sleep(seconds)
        return function(*args, **kwargs)

    return wrapper


def outcome_is_clean(outcome):
    return outcome is None or isinstance(outcome, Booking | Patient | BookingError | tuple)


def test_erasing_a_patient_while_their_booking_form_is_confirmed(monkeypatch):
    location, _, consultation_type = bookable_clinic()
    form = valid_form(email="zeb@example.org", first_name="Zeb", last_name="Quixotic")
    patient = PatientFactory(
        first_name="Zeb", last_name="Quixotic", email="zeb@example.org", date_of_birth="1985-12-10"
    )
    draft = draft_create(
        consultation_type=consultation_type,
        location=location,
        practitioner=None,
        starts_at=next_slot(days=4),
    )
    answers = QueryDict(mutable=True)
    for name, value in form.items():
        answers.setlist(name, value if isinstance(value, list) else [value])
    draft_save(draft=draft, form_data=typed_answers(answers))
    # The confirm holds its booking form while it looks the patient up.
    monkeypatch.setattr(
        bookings.drafts, "patient_found_or_added", slowed(bookings.drafts.patient_found_or_added)
    )

    def fire(index, _):
        if index == 0:
            return draft_confirm(draft=draft)
        time.sleep(0.2)  # the confirm has its form locked by now
        return patient_erase(patient=patient)

    outcomes = all_at_once(2, fire)
    assert all(outcome_is_clean(o) for o in outcomes), outcomes
    patient.refresh_from_db()
    assert patient.erased_at is not None
    # Whatever the confirm made was erased with the rest: nothing names the patient.
    assert not Patient.objects.filter(email__iexact="zeb@example.org").exists()
    assert not Booking.objects.filter(status="confirmed", patient=patient).exists()


def test_erasing_a_patient_while_their_assessment_books_a_follow_up(monkeypatch):
    location, (practitioner,), consultation_type = bookable_clinic()
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    author = practitioner.user
    # Saved once already: saving again locks the assessment row before anything else.
    assessment_record(
        booking=booking, author=author, values=ASSESSMENT, sign_off=False, now=timezone.now()
    )
    # Between saving the assessment (its row locked) and booking the follow-up.
    monkeypatch.setattr(
        bookings.follow_up, "follow_up_book", slowed(bookings.follow_up.follow_up_book)
    )

    def fire(index, _):
        if index == 0:
            return assessment_record(
                booking=booking,
                author=author,
                values=ASSESSMENT,
                sign_off=True,
                follow_up=(consultation_type, 4),
                now=timezone.now(),
            )
        time.sleep(0.2)
        return patient_erase(patient=booking.patient)

    outcomes = all_at_once(2, fire)
    assert all(outcome_is_clean(o) for o in outcomes), outcomes
    assert Patient.objects.get(pk=booking.patient_id).erased_at is not None
    # A follow-up booked first was cancelled by the erasure; none is booked after it.
    assert not Booking.objects.filter(patient_id=booking.patient_id, status="confirmed").exists()


def test_nothing_is_booked_for_an_erased_patient():
    location, _, consultation_type = bookable_clinic()
    patient = PatientFactory()
    patient_erase(patient=patient)
    with pytest.raises(BookingError, match="erased"):
        booking_create(
            patient=patient,
            consultation_type=consultation_type,
            location=location,
            starts_at=next_slot(days=3),
            notify=False,
        )
