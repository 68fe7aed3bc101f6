"""``RecommendationDay``, the counts of options recommended by day (UTC) that the database keeps
(migrations patients 0016 and 0018), stays true to the signed-off assessments however they are
written, and the dashboard's "recommendations by treatment" read from it counts exactly the
signed-off assessments made from the first week's Monday at midnight, local time, wherever the
clinic is.

A migration that rebuilds the assessment table on SQLite drops these triggers: these tests then
fail, and that migration must create 0018's again."""

import importlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
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
            # The last a draft: not counted.
            signed_off_at=None if n == 2 else timezone.now(),
            booking=booking,
            author=booking.practitioner.user,
            recommendations=r,
        )
        for n, (booking, r) in enumerate(
            zip(bookings, (["prp"], ["prp", "medication"], ["transplant"]), strict=True)
        )
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


def test_a_draft_signed_off_with_new_options_in_one_save_counts_those_and_unsigned_none():
    """As the review form's "Sign off" saves a draft: its last options and the sign-off in one
    write."""
    monday = datetime(2026, 11, 30, 10, tzinfo=UTC)
    draft = made_at(unsigned(["transplant"]), monday)
    draft.refresh_from_db()
    draft.recommendations = ["prp"]
    draft.signed_off_at = monday + timedelta(hours=1)
    draft.save()
    day = date(2026, 11, 30)
    assert counts() == {(day, "prp"): 1}
    # Were it ever a draft again (by hand: no page does it), its counts go with it.
    Assessment.objects.filter(pk=draft.pk).update(signed_off_at=None, recommendations=["other"])
    assert counts() == {}


def test_the_migration_counts_again_the_signed_off_and_its_reverse_every_assessment():
    migration = importlib.import_module("patients.migrations.0018_recommendations_count_signed_off")

    class Editor:
        """What the migration's functions use of a schema editor, in the test's transaction."""

        connection = connection

        @staticmethod
        def execute(statement):
            with connection.cursor() as cursor:
                cursor.execute(statement)

    monday = datetime(2026, 11, 30, 10, tzinfo=UTC)
    made_at(unsigned(["transplant"]), monday)
    made_at(signed_off(recommendations=["prp"]), monday)
    day = date(2026, 11, 30)
    migration.count_every_assessment(None, Editor)
    assert counts() == {(day, "prp"): 1, (day, "transplant"): 1}
    made_at(unsigned(["medication"]), monday)  # 0016's triggers count a draft
    assert counts() == {(day, "prp"): 1, (day, "transplant"): 1, (day, "medication"): 1}
    migration.count_signed_off(None, Editor)
    assert counts() == {(day, "prp"): 1}
    made_at(unsigned(["medication"]), monday)
    assert counts() == {(day, "prp"): 1}
