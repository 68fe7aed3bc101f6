"""Picking each session's time one by one (the patient through their plan's link): only times
inside the step's window as the sessions before it stand, booked through booking_create, and a
time that breaks the window refused with the nearest free times that keep it."""

from datetime import timedelta

import pytest
from django.urls import reverse

from bookings import selectors as booking_selectors
from bookings.drafts import format_start
from bookings.models import Booking
from tests.factories import accepted_plan, proposed_plan
from treatments import picking, selectors
from treatments.models import Plan
from treatments.services import PlanError

pytestmark = pytest.mark.django_db


def fresh(plan):
    return selectors.plan_with_steps(Plan.objects.filter(pk=plan.pk)).get()


def window_of(plan, order):
    plan = fresh(plan)
    return picking.pick_window(plan, next(s for s in plan.steps.all() if s.order == order))


def free_times(plan, order, window):
    plan = fresh(plan)
    step = next(s for s in plan.steps.all() if s.order == order)
    return picking.session_offers(
        plan, step, window, window.earliest, window.latest, now=plan.updated_at
    ).slots


def pick_url(plan, order):
    return reverse("treatments:pick", args=[plan.consultation.token, order])


@pytest.fixture
def plan(treatments_setup):
    return accepted_plan(treatments_setup["consultation"])


def test_each_session_is_picked_inside_its_window_counted_from_the_one_before(plan):
    first_window = window_of(plan, 1)
    first = free_times(plan, 1, first_window)[3]
    booking = picking.session_pick(plan=plan, step_order=1, starts_at=first.start)
    assert booking.starts_at == first.start and booking.status == Booking.Status.CONFIRMED
    assert booking.practitioner_id == plan.practitioner_id  # the plan's own, being free
    plan.refresh_from_db()
    assert plan.status == Plan.Status.IN_PROGRESS
    step = plan.steps.get(order=1)
    assert step.booking == booking and step.status == "booked"
    # Session 2's window now counts from the day session 1 was booked on.
    day = first.start.astimezone(plan.location.zone).date()
    second_window = window_of(plan, 2)
    rule = plan.steps.get(order=2)
    assert second_window.earliest == day + timedelta(days=rule.min_days_after)
    assert second_window.latest == day + timedelta(days=rule.max_days_after)


def test_a_later_session_waits_for_the_one_before_it(plan):
    with pytest.raises(PlanError, match="Choose a time for PRP session 1 first"):
        window_of(plan, 2)


def test_a_proposed_plan_books_no_visit(treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    with pytest.raises(PlanError, match="once the plan is accepted"):
        window_of(plan, 1)


def test_the_times_offered_all_keep_the_window(plan):
    window = window_of(plan, 1)
    zone = plan.location.zone
    plan_ = fresh(plan)
    step = plan_.steps.all()[0]
    # Asked for far more days than the window holds, it still offers only the window's.
    offers = picking.session_offers(
        plan_,
        step,
        window,
        window.earliest - timedelta(days=30),
        window.latest + timedelta(days=30),
        now=plan.updated_at,
    ).slots
    assert offers
    assert all(window.holds(slot.start.astimezone(zone).date()) for slot in offers)


def test_a_time_outside_the_window_is_refused_with_the_nearest_free_times_inside(plan):
    window = window_of(plan, 1)
    free = free_times(plan, 1, window)
    wanted = free[-1].start + timedelta(days=3)  # three days after the window's last free time
    with pytest.raises(PlanError, match="must be between") as refused:
        picking.session_pick(plan=plan, step_order=1, starts_at=wanted)
    nearest = refused.value.nearest
    # The three free times nearest the one asked for, all inside the window, soonest first.
    expected = sorted(sorted((s.start for s in free), key=lambda s: abs(s - wanted))[:3])
    assert nearest == expected
    assert all(window.holds(s.astimezone(plan.location.zone).date()) for s in nearest)
    assert not Booking.objects.filter(patient=plan.patient, starts_at=wanted).exists()
    assert plan.steps.get(order=1).booking is None


def test_the_patient_picks_a_session_through_the_link(client, plan):
    token = plan.consultation.token
    page = client.get(reverse("treatments:plan", args=[token])).content.decode()
    assert pick_url(plan, 1) in page and pick_url(plan, 2) not in page  # session 2 waits
    week = client.get(pick_url(plan, 1))
    assert week.status_code == 200 and "Every time shown keeps it" in week.content.decode()
    start = free_times(plan, 1, window_of(plan, 1))[0].start
    confirm = client.get(pick_url(plan, 1), {"start": format_start(start)}).content.decode()
    assert "Book this time" in confirm and plan.practitioner.display_name in confirm
    response = client.post(
        pick_url(plan, 1), {"start": format_start(start), "who": str(plan.practitioner_id)}
    )
    assert response.status_code == 302
    assert plan.steps.get(order=1).booking.starts_at == start
    # Then session 2 can be chosen, and session 1 is no longer "to pick".
    page = client.get(reverse("treatments:plan", args=[token])).content.decode()
    assert pick_url(plan, 2) in page and pick_url(plan, 1) not in page
    assert client.get(pick_url(plan, 1)).status_code == 302  # booked: move it instead


def test_a_time_sent_outside_the_window_gets_the_nearest_ones_in_the_page(client, plan):
    window = window_of(plan, 1)
    free = free_times(plan, 1, window)
    wanted = free[-1].start + timedelta(days=3)
    response = client.post(
        pick_url(plan, 1), {"start": format_start(wanted), "who": str(plan.practitioner_id)}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "must be between" in page and "The nearest free times that keep" in page
    assert f"?start={format_start(free[-1].start)}" in page
    assert plan.steps.get(order=1).booking is None
    # A time sent by GET outside the window is not offered for booking either.
    confirm = client.get(pick_url(plan, 1), {"start": format_start(wanted)}).content.decode()
    assert "Book this time" not in confirm and "not free inside its window" in confirm


def test_a_mangled_pick_books_nothing(client, plan):
    response = client.post(pick_url(plan, 1), {"start": "nonsense", "who": "x"})
    assert response.status_code == 302
    assert not Booking.objects.filter(patient=plan.patient).exclude(pk=plan.consultation_id)


@pytest.mark.parametrize(
    "protocols", [("PRP course",), ("PRP course", "Medication with check-ins")]
)
def test_the_pick_pages_cost_the_same_queries_whatever_the_plan_holds(
    client, treatments_setup, django_assert_num_queries, protocols
):
    plan = accepted_plan(treatments_setup["consultation"], *protocols)
    client.get(pick_url(plan, 1))  # the session and rate-limit counters settle
    with django_assert_num_queries(12):
        assert client.get(pick_url(plan, 1)).status_code == 200
    start = free_times(plan, 1, window_of(plan, 1))[0].start
    with django_assert_num_queries(12):
        assert client.get(pick_url(plan, 1), {"start": format_start(start)}).status_code == 200


def test_the_slot_engine_behind_the_picker_is_the_bookings_one(plan):
    """The picker's times are exactly the slot engine's inside the window: nothing invented."""
    window = window_of(plan, 1)
    step = fresh(plan).steps.all()[0]
    engine = booking_selectors.available_slots(
        consultation_type=step.consultation_type,
        location=plan.location,
        first_day=window.earliest,
        last_day=window.latest,
        now=plan.updated_at,
    ).slots
    assert [s.start for s in free_times(plan, 1, window)] == [s.start for s in engine]
