"""A plan stopped gives back the times of its visits still to come; a plan is completed only
once none is."""

import pytest
from django_tasks_db.models import DBTaskResult

from bookings.models import Booking
from tests.factories import booked_course
from treatments.services import PlanError, plan_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(treatments_setup):
    """An accepted PRP course with every session booked at the first free time."""
    return booked_course(treatments_setup["consultation"])


def visits(plan):
    return Booking.objects.filter(plan_step__plan=plan)


def cancellation_emails():
    return [
        t.args_kwargs["args"][0]
        for t in DBTaskResult.objects.filter(task_path__endswith="send_booking_emails")
        if t.args_kwargs["args"][1] == "cancelled"
    ]


def test_stopping_a_plan_cancels_its_visits_to_come_and_tells_the_patient(course):
    booked = set(visits(course).values_list("pk", flat=True))
    assert booked and course.status == "in_progress"
    stopped = plan_transition(plan=course, to="stopped", reason="Moving abroad.")
    assert stopped.status == "stopped" and stopped.visits_cancelled == len(booked)
    assert set(visits(course).values_list("status", flat=True)) == {"cancelled"}
    assert set(cancellation_emails()) == booked


def test_a_plan_with_visits_to_come_is_not_completed(course):
    with pytest.raises(PlanError, match=r"of this plan's visits are still booked, the next on"):
        plan_transition(plan=course, to="completed")
    course.refresh_from_db()
    assert course.status == "in_progress"
    assert not visits(course).exclude(status="confirmed").exists()
