"""Courses booked in one go, racing with real threads and their own connections: against a
consultation booked at the same moment for one of its times, and against another course for
the one procedure room. Never an overlap, the loser told why, and a refused course leaves
nothing booked."""

from datetime import time
from itertools import pairwise

import pytest
from django.utils import timezone

from bookings.models import Booking, ConsultationType, ResourceHold
from bookings.privacy import patient_erase
from bookings.services import BookingError, booking_cancel, booking_create
from tests.factories import (
    PatientFactory,
    ResourceFactory,
    accepted_plan,
    all_at_once,
    booked_course,
    completed_consultation,
    resource_hours,
    treatment_clinic,
)
from treatments import picking, selectors
from treatments.models import Plan
from treatments.services import PlanError, course_book, plan_transition

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


def test_two_courses_racing_for_one_room_never_hold_it_twice(transactional_db):
    """Two patients of two practitioners book their PRP courses at the same moment, each on its
    own connection, and the proposals chose the same times in the clinic's one procedure room:
    one course is booked whole, the other is told which session lost the room, and books
    nothing."""
    location, practitioners, consultation_type = treatment_clinic(practitioners=2)
    room = ResourceFactory(name="Procedure room", location=location)
    resource_hours(room, start=time(8), end=time(18))
    ConsultationType.objects.get(slug="prp-session").resources.add(room)
    for round_number in range(ROUNDS):
        plans = [
            accepted_plan(
                completed_consultation(
                    location, practitioner, consultation_type, days_ago=2 + round_number
                )
            )
            for practitioner in practitioners
        ]
        courses = []
        for plan in plans:
            proposal = selectors.course_proposal(plan)
            courses.append({s.order: (o.start, who) for s, o, who in proposal.choices})
        # Both first sessions in the room at the same time, with different practitioners.
        assert courses[0][1][0] == courses[1][1][0] and courses[0][1][1] != courses[1][1][1]

        def fire(index, _, plans=plans, courses=courses):
            return course_book(plan=plans[index], choices=courses[index])

        outcomes = all_at_once(2, fire)
        won = [o for o in outcomes if isinstance(o, list)]
        lost = [o for o in outcomes if isinstance(o, PlanError)]
        assert len(won) == 1 and len(lost) == 1, outcomes
        assert len(won[0]) == 6
        message = lost[0].message
        assert "PRP session 1" in message and "procedure room is taken" in message, message
        assert "Nothing was booked" in message
        loser = plans[outcomes.index(lost[0])]
        assert not loser.steps.filter(booking__isnull=False).exists()
        holds = list(ResourceHold.objects.filter(resource=room).order_by("held_from"))
        for earlier, later in pairwise(holds):
            assert earlier.held_until <= later.held_from, (earlier, later)
        for practitioner in practitioners:
            assert_no_overlap(practitioner)


def test_a_plan_stopped_while_its_patient_is_erased_never_deadlocks(transactional_db):
    """Stopping cancels the course's bookings; the erasure locks the bookings, then the plans.
    Both take the patient first, so one waits for the other and both finish."""
    location, (practitioner,), consultation_type = treatment_clinic(practitioners=1)
    for round_number in range(ROUNDS):
        consultation = completed_consultation(
            location, practitioner, consultation_type, days_ago=2 + round_number
        )
        plan = booked_course(consultation)

        def fire(index, _, plan=plan):
            if index == 0:
                return plan_transition(plan=plan, to="stopped", reason="Moving abroad.")
            return patient_erase(patient=plan.patient)

        stopped, erased = all_at_once(2, fire)
        # The erasure stops the plan too: a stop that waited for it is refused, as the
        # patient is erased.
        assert not isinstance(erased, Exception), erased
        assert isinstance(stopped, Plan) or "has been erased" in stopped.message, stopped
        assert Plan.objects.get(pk=plan.pk).status == Plan.Status.STOPPED
        assert not Booking.objects.filter(plan_step__plan=plan, status="confirmed").exists()


def test_a_plan_stopped_while_the_patient_cancels_one_of_its_visits_stops(transactional_db):
    """The stop locks the visits to come before cancelling them: a visit the patient cancels
    at the same moment is waited for and left out, never a server error."""
    location, (practitioner,), consultation_type = treatment_clinic(practitioners=1)
    for round_number in range(ROUNDS):
        consultation = completed_consultation(
            location, practitioner, consultation_type, days_ago=2 + round_number
        )
        plan = booked_course(consultation)
        visit = plan.steps.get(order=2).booking
        count = Booking.objects.filter(plan_step__plan=plan, status="confirmed").count()

        def fire(index, _, plan=plan, visit=visit):
            if index == 0:
                return plan_transition(plan=plan, to="stopped", reason="Moving abroad.")
            return booking_cancel(booking=visit, reason="Cannot come")

        stopped, cancelled = all_at_once(2, fire)
        assert isinstance(stopped, Plan), stopped
        if isinstance(cancelled, Booking):  # the patient's cancel came first
            assert stopped.visits_cancelled == count - 1
        else:  # the stop came first: the patient is told it is cancelled already
            assert isinstance(cancelled, BookingError) and "cancelled" in cancelled.message
            assert stopped.visits_cancelled == count
        assert not Booking.objects.filter(plan_step__plan=plan, status="confirmed").exists()
