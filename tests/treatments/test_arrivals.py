"""A consultation a treatment plan was made from stays completed, and its assessment whole."""

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


def test_an_assessment_a_plan_was_made_from_keeps_every_part(treatments_setup):
    from django.utils import timezone

    from patients.models import Assessment
    from patients.services import AssessmentError, recommendation_record

    consultation = treatments_setup["consultation"]
    assessment = Assessment.objects.get(booking=consultation)
    proposed_plan(consultation)
    values = {name: getattr(assessment, name) for name in Assessment.REQUIRED_TO_SIGN_OFF}

    def save(**changes):
        return recommendation_record(
            booking=consultation,
            author=consultation.practitioner.user,
            values={**values, **changes},
            sign_off=False,
            now=timezone.now(),
            acknowledged=True,
        )

    with pytest.raises(AssessmentError, match="treatment plan has been made"):
        save(recommendations=[])
    assert Assessment.objects.get(pk=assessment.pk).recommendations == values["recommendations"]
    save(rationale="Reworded.")  # a part changed, not emptied
    assert Assessment.objects.get(pk=assessment.pk).rationale == "Reworded."
