"""Property, through the database: whatever the diary already holds (the practitioner's other
patients, the room taken by a colleague) and however the practitioner spaced the sessions, the
course proposed is bookable as proposed, and every session booked keeps its window, counted
from the days the sessions before it were actually booked on. Nothing overlaps: no
practitioner, no patient, no room.

Each example runs in a transaction rolled back at its end, on the clinic set up once for the
test (hence the function-scoped fixture's health check is off; example counts come from the
profiles in conftest.py)."""

from contextlib import suppress
from datetime import datetime, time, timedelta
from itertools import pairwise

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.models import Booking, ConsultationType, ResourceHold
from bookings.services import BookingError, booking_create
from tests.factories import (
    BookingFactory,
    PatientFactory,
    ResourceFactory,
    completed_consultation,
    protocol_steps,
    resource_hours,
    treatment_clinic,
)
from treatments import selectors, windows
from treatments.models import Plan
from treatments.services import course_book, plan_accept, plan_propose

pytestmark = pytest.mark.django_db

# What is in the diary before the course is booked: (day from tomorrow, local hour).
diary = st.lists(st.tuples(st.integers(0, 60), st.integers(9, 16)), max_size=6)
# Sessions 2 and 3: (earliest, latest) days after the session before.
spacing = st.tuples(st.integers(7, 35), st.integers(0, 21)).map(lambda t: (t[0], t[0] + t[1]))


@pytest.fixture
def room_clinic(db):
    """The treatment clinic with its one procedure room needed by every PRP session."""
    location, practitioners, consultation_type = treatment_clinic(practitioners=2)
    room = ResourceFactory(name="Procedure room", location=location)
    resource_hours(room, start=time(9), end=time(17))
    prp = ConsultationType.objects.get(slug="prp-session")
    prp.resources.add(room)
    return location, practitioners, consultation_type, prp, room


def at(location, day_offset, hour):
    """``hour`` o'clock at the location, ``day_offset`` days after tomorrow."""
    day = timezone.now().astimezone(location.zone).date() + timedelta(days=1 + day_offset)
    return datetime.combine(day, time(hour), tzinfo=location.zone)


def assert_nothing_overlaps(rows):
    rows = sorted(rows)
    for (_, earlier_end), (later_start, _) in pairwise(rows):
        assert earlier_end <= later_start, rows


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mine=diary, colleague=diary, second=spacing, third=spacing)
def test_every_course_booked_keeps_every_window(room_clinic, mine, colleague, second, third):
    location, (me, other), consultation_type, prp, room = room_clinic
    with transaction.atomic():
        # My other patients' consultations (rules bypassed: they only take my time).
        for day, hour in set(mine):
            BookingFactory(
                practitioner=me,
                consultation_type=consultation_type,
                location=location,
                starts_at=at(location, day, hour),
            )
        # A colleague's procedures in the room, booked through the rules (so the room is held).
        for day, hour in set(colleague):
            # A time that is not free is refused: the diary simply holds less.
            with suppress(BookingError):
                booking_create(
                    patient=PatientFactory(),
                    consultation_type=prp,
                    location=location,
                    starts_at=at(location, day, hour),
                    practitioner=other,
                    notify=False,
                )
        consultation = completed_consultation(location, me, consultation_type)
        plan = plan_propose(
            consultation=consultation,
            practitioner=me,
            steps=protocol_steps("PRP course", spacing={2: second, 3: third})[:3],
            starts_on=timezone.now().astimezone(location.zone).date() + timedelta(days=1),
        )
        plan = plan_accept(plan=plan, signed_name=plan.patient.full_name, ip_address=None)
        proposal = selectors.course_proposal(plan)
        choices = {s.order: (offer.start, who) for s, offer, who in proposal.choices}
        if choices:
            booked = course_book(plan=plan, choices=choices)  # bookable exactly as proposed
            assert len(booked) == len(choices)
        plan = selectors.plan_with_steps(Plan.objects.filter(pk=plan.pk)).get()
        steps = list(plan.steps.all())
        days = selectors.booked_days(steps, location.zone)
        found = windows.windows(plan.starts_on, selectors.rules_of(steps), days)
        for order, day in days.items():
            assert found[order].holds(day), (order, day, found[order])
        # A session is left to book only when the one before it is missing too, or when no
        # time inside its window was free.
        assert {s.order for s in proposal.missing} == {s.order for s in steps} - set(days)
        assert_nothing_overlaps(
            Booking.objects.active()
            .filter(practitioner=me)
            .values_list("blocked_from", "blocked_until")
        )
        assert_nothing_overlaps(
            ResourceHold.objects.filter(resource=room).values_list("held_from", "held_until")
        )
        transaction.set_rollback(True)
