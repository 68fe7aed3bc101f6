"""A course booked in one go against a consultation booked at the same moment for one of its
times, with real threads and their own connections: never an overlap, the loser told why, and
a refused course leaves nothing booked."""

from itertools import pairwise

import pytest
from django.utils import timezone

from bookings.models import Booking
from bookings.services import BookingError, booking_create
from tests.factories import (
    PatientFactory,
    accepted_plan,
    all_at_once,
    completed_consultation,
    treatment_clinic,
)
from treatments import picking, selectors
from treatments.models import Plan
from treatments.services import PlanError, course_book

pytestmark = pytest.mark.race
ROUNDS = 3


def assert_no_overlap(practitioner):
    bookings = list(
        Booking.objects.active().filter(practitioner=practitioner).order_by("blocked_from")
    )
    for earlier, later in pairwise(bookings):
        assert earlier.blocked_until <= later.blocked_from, (earlier, later)


def test_a_course_and_a_consultation_racing_for_one_time_never_overlap(transactional_db):
    location, (practitioner,), consultation_type = treatment_clinic(practitioners=1)
    for round_number in range(ROUNDS):
        consultation = completed_consultation(
            location, practitioner, consultation_type, days_ago=2 + round_number
        )
        plan = accepted_plan(consultation)
        proposal = selectors.course_proposal(plan)
        choices = {step.order: (offer.start, who) for step, offer, who in proposal.choices}
        contested = choices[2][0]
        other = PatientFactory()

        def fire(index, _, plan=plan, choices=choices, contested=contested, other=other):
            if index == 0:
                return course_book(plan=plan, choices=choices)
            return booking_create(
                patient=other,
                consultation_type=consultation_type,
                location=location,
                starts_at=contested,
                practitioner=practitioner,
                notify=False,
            )

        course, single = all_at_once(2, fire)
        if isinstance(course, PlanError):
            assert isinstance(single, Booking), single
            assert "PRP session 2" in course.message and "Nothing was booked" in course.message
            assert not plan.steps.filter(booking__isnull=False).exists()
        else:
            assert isinstance(course, list) and len(course) == 6, course
            assert isinstance(single, BookingError), single
            assert "just been taken" in single.message
        assert_no_overlap(practitioner)


def test_two_people_picking_the_same_session_at_once_book_it_once(transactional_db):
    """The patient on their link and reception on the phone pick session 1 at the same moment,
    at two different times: one booking, and the other told the session is booked."""
    location, (practitioner,), consultation_type = treatment_clinic(practitioners=1)
    for round_number in range(ROUNDS):
        consultation = completed_consultation(
            location, practitioner, consultation_type, days_ago=2 + round_number
        )
        plan = accepted_plan(consultation)
        loaded = selectors.plan_with_steps(Plan.objects.filter(pk=plan.pk)).get()
        step = loaded.steps.all()[0]
        window = picking.pick_window(loaded, step)
        slots = picking.session_offers(
            loaded, step, window, window.earliest, window.latest, now=timezone.now()
        ).slots
        times = [slots[0].start, slots[5].start]

        def fire(index, _, plan=plan, times=times):
            return picking.session_pick(
                plan=plan, step_order=1, starts_at=times[index], by_staff=index == 1
            )

        outcomes = all_at_once(2, fire)
        booked = [o for o in outcomes if isinstance(o, Booking)]
        refused = [o for o in outcomes if isinstance(o, PlanError)]
        assert len(booked) == 1 and len(refused) == 1, outcomes
        assert "already booked" in refused[0].message
        assert plan.steps.get(order=1).booking == booked[0]
        sessions = Booking.objects.filter(
            patient=plan.patient, consultation_type=step.consultation_type
        )
        assert sessions.exclude(status=Booking.Status.CANCELLED).count() == 1
        assert_no_overlap(practitioner)
