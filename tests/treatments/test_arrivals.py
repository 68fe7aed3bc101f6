"""A consultation a treatment plan was made from stays completed."""

from datetime import timedelta

import pytest

from bookings.arrivals import booking_complete_undo
from bookings.models import Booking
from bookings.services import BookingError
from tests.factories import proposed_plan

pytestmark = pytest.mark.django_db


def test_a_completion_a_plan_was_made_from_is_not_undone(treatments_setup):
    consultation = treatments_setup["consultation"]
    same_day = consultation.starts_at + timedelta(minutes=40)
    plan = proposed_plan(consultation)
    with pytest.raises(BookingError, match="treatment plan has been made"):
        booking_complete_undo(booking=consultation, now=same_day)
    consultation.refresh_from_db()
    assert consultation.status == Booking.Status.COMPLETED
    # Without the plan, the same undo goes through.
    plan.delete()
    booking_complete_undo(booking=consultation, now=same_day)
    consultation.refresh_from_db()
    assert consultation.status == Booking.Status.CONFIRMED
