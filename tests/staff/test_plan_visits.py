"""Booking a plan's visits one by one from the staff side: reception with the patient on the
phone sees the visits and their windows (not the plan's clinical content), is offered only
times inside the window, and books through the same rules; reads audited; queries fixed."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from bookings.drafts import format_start
from clinic.models import ClinicalRead
from clinic.roles import PRACTITIONER
from tests.factories import (
    PractitionerFactory,
    accepted_plan,
    proposed_plan,
    sign_in_with_second_factor,
)
from treatments import picking, selectors, windows
from treatments.models import Plan
from treatments.services import course_book, plan_accept

pytestmark = pytest.mark.django_db
HOSTILE = '<img src=x onerror="alert(1)">'


def visits_url(plan, order=None):
    if order is None:
        return reverse("staff:plan_visits", args=[plan.pk])
    return reverse("staff:plan_visit", args=[plan.pk, order])


def first_window_times(plan):
    plan = selectors.plan_with_steps(Plan.objects.filter(pk=plan.pk)).get()
    step = plan.steps.all()[0]
    window = picking.pick_window(plan, step)
    slots = picking.session_offers(
        plan, step, window, window.earliest, window.latest, plan.updated_at, by_staff=True
    ).slots
    return window, slots


@pytest.fixture
def plan(treatments_setup):
    proposed = proposed_plan(treatments_setup["consultation"], note=f"Private {HOSTILE}")
    return plan_accept(
        plan=proposed, signed_name=proposed.patient.full_name, ip_address="127.0.0.1"
    )


def test_reception_books_a_visit_by_phone_inside_its_window(reception, plan):
    patient_page = reception.get(reverse("staff:patient", args=[plan.patient_id])).content
    assert visits_url(plan).encode() in patient_page
    plan_page = f'href="{reverse("staff:plan", args=[plan.pk])}"'
    assert plan_page.encode() not in patient_page  # the plan itself is clinical
    page = reception.get(visits_url(plan))
    html = page.content.decode()
    assert page.status_code == 200
    assert "PRP session 1" in html and "Review at 6 months" in html
    # The first visit to book is open at once, with its times; the plan's note is not shown.
    assert "every time shown keeps the window" in html
    assert "Private" not in html and HOSTILE not in html
    _, slots = first_window_times(plan)
    start = slots[2].start
    confirm = reception.get(visits_url(plan, 1), {"start": format_start(start)}).content.decode()
    assert "Book PRP session 1" in confirm and plan.practitioner.display_name in confirm
    response = reception.post(
        visits_url(plan, 1), {"start": format_start(start), "who": str(plan.practitioner_id)}
    )
    assert response.status_code == 302 and response["Location"] == visits_url(plan)
    booking = plan.steps.get(order=1).booking
    assert booking.starts_at == start and booking.practitioner_id == plan.practitioner_id
    # Now session 2 is the one to pick, counted from session 1's day.
    html = reception.get(visits_url(plan)).content.decode()
    assert '<h2 class="h5" id="pick-title">PRP session 2</h2>' in html
    reads = ClinicalRead.objects.filter(what="treatment plan visits", object_id=str(plan.pk))
    assert reads.count() >= 4


def test_the_list_of_visits_takes_no_post(reception, plan):
    """A time is booked for one visit (its own address); a POST to the list, a plan that
    exists or not, is refused as such rather than failing."""
    assert reception.post(visits_url(plan), {"start": "x"}).status_code == 405
    missing = reverse("staff:plan_visits", args=[plan.pk + 1000])
    assert reception.post(missing, {"start": "x"}).status_code == 405
    assert not plan.steps.filter(booking__isnull=False).exists()


def test_a_time_outside_the_window_is_refused_with_the_nearest_ones(reception, plan):
    _, slots = first_window_times(plan)
    too_late = slots[-1].start + timedelta(days=4)
    response = reception.post(
        visits_url(plan, 1), {"start": format_start(too_late), "who": str(plan.practitioner_id)}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "must be between" in html and "The nearest free times that keep the window" in html
    assert f"?start={format_start(slots[-1].start)}" in html
    assert plan.steps.get(order=1).booking is None


def test_a_later_visit_waits_for_the_one_before(reception, plan):
    html = reception.get(visits_url(plan, 2)).content.decode()
    assert "Choose a time for PRP session 1 first" in html
    assert "Book PRP session 2" not in html


def test_a_practitioner_books_only_the_visits_of_their_own_plans(client, roles, plan):
    stranger = PractitionerFactory(locations=[plan.location])
    stranger.user.groups.add(roles[PRACTITIONER])
    sign_in_with_second_factor(client, stranger.user)
    assert client.get(visits_url(plan)).status_code == 404
    own = Client()
    plan.practitioner.user.groups.add(roles[PRACTITIONER])
    sign_in_with_second_factor(own, plan.practitioner.user)
    assert own.get(visits_url(plan)).status_code == 200
    assert visits_url(plan, 1).encode() in own.get(reverse("staff:plan", args=[plan.pk])).content


@pytest.mark.parametrize(
    "protocols", [("PRP course",), ("PRP course", "Medication with check-ins")]
)
def test_the_visits_page_costs_the_same_queries_whatever_the_plan_holds(
    reception, treatments_setup, django_assert_num_queries, protocols
):
    plan = accepted_plan(treatments_setup["consultation"], *protocols)
    reception.get(visits_url(plan))
    with django_assert_num_queries(14):
        assert reception.get(visits_url(plan)).status_code == 200
    _, slots = first_window_times(plan)
    with django_assert_num_queries(14):
        url = visits_url(plan, 1)
        assert reception.get(url, {"start": format_start(slots[0].start)}).status_code == 200


def test_hostile_names_show_escaped_on_the_visits_page(reception, plan):
    patient = plan.patient
    patient.first_name = HOSTILE
    patient.save()
    html = reception.get(visits_url(plan)).content.decode()
    assert HOSTILE not in html and "&lt;img src=x onerror=" in html


@pytest.fixture
def course(plan):
    """The plan with every visit booked at the first free time."""
    proposal = selectors.course_proposal(plan)
    course_book(plan=plan, choices={s.order: (o.start, who) for s, o, who in proposal.choices})
    return plan


def move_form(booking, starts_at, **extra):
    return {
        "practitioner": str(booking.practitioner_id),
        "day": starts_at.date().isoformat(),
        "start": format_start(starts_at),
        **extra,
    }


def test_staff_moving_a_plan_session_keep_its_window_or_get_the_nearest_times(reception, course):
    """The diary's own move goes through the plan's move for a plan session."""
    second = course.steps.get(order=2).booking
    too_soon = course.steps.get(order=1).booking.starts_at + timedelta(days=7)
    url = reverse("staff:reschedule", args=[second.pk])
    page = reception.get(url).content.decode()
    assert "PRP session 2 of a treatment plan: to keep the time between visits" in page
    response = reception.post(url, move_form(second, too_soon))
    assert response.status_code == 409
    html = response.content.decode()
    assert "PRP session 2 must stay between" in html and "Nearest free times:" in html
    second.refresh_from_db()
    assert second.starts_at != too_soon


def test_the_move_page_offers_a_plan_session_only_days_inside_its_window(reception, course):
    second = course.steps.get(order=2).booking
    url = reverse("staff:reschedule", args=[second.pk])
    window = reception.get(url).context["plan_step"].window
    outside = window.latest + timedelta(days=3)
    page = reception.get(url, {"day": outside.isoformat()})
    assert "This day is outside the visit's window" in page.content.decode()
    assert page.context["slots"] == []
    inside = reception.get(url, {"day": second.starts_at.date().isoformat()})
    assert inside.context["slots"] and not inside.context["outside_window"]


def test_staff_moving_session_2_shift_session_3_once_confirmed(reception, course):
    second, third = (course.steps.get(order=n).booking for n in (2, 3))
    third_was = third.starts_at
    target = second.starts_at + timedelta(days=14)
    url = reverse("staff:reschedule", args=[second.pk])
    asked = reception.post(url, move_form(second, target))
    assert asked.status_code == 409
    html = asked.content.decode()
    assert "moves PRP session 3" in html and 'name="shift" value="yes"' in html
    second.refresh_from_db()
    assert second.starts_at != target  # nothing moved before the confirmation
    done = reception.post(url, move_form(second, target, shift="yes"))
    assert done.status_code == 302
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.starts_at == target
    steps = list(course.steps.select_related("booking"))
    days = selectors.booked_days(steps, course.location.zone)
    assert windows.broken(course.starts_on, selectors.rules_of(steps), days) == []
    assert third.starts_at != third_was  # session 3 moved along to keep its window


def test_a_stale_page_cannot_move_a_session_through_the_move_them_all_question(reception, course):
    from bookings.services import booking_reschedule

    second = course.steps.get(order=2).booking
    url = reverse("staff:reschedule", args=[second.pk])
    stale = str(second.sequence)
    # A colleague moves the session an hour later meanwhile.
    booking_reschedule(
        booking=second, starts_at=second.starts_at + timedelta(hours=1), by_staff=True
    )
    second.refresh_from_db()
    moved_to = second.starts_at
    target = second.starts_at + timedelta(days=14)
    asked = reception.post(url, move_form(second, target, sequence=stale))
    assert asked.status_code == 409 and 'name="shift" value="yes"' in asked.content.decode()
    assert f'name="sequence" value="{stale}"' in asked.content.decode()
    done = reception.post(url, move_form(second, target, shift="yes", sequence=stale))
    assert done.status_code == 409
    assert "changed while this page was open" in done.content.decode()
    second.refresh_from_db()
    assert second.starts_at == moved_to
