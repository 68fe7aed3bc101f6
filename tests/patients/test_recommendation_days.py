"""``RecommendationDay``, the counts of options recommended by day (UTC) that the database keeps
(migrations patients 0016 and 0018), stays true to the signed-off assessments however they are
written, and the
dashboard's "recommendations by treatment" read from it counts exactly the assessments made from
the first week's Monday at midnight, local time, wherever the clinic is.

A migration that rebuilds the assessment table on SQLite drops these triggers: these tests then
fail, and that migration must create them again."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings.models import Booking
from patients.models import Assessment, RecommendationDay
from staff.charts import weekly_figures
from tests.factories import AssessmentFactory, BookingFactory, assessed

pytestmark = pytest.mark.django_db


def signed_off(**fields):
    """An assessment signed off, as the review form's "Sign off" saves it."""
    return AssessmentFactory(signed_off_at=timezone.now(), **fields)


def unsigned(options):
    booking = BookingFactory()
    return assessed(booking, booking.practitioner.user, recommendations=options)


def counts() -> dict:
    return {
        (row.day, row.option): row.count for row in RecommendationDay.objects.filter(count__gt=0)
    }


def made_at(assessment, moment):
    Assessment.objects.filter(pk=assessment.pk).update(created_at=moment)
    return assessment


def test_counts_follow_assessments_added_changed_moved_and_deleted():
    monday = datetime(2026, 11, 30, 10, tzinfo=UTC)
    first = made_at(signed_off(recommendations=["prp", "medication"]), monday)
    second = made_at(signed_off(recommendations=["prp"]), monday + timedelta(hours=15))
    day, tuesday = date(2026, 11, 30), date(2026, 12, 1)
    assert counts() == {(day, "prp"): 1, (day, "medication"): 1, (tuesday, "prp"): 1}
    # The options changed, as the review form saves it (every column written).
    first.refresh_from_db()
    first.recommendations = ["exosomes", "prp"]
    first.save()
    assert counts() == {(day, "prp"): 1, (day, "exosomes"): 1, (tuesday, "prp"): 1}
    # A save that changes no option changes no count.
    first.rationale = "Reworded."
    first.save()
    assert counts() == {(day, "prp"): 1, (day, "exosomes"): 1, (tuesday, "prp"): 1}
    made_at(second, monday)
    assert counts() == {(day, "prp"): 2, (day, "exosomes"): 1}
    Assessment.objects.filter(pk=first.pk).delete()
    assert counts() == {(day, "prp"): 1}
    # Deleted with its booking.
    Booking.objects.filter(pk=second.booking_id).delete()
    assert counts() == {}


def test_only_the_options_written_as_words_are_counted():
    """No form writes anything but option keys; a list holding anything else (a bulk load, a
    hand edit) still saves, and only its strings count, of any length."""
    long_name = "an option named at very great length by somebody " * 3
    assessment = signed_off(recommendations=["prp", None, 7, True, {"x": 1}, long_name])
    day = assessment.created_at.astimezone(UTC).date()
    assert counts() == {(day, "prp"): 1, (day, long_name): 1}
    signed_off(recommendations={"not": "a list"})
    assert counts() == {(day, "prp"): 1, (day, long_name): 1}


def test_counts_follow_assessments_loaded_in_bulk():
    bookings = BookingFactory.create_batch(3)
    Assessment.objects.bulk_create(
        AssessmentFactory.build(
            # A draft may have no option yet; a signed-off assessment has one at least.
            signed_off_at=timezone.now() if r else None,
            booking=booking,
            author=booking.practitioner.user,
            recommendations=r,
        )
        for booking, r in zip(bookings, (["prp"], ["prp", "medication"], []), strict=True)
    )
    today = timezone.now().astimezone(UTC).date()
    assert counts() == {(today, "prp"): 2, (today, "medication"): 1}


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Kolkata", "America/New_York"])
def test_the_dashboard_counts_exactly_from_the_first_mondays_local_midnight(zone):
    """Assessments a minute either side of the chart's start, in the part-day before the first
    whole day (UTC) and on later days, counted as the assessments themselves say."""
    clinic = ZoneInfo(zone)
    now = datetime(2026, 12, 2, 15, tzinfo=clinic)  # a Wednesday
    with timezone.override(clinic):
        start = weekly_figures(now)["weeks"][0]["monday"]
        midnight = datetime.combine(start, datetime.min.time(), tzinfo=clinic)
        moments = [
            midnight - timedelta(minutes=1),  # before the chart: not counted
            midnight,
            midnight + timedelta(minutes=1),
            midnight + timedelta(hours=5, minutes=29),
            midnight + timedelta(hours=5, minutes=31),
            midnight + timedelta(days=1, hours=3),
            midnight + timedelta(days=40),
            now - timedelta(minutes=5),
        ]
        options = [["prp"], ["medication"], ["prp", "exosomes"], ["transplant"], ["prp"]]
        made = [
            made_at(signed_off(recommendations=options[n % len(options)]), moment)
            for n, moment in enumerate(moments)
        ]
        # Drafts, in the part-day read from the assessments and on a whole day: not counted.
        made_at(unsigned(["transplant"]), midnight + timedelta(minutes=2))
        made_at(unsigned(["transplant"]), midnight + timedelta(days=2))
        expected = Counter()
        for assessment, moment in zip(made, moments, strict=True):
            if moment >= midnight:
                expected.update(assessment.recommendations)
        shown = {t["name"]: t["count"] for t in weekly_figures(now)["treatments"]}
    names = {"prp": "PRP", "medication": "Medication", "exosomes": "Exosomes"}
    names["transplant"] = "Hair transplant"
    assert shown == {names[key]: count for key, count in expected.items()}


def test_a_draft_counts_only_once_signed_off_with_the_options_it_was_signed_off_with():
    monday = datetime(2026, 11, 30, 10, tzinfo=UTC)
    draft = made_at(unsigned(["transplant"]), monday)
    assert counts() == {}
    # Options tried and changed in the draft count for nothing.
    draft.refresh_from_db()
    draft.recommendations = ["prp", "medication"]
    draft.save()
    assert counts() == {}
    draft.signed_off_at = monday + timedelta(hours=2)
    draft.save()
    day = date(2026, 11, 30)
    assert counts() == {(day, "prp"): 1, (day, "medication"): 1}
    # Signed off again later (the time changes, not whether it is): counted once still.
    draft.signed_off_at = monday + timedelta(hours=3)
    draft.save()
    assert counts() == {(day, "prp"): 1, (day, "medication"): 1}
    # A draft deleted takes nothing away; a signed-off one its own counts.
    made_at(unsigned(["prp"]), monday).delete()
    assert counts() == {(day, "prp"): 1, (day, "medication"): 1}
    draft.delete()
    assert counts() == {}
