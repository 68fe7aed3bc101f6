"""The "first available" read (bookings/first_available.py, one written-out query) gives the
slot engine's answer, exactly as the pages' selector does, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import selectors
from bookings.first_available import ranked_free_practitioners
from bookings.models import Booking, TimeOff
from tests.factories import (
    BookingFactory,
    LocationFactory,
    PractitionerFactory,
    procedure_clinic,
    weekly_hours,
)

pytestmark = pytest.mark.django_db

# Monday 2 March 2026 in London (GMT); the day looked at is a week later. The spring change
# of clocks (29 March 2026) is looked at too.
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 9, tzinfo=UTC)
SPRING_DAY = datetime(2026, 3, 29, tzinfo=UTC)


def direct_ranking(setup, starts_at, by_staff=False):
    """What "first available" reads in its one query (bookings/first_available.py)."""
    return ranked_free_practitioners(
        consultation_type=setup["type"],
        location=setup["location"],
        starts_at=starts_at,
        now=NOW,
        by_staff=by_staff,
    )


def selector_ranking(setup, starts_at, by_staff=False):
    """What the pages' selector says: the slot at ``starts_at`` ranked by the fair rule."""
    day = starts_at.astimezone(setup["location"].zone).date()
    result = selectors.available_slots(
        consultation_type=setup["type"],
        location=setup["location"],
        first_day=day,
        last_day=day,
        now=NOW,
        by_staff=by_staff,
        count_per_day=True,
    )
    slot = result.slot_at(starts_at)
    return result.ranked_for(slot) if slot else []


def every_start(day):
    """Every five minutes of the day, on and off the grid, and around midnight."""
    return [day - timedelta(hours=1) + timedelta(minutes=5 * n) for n in range(26 * 12)]


def busy_clinic(setup):
    """Bookings (one cancelled), buffers, time off, shorter hours for one practitioner, and
    practitioners who do not count: inactive, elsewhere, or not offering the type."""
    location, consultation_type = setup["location"], setup["type"]
    first, second = setup["practitioners"]
    consultation_type.buffer_after_minutes = 10
    consultation_type.save()
    third = PractitionerFactory(locations=[location])
    weekly_hours(third, location, start=time(12), end=time(15, 10))
    consultation_type.practitioners.add(third)
    inactive = PractitionerFactory(locations=[location], is_active=False)
    weekly_hours(inactive, location)
    consultation_type.practitioners.add(inactive)
    elsewhere = PractitionerFactory(locations=[LocationFactory()])
    consultation_type.practitioners.add(elsewhere)
    not_offering = PractitionerFactory(locations=[location])
    weekly_hours(not_offering, location)
    for day in (DAY, SPRING_DAY):
        for practitioner, hour, minute in ((first, 9, 0), (first, 10, 5), (second, 13, 30)):
            start = day.replace(hour=hour, minute=minute)
            BookingFactory(
                practitioner=practitioner,
                location=location,
                consultation_type=consultation_type,
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                blocked_until=start + timedelta(minutes=40),
            )
        cancelled = BookingFactory(
            practitioner=second,
            location=location,
            consultation_type=consultation_type,
            starts_at=day.replace(hour=11),
            ends_at=day.replace(hour=11, minute=30),
        )
        Booking.objects.filter(pk=cancelled.pk).update(status=Booking.Status.CANCELLED)
        TimeOff.objects.create(
            practitioner=second, starts_at=day.replace(hour=15), ends_at=day.replace(hour=16)
        )


@pytest.mark.parametrize("day", [DAY, SPRING_DAY], ids=["winter", "clocks-change"])
@pytest.mark.parametrize("by_staff", [False, True], ids=["online", "staff"])
def test_the_ranking_is_the_selectors_at_every_start_of_the_day(clinic_setup, day, by_staff):
    busy_clinic(clinic_setup)
    offered = 0
    for start in every_start(day):
        expected = selector_ranking(clinic_setup, start, by_staff)
        offered += bool(expected)
        assert direct_ranking(clinic_setup, start, by_staff) == expected, start
    assert offered > 20


def test_the_fair_rule_puts_the_least_booked_first(clinic_setup):
    busy_clinic(clinic_setup)
    first, second = clinic_setup["practitioners"]
    # 16:30: both free; ``first`` holds two bookings that day, ``second`` one.
    ranking = direct_ranking(clinic_setup, DAY.replace(hour=16, minute=15))
    assert ranking == [second.pk, first.pk]


def test_a_time_outside_the_notice_or_the_horizon_is_not_offered(clinic_setup):
    for start in (NOW + timedelta(hours=1), NOW + timedelta(days=400)):
        assert selector_ranking(clinic_setup, start) == []
        assert direct_ranking(clinic_setup, start) == []


def test_the_read_is_one_query_for_a_consultation(clinic_setup):
    busy_clinic(clinic_setup)
    with CaptureQueriesContext(connection) as queries:
        direct_ranking(clinic_setup, DAY.replace(hour=16))
    assert len(queries) == 1


def test_a_procedure_is_ranked_only_where_its_room_is_free(db):
    location, staff, (room,), procedure = procedure_clinic(practitioners=2)
    setup = {"location": location, "type": procedure, "practitioners": staff}
    start = DAY.replace(hour=10)
    BookingFactory(
        practitioner=staff[0],
        location=location,
        consultation_type=procedure,
        starts_at=DAY.replace(hour=14),
        ends_at=DAY.replace(hour=15),
        blocked_until=DAY.replace(hour=15, minute=15),
    ).holds.create(
        resource=room, held_from=DAY.replace(hour=14), held_until=DAY.replace(hour=15, minute=15)
    )
    for moment in (start, DAY.replace(hour=14), DAY.replace(hour=15, minute=15)):
        assert ranked_free_practitioners(
            consultation_type=procedure, location=location, starts_at=moment, now=NOW
        ) == selector_ranking(setup, moment), moment
    assert selector_ranking(setup, start) and not selector_ranking(setup, DAY.replace(hour=14))
