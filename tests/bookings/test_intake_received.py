"""``Booking.intake_received``, the copy of "the answers exist" kept by the database (migration
bookings 0021), stays true to the intake table however the answers are added or deleted and
whatever a save from an older instance writes; the review queue and "intake missing" rely on it.

A migration that rebuilds the booking or intake table on SQLite drops its triggers: these tests
then fail, and that migration must create them again."""

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from clinic import roles as role_names
from patients.models import HairLossIntake
from tests.factories import (
    bookable_clinic,
    booking_row_writes,
    booking_with_intake,
    sign_in_with_second_factor,
    upcoming_booking,
)

pytestmark = pytest.mark.django_db


def received(booking) -> bool:
    return Booking.objects.values_list("intake_received", flat=True).get(pk=booking.pk)


@pytest.fixture
def clinic():
    location, (practitioner,), consultation_type = bookable_clinic()
    return location, practitioner, consultation_type


def book(clinic, days=3):
    location, practitioner, consultation_type = clinic
    return upcoming_booking(days, (location, None, consultation_type), practitioner)


def test_answers_sent_through_the_service_are_received(clinic):
    location, practitioner, consultation_type = clinic
    assert not received(book(clinic))
    assert received(booking_with_intake(location, consultation_type, practitioner, 4))


def test_answers_added_or_deleted_in_bulk_or_moved_are_followed(clinic):
    first, second = book(clinic, 3), book(clinic, 4)
    HairLossIntake.objects.bulk_create([HairLossIntake(booking=first, submitted_at=timezone.now())])
    assert received(first) and not received(second)
    HairLossIntake.objects.filter(booking=first).update(booking=second)
    assert not received(first) and received(second)
    HairLossIntake.objects.filter(booking=second).delete()
    assert not received(first) and not received(second)


def test_answers_saved_again_leave_their_booking_unwritten(clinic):
    """The copy changes only when answers come, go or move: a patient saving their answers
    again writes (and locks) nothing of their booking."""
    location, practitioner, consultation_type = clinic
    booking = booking_with_intake(location, consultation_type, practitioner, 4)
    intake = HairLossIntake.objects.get(booking=booking)
    before = booking_row_writes(booking)
    intake.save()
    HairLossIntake.objects.filter(pk=intake.pk).update(booking=booking)
    assert booking_row_writes(booking) == before
    assert received(booking)


def test_a_save_from_an_instance_loaded_before_the_answers_does_not_undo_them(clinic):
    booking = book(clinic)
    stale = Booking.objects.get(pk=booking.pk)
    HairLossIntake.objects.create(booking=booking, submitted_at=timezone.now())
    stale.cancellation_reason = "Written by a page opened before the answers came"
    stale.save()  # every column, the old False included
    assert received(booking)
    HairLossIntake.objects.filter(booking=booking).delete()
    loaded_with_answers = Booking.objects.get(pk=booking.pk)
    loaded_with_answers.intake_received = True
    loaded_with_answers.save()
    assert not received(booking)


def test_the_queue_and_intake_missing_follow_answers_however_they_come(clinic, client, roles):
    _, practitioner, _ = clinic
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = book(clinic)
    sign_in_with_second_factor(client, practitioner.user)

    def lists():
        page = client.get(reverse("staff:review_queue")).context
        return [r.pk for r in page["rows"]], [r.pk for r in page["intake_missing"]]

    assert lists() == ([], [booking.pk])
    HairLossIntake.objects.create(booking=booking, submitted_at=timezone.now())
    assert lists() == ([booking.pk], [])
    HairLossIntake.objects.filter(booking=booking).delete()
    assert lists() == ([], [booking.pk])
