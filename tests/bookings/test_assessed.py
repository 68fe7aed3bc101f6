"""``Booking.assessed``, the copy of "the assessment exists" kept by the database (migration
bookings 0025), stays true to the assessment table however an assessment is added, moved or
deleted and whatever a save from an older instance writes; the review queue's page and count
rely on it.

A migration that rebuilds the booking or assessment table on SQLite drops its triggers: these
tests then fail, and that migration must create them again."""

import pytest
from django.urls import reverse

from bookings.models import Booking
from clinic import roles as role_names
from patients.models import Assessment
from tests.factories import (
    AssessmentFactory,
    assessment_values,
    bookable_clinic,
    booking_row_writes,
    booking_with_intake,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db


def is_assessed(booking) -> bool:
    return Booking.objects.values_list("assessed", flat=True).get(pk=booking.pk)


@pytest.fixture
def clinic(roles, screening_rules):
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    return location, practitioner, consultation_type


def answered(clinic, days=3):
    location, practitioner, consultation_type = clinic
    return booking_with_intake(location, consultation_type, practitioner, days)


def test_an_assessment_saved_from_the_review_form_marks_its_consultation(clinic, client):
    _, practitioner, _ = clinic
    booking, other = answered(clinic, 3), answered(clinic, 4)
    assert not is_assessed(booking)
    sign_in_with_second_factor(client, practitioner.user)
    client.post(reverse("staff:assessment", args=[booking.pk]), assessment_values())
    assert Assessment.objects.filter(booking=booking).exists()
    assert is_assessed(booking) and not is_assessed(other)


def test_assessments_added_in_bulk_moved_or_deleted_are_followed(clinic):
    _, practitioner, _ = clinic
    first, second = answered(clinic, 3), answered(clinic, 4)
    Assessment.objects.bulk_create(
        [AssessmentFactory.build(booking=first, author=practitioner.user)]
    )
    assert is_assessed(first) and not is_assessed(second)
    Assessment.objects.filter(booking=first).update(booking=second)
    assert not is_assessed(first) and is_assessed(second)
    Assessment.objects.filter(booking=second).delete()
    assert not is_assessed(first) and not is_assessed(second)


def test_an_assessment_saved_again_leaves_its_consultation_unwritten(clinic):
    """A draft edited (Django's save writes every column, the booking's too) writes and locks
    nothing of its consultation: the practitioner's save comes after the follow-up's booking,
    and a cancel at that moment would otherwise wait for it the other way round."""
    _, practitioner, _ = clinic
    booking = answered(clinic)
    assessment = AssessmentFactory(booking=booking, author=practitioner.user)
    before = booking_row_writes(booking)
    assessment.rationale = "Edited."
    assessment.save()
    assert booking_row_writes(booking) == before
    assert is_assessed(booking)


def test_a_save_from_an_instance_loaded_before_the_assessment_does_not_undo_it(clinic):
    _, practitioner, _ = clinic
    booking = answered(clinic)
    stale = Booking.objects.get(pk=booking.pk)
    AssessmentFactory(booking=booking, author=practitioner.user)
    stale.cancellation_reason = "Written by a page opened before the assessment"
    stale.save()  # every column, the old False included
    assert is_assessed(booking)
    Assessment.objects.filter(booking=booking).delete()
    loaded_when_assessed = Booking.objects.get(pk=booking.pk)
    loaded_when_assessed.assessed = True
    loaded_when_assessed.save()
    assert not is_assessed(booking)


def test_the_queue_and_its_count_follow_assessments_however_they_come(clinic, client):
    _, practitioner, _ = clinic
    first, second = answered(clinic, 3), answered(clinic, 4)
    sign_in_with_second_factor(client, practitioner.user)

    def queue():
        page = client.get(reverse("staff:review_queue")).context
        return [row.pk for row in page["rows"]], page["page"].paginator.count

    assert queue() == ([first.pk, second.pk], 2)
    AssessmentFactory(booking=first, author=practitioner.user)
    assert queue() == ([second.pk], 1)
    Assessment.objects.filter(booking=first).update(booking=second)
    assert queue() == ([first.pk], 1)
    Assessment.objects.all().delete()
    assert queue() == ([first.pk, second.pk], 2)
