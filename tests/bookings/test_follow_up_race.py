"""Reception cancels a consultation at the moment its practitioner saves the assessment and
books the follow-up, with real threads and their own connections: both end in a clear answer
(the cancel done, or the assessment saved and the follow-up booked, or a refusal in words),
never a deadlock between them."""

import time

import pytest
from django.utils import timezone

from bookings.follow_up import assessment_record
from bookings.models import Booking
from bookings.services import BookingError, booking_cancel
from patients.services import AssessmentError
from tests.factories import (
    AssessmentFactory,
    all_at_once,
    assessment_values,
    bookable_clinic,
    booking_with_intake,
)

pytestmark = pytest.mark.race
# The cancel starts a little later each round, so that some round sends it while the
# practitioner's save is between booking the follow-up and saving the assessment.
ROUNDS = 8
STEP = 0.004  # seconds


def test_a_cancel_and_an_assessment_with_its_follow_up_at_once_never_deadlock(transactional_db):
    location, (practitioner,), consultation_type = bookable_clinic()
    for round_number in range(ROUNDS):
        consultation = booking_with_intake(
            location, consultation_type, practitioner, 3 + round_number
        )
        # A draft written before the visit, signed off now with the follow-up.
        AssessmentFactory(booking=consultation, author=practitioner.user)

        def fire(index, _, consultation=consultation, round_number=round_number):
            if index == 0:
                return assessment_record(
                    booking=consultation,
                    author=practitioner.user,
                    values=assessment_values(),
                    # Signed off: only a sign-off books the follow-up.
                    sign_off=True,
                    follow_up=(consultation_type, 12),
                    now=timezone.now(),
                )
            time.sleep(STEP * round_number)
            return booking_cancel(booking=consultation, by_staff=True, notify=False)

        assessed, cancelled = all_at_once(2, fire)
        for outcome in (assessed, cancelled):
            assert not isinstance(outcome, Exception) or isinstance(
                outcome, BookingError | AssessmentError
            ), outcome
        assert isinstance(cancelled, Booking), cancelled
        assert Booking.objects.get(pk=consultation.pk).status == Booking.Status.CANCELLED
        # The assessment was saved, before or after the cancel: a consultation's own.
        assert not isinstance(assessed, Exception), assessed
