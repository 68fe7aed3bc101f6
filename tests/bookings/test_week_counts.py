"""The counts of ended weeks the staff chart keeps: kept once counted, forgotten by the database
when one of the week's bookings changes, and never kept while a change is on its way."""

import importlib
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings import week_counts
from bookings.models import Booking, BookingWeekCount
from bookings.week_counts import keep_weeks
from staff.charts import WEEKS, weekly_figures
from tests.factories import BookingFactory, PatientFactory, bookable_clinic, make_booking


def weeks_ago(count, hour=12):
    """Tuesday at ``hour``, ``count`` weeks before this one, in the clinic's time."""
    local = timezone.localtime()
    monday = local - timedelta(days=local.weekday(), weeks=count)
    return (monday + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


def shown(week_index):
    week = weekly_figures(timezone.now())["weeks"][week_index]
    return week["bookings"], week["no_shows"]


def kept_week(moment):
    return BookingWeekCount.objects.get(week_start__lte=moment, week_end__gt=moment)


@pytest.mark.django_db
def test_ended_weeks_are_kept_once_counted_and_this_week_is_not(clinic_setup):
    make_booking(clinic_setup, weeks_ago(2, hour=10))
    make_booking(clinic_setup, weeks_ago(2, hour=11), status="no_show")
    make_booking(clinic_setup, weeks_ago(2, hour=12), status="cancelled")
    make_booking(clinic_setup, weeks_ago(0))

    assert shown(-3) == (2, 1)
    # Every ended week of the chart is kept, this week is not.
    assert BookingWeekCount.objects.count() == WEEKS - 1
    two_weeks_ago = kept_week(weeks_ago(2))
    assert (two_weeks_ago.bookings, two_weeks_ago.no_shows) == (2, 1)
    assert not BookingWeekCount.objects.filter(week_end__gt=timezone.now()).exists()
    # Read from what was kept: a count written there by hand is what the chart shows.
    BookingWeekCount.objects.filter(pk=two_weeks_ago.pk).update(bookings=40)
    assert shown(-3) == (40, 1)
    assert shown(-1) == (1, 0)


@pytest.mark.django_db
def test_any_change_to_a_booking_of_an_ended_week_makes_it_counted_again(clinic_setup):
    """Marked a no-show, cancelled, moved into another week, added, deleted: by the ORM or
    in bulk, the database forgets the week's counts, and the chart counts it again."""
    late = make_booking(clinic_setup, weeks_ago(3, hour=10))
    other = make_booking(clinic_setup, weeks_ago(3, hour=11))
    assert shown(-4) == (2, 0)

    Booking.objects.filter(pk=late.pk).update(status="no_show")
    assert not BookingWeekCount.objects.filter(
        week_start__lte=weeks_ago(3), week_end__gt=weeks_ago(3)
    ).exists()
    assert shown(-4) == (2, 1)

    other.status = "cancelled"
    other.save()
    assert shown(-4) == (1, 1)

    # Moved a week later: both weeks change.
    week = timedelta(days=7)
    Booking.objects.filter(pk=late.pk).update(
        **{
            name: F(name) + week
            for name in ("starts_at", "ends_at", "blocked_from", "blocked_until")
        }
    )
    assert (shown(-4), shown(-3)) == ((0, 0), (1, 1))

    make_booking(clinic_setup, weeks_ago(2, hour=14))
    assert shown(-3) == (2, 1)
    Booking.objects.filter(pk=late.pk).delete()
    assert shown(-3) == (1, 0)
    # A save that changes neither status nor time (a check-in's) leaves the kept counts alone.
    kept = kept_week(weeks_ago(2)).pk
    checked_in = Booking.objects.get(starts_at=weeks_ago(2, hour=14))
    checked_in.checked_in_at = weeks_ago(2, hour=14)
    checked_in.save()
    assert kept_week(weeks_ago(2)).pk == kept


@pytest.mark.race
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite: one write lock for every transaction"
)
@pytest.mark.django_db(transaction=True)
def test_counts_are_not_kept_while_a_change_is_on_its_way():
    """A no-show being marked in another connection, not yet committed: the chart counts the
    week without it and keeps nothing; committed, the next view counts and keeps it."""
    location, staff, consultation_type = bookable_clinic()
    booking = BookingFactory(
        patient=PatientFactory(),
        practitioner=staff[0],
        consultation_type=consultation_type,
        location=location,
        starts_at=weeks_ago(1),
    )
    week = (weeks_ago(1) - timedelta(days=1)).replace(hour=0)
    changed, release, done = threading.Event(), threading.Event(), threading.Event()

    def mark_no_show():
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(
                    "UPDATE bookings_booking SET status = 'no_show' WHERE id = %s", [booking.pk]
                )
                changed.set()
                release.wait(10)
                cursor.execute("COMMIT")
        finally:
            other.close()
            done.set()

    worker = threading.Thread(target=mark_no_show)
    worker.start()
    assert changed.wait(10)
    try:
        assert shown(-2) == (1, 0)  # the change is not committed: not seen
        assert not keep_weeks([(week, week + timedelta(days=7))])
        assert not BookingWeekCount.objects.filter(week_start=week).exists()
    finally:
        release.set()
        worker.join(10)
    assert done.is_set()
    assert shown(-2) == (1, 1)
    kept = BookingWeekCount.objects.get(week_start=week)
    assert (kept.bookings, kept.no_shows) == (1, 1)


@pytest.mark.django_db
def test_the_day_list_counts_a_changed_week_again_once(clinic_setup, clinic_admin):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert clinic_admin.get(reverse("staff:home")).status_code == 200
        return len(captured)

    booking = make_booking(clinic_setup, weeks_ago(4))
    queries()
    steady = queries()
    Booking.objects.filter(pk=booking.pk).update(status="no_show")
    # Its week counted, then kept in a transaction of its own: the lock (PostgreSQL), the
    # savepoint (inside the test's transaction), the counts, the savepoint's release.
    assert queries() == steady + (4 if connection.vendor == "postgresql" else 3)
    assert kept_week(weeks_ago(4)).no_shows == 1
    assert queries() == steady


@pytest.mark.django_db
def test_the_triggers_are_in_the_database():
    """A later migration that rebuilds the booking table on SQLite drops its triggers: it must
    make them again (migration bookings 0031, ``SQLITE``)."""
    migration = importlib.import_module("bookings.migrations.0031_week_counts")
    assert migration.LOCK_SPACE == week_counts.LOCK_SPACE
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'bookings_booking'::regclass "
                "AND NOT tgisinternal"
            )
            wanted = {"booking_week_counts_forget", "booking_week_counts_forget_change"}
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'bookings_booking'"
            )
            wanted = {
                "booking_week_counts_forget_insert",
                "booking_week_counts_forget_delete",
                "booking_week_counts_forget_change",
            }
        assert wanted <= {name for (name,) in cursor.fetchall()}
