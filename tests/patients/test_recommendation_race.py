"""Assessments signed off at the same moment, with real threads and their own connections: each
is saved, none waits for ever on another's day counts (``RecommendationDay``), and the counts
come out as the assessments say, a day's first count of an option included."""

from collections import Counter

import pytest
from django.utils import timezone

from patients.models import RecommendationDay
from patients.services import recommendation_record
from tests.factories import BookingFactory, all_at_once, assessment_values

pytestmark = pytest.mark.race
ROUNDS = 3
# The same options in different orders, so that each save wants the others' rows.
OPTIONS = [
    ["prp", "medication"],
    ["medication", "prp"],
    ["exosomes", "prp", "medication"],
    ["medication", "exosomes"],
    ["prp"],
    ["transplant", "medication", "prp"],
]


def test_assessments_saved_at_once_are_all_counted(transactional_db):
    expected = Counter()
    for _ in range(ROUNDS):
        bookings = BookingFactory.create_batch(len(OPTIONS))

        def fire(index, _, bookings=bookings):
            booking = bookings[index]
            return recommendation_record(
                booking=booking,
                author=booking.practitioner.user,
                values=assessment_values(recommendations=OPTIONS[index]),
                sign_off=True,
                now=timezone.now(),
            )

        outcomes = all_at_once(len(OPTIONS), fire)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        for options in OPTIONS:
            expected.update(options)
    counted = Counter()
    for row in RecommendationDay.objects.all():
        counted[row.option] += row.count
    assert counted == expected
