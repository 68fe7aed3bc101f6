"""Moving a session of a booked course: its own window is kept, later sessions that would leave
theirs are shifted once the patient agrees, and a move that breaks a window is refused with the
nearest times that keep it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from bookings import selectors as booking_selectors
from bookings.drafts import format_start
from tests.factories import booked_course
from treatments import selectors
from treatments.services import PlanError, session_move
from treatments.windows import broken
from treatments.windows import windows as windows_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(treatments_setup):
    """An accepted PRP course with every session booked at the first free time."""
    return booked_course(treatments_setup["consultation"])


def session(plan, order):
    return plan.steps.select_related("booking").get(order=order)


def windows_kept(plan):
    steps = list(plan.steps.select_related("booking"))
    days = selectors.booked_days(steps, plan.location.zone)
    return broken(plan.starts_on, selectors.rules_of(steps), days) == []


def test_moving_session_2_later_shifts_session_3_only_once_agreed(course):
    second, third = session(course, 2), session(course, 3)
    # Session 3 sits 21 days after session 2: two weeks later pushes it out of its window.
    target = second.booking.starts_at + timedelta(days=14)
    with pytest.raises(PlanError, match="there moves PRP session 3, Review") as asked:
        session_move(plan=course, step_order=2, starts_at=target)
    # Every later visit keeps its spacing from the one before, so each moves along.
    shift = asked.value.shifts[0]
    assert [s.step.order for s in asked.value.shifts] == [3, 4, 5, 6]
    assert session(course, 2).booking.starts_at == second.booking.starts_at  # nothing moved yet
    shifts = session_move(plan=course, step_order=2, starts_at=target, shift_following=True)
    assert [s.step.order for s in shifts] == [3, 4, 5, 6]
    assert session(course, 2).booking.starts_at == target
    assert session(course, 3).booking.starts_at == shift.starts_at != third.booking.starts_at
    assert windows_kept(course)


def test_a_move_that_breaks_its_own_window_is_refused_with_the_nearest_times_inside(course):
    second = session(course, 2)
    too_soon = session(course, 1).booking.starts_at + timedelta(days=7)
    with pytest.raises(PlanError) as refused:
        session_move(plan=course, step_order=2, starts_at=too_soon)
    assert "PRP session 2 must stay between" in refused.value.message
    assert "The nearest free times inside it:" in refused.value.message
    assert session(course, 2).booking.starts_at == second.booking.starts_at


def test_the_patient_moves_a_session_through_the_link(client, course):
    token = course.consultation.token
    second = session(course, 2)
    page = client.get(reverse("treatments:move", args=[token, 2])).content.decode()
    assert "must stay between" in page or "To keep the right time" in page
    target = second.booking.starts_at + timedelta(days=14)
    confirm = client.get(
        reverse("treatments:move", args=[token, 2]), {"start": format_start(target)}
    ).content.decode()
    assert "PRP session 3: from" in confirm and "Move 5 visits" in confirm
    response = client.post(
        reverse("treatments:move", args=[token, 2]),
        {"start": format_start(target), "shift": "yes"},
    )
    assert response.status_code == 302
    assert session(course, 2).booking.starts_at == target
    assert windows_kept(course)


def test_a_visit_moved_in_another_tab_is_not_moved_again_from_the_stale_page(client, course):
    move = reverse("treatments:move", args=[course.consultation.token, 2])
    second = session(course, 2)
    target = second.booking.starts_at + timedelta(days=14)
    stale = client.get(move, {"start": format_start(target)}).content.decode()
    shown = re.search(r'name="sequence" value="(\d+)"', stale).group(1)
    elsewhere = second.booking.starts_at + timedelta(days=1)
    session_move(plan=course, step_order=2, starts_at=elsewhere, shift_following=True)
    response = client.post(move, {"start": format_start(target), "shift": "yes", "sequence": shown})
    assert response.status_code == 409
    assert "was not moved again" in response.content.decode()
    assert session(course, 2).booking.starts_at == elsewhere


def test_moving_a_visit_to_the_time_it_has_changes_nothing_and_says_so(
    client, course, django_capture_on_commit_callbacks
):
    """The confirmation page again (the browser's Back after a move) offers the time the visit
    now has: sent, it is not a move, and no e-mail is promised or sent."""
    move = reverse("treatments:move", args=[course.consultation.token, 2])
    second = session(course, 2)
    at = second.booking.starts_at
    page = client.get(move, {"start": format_start(at)}).content.decode()
    shown = re.search(r'name="sequence" value="(\d+)"', page).group(1)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            move, {"start": format_start(at), "shift": "yes", "sequence": shown}, follow=True
        )
    html = response.content.decode()
    assert "PRP session 2 is booked for" in html and "already: nothing was changed" in html
    assert "Moved:" not in html and not queued
    booking = session(course, 2).booking
    assert booking.starts_at == at and booking.sequence == second.booking.sequence


def test_the_move_page_offers_only_times_inside_the_window(client, course):
    token = course.consultation.token
    view = {
        v.step.order: v.window
        for v in selectors.step_views(course, course.starts_on)  # today's date is irrelevant
    }[2]
    response = client.get(reverse("treatments:move", args=[token, 2]), {"day": "2000-01-01"})
    days = response.context["week"]
    assert days and all(view.holds(free.day) for free in days)


def test_a_session_does_not_move_through_its_booking_link_only_through_the_plan(client, course):
    """The booking's own page knows nothing of windows: it sends the patient to the plan."""
    second = session(course, 2)
    token = second.booking.token
    manage = client.get(reverse("bookings:manage", args=[token])).content.decode()
    assert reverse("bookings:reschedule", args=[token]) not in manage
    assert reverse("treatments:plan", args=[token]) in manage
    too_soon = session(course, 1).booking.starts_at + timedelta(days=7)
    move = reverse("bookings:reschedule", args=[token])
    for response in (
        client.get(move),
        client.get(move, {"start": format_start(too_soon)}),
        client.post(move, {"start": format_start(too_soon)}),
    ):
        assert response.status_code == 302
        assert response["Location"] == reverse("bookings:manage", args=[token])
    assert session(course, 2).booking.starts_at == second.booking.starts_at
    assert windows_kept(course)
    # The session's link opens its plan, where the move keeps every window.
    plan_page = client.get(reverse("treatments:plan", args=[token]), follow=True)
    assert plan_page.status_code == 200
    assert reverse("treatments:move", args=[token, 2]) in plan_page.content.decode()
    moved = client.get(
        reverse("treatments:move", args=[token, 2]), {"start": format_start(too_soon)}
    )
    assert moved.status_code == 200 and "must stay between" in moved.content.decode()


def _free_in(step, window, now=None):
    """Every free time of ``step``'s practitioner inside ``window``, its own booking left out:
    what a move may choose from, straight from the slot engine."""
    zone = step.plan.location.zone
    slots = booking_selectors.available_slots(
        consultation_type=step.consultation_type,
        location=step.plan.location,
        first_day=window.earliest,
        last_day=window.latest,
        practitioner=step.booking.practitioner,
        now=now,
        exclude_booking_id=step.booking_id,
    ).slots
    return [s.start for s in slots if window.holds(s.start.astimezone(zone).date())]


def test_the_refused_move_offers_exactly_the_nearest_free_times_that_keep_the_window(course):
    second = session(course, 2)
    too_soon = session(course, 1).booking.starts_at + timedelta(days=7)
    with pytest.raises(PlanError) as refused:
        session_move(plan=course, step_order=2, starts_at=too_soon)
    steps = list(course.steps.select_related("booking"))
    days = selectors.booked_days(steps, course.location.zone)
    window = windows_of(course.starts_on, selectors.rules_of(steps), days)[2]
    free = _free_in(second, window)
    expected = sorted(sorted(free, key=lambda start: abs(start - too_soon))[:3])
    assert refused.value.nearest == expected and len(expected) == 3
    # They are the earliest of the window (the time asked for lies before it), and each one
    # is then accepted by the move itself.
    assert expected == free[:3]
    session_move(plan=course, step_order=2, starts_at=expected[0], shift_following=True)
    assert session(course, 2).booking.starts_at == expected[0]
    assert windows_kept(course)


def test_the_refusal_page_offers_the_nearest_times_as_links(client, course):
    token = course.consultation.token
    too_soon = session(course, 1).booking.starts_at + timedelta(days=7)
    with pytest.raises(PlanError) as refused:
        session_move(plan=course, step_order=2, starts_at=too_soon)
    page = client.get(
        reverse("treatments:move", args=[token, 2]), {"start": format_start(too_soon)}
    ).content.decode()
    assert "must stay between" in page and "Move it" not in page
    for start in refused.value.nearest:
        assert f"?start={format_start(start)}" in page


def test_moving_session_2_offers_to_shift_session_3_to_its_nearest_free_time_inside(course):
    second, third = session(course, 2), session(course, 3)
    target = second.booking.starts_at + timedelta(days=14)
    with pytest.raises(PlanError) as asked:
        session_move(plan=course, step_order=2, starts_at=target)
    shift = asked.value.shifts[0]
    assert shift.step.order == 3
    # Session 3's new window counts from session 2's new day; the shift is the free time in it
    # nearest session 3's present time, with the same practitioner.
    steps = list(course.steps.select_related("booking"))
    days = selectors.booked_days(steps, course.location.zone)
    days[2] = target.astimezone(course.location.zone).date()
    window = windows_of(course.starts_on, selectors.rules_of(steps), days)[3]
    assert not window.holds(days[3])  # it had to move
    free = _free_in(third, window)
    nearest = min(free, key=lambda start: abs(start - third.booking.starts_at))
    assert shift.starts_at == nearest
    assert window.holds(shift.starts_at.astimezone(course.location.zone).date())


def test_a_cancelled_visit_of_the_plan_leads_back_to_the_plan_to_book_again(client, course):
    """Its booking page said 'To book again, choose a consultation', the way to a new
    consultation, not to this visit's window on the plan."""
    from bookings.services import booking_cancel
    from tests.factories import BookingFactory

    second = session(course, 2).booking
    booking_cancel(booking=second, by_staff=True, reason="Called to cancel")
    page = client.get(reverse("bookings:manage", args=[second.token])).content.decode()
    assert "Choose a new time on your plan" in page
    assert "choose a consultation" not in page  # the way to a new consultation, not this visit
    # The plan's own link: the step will name the new booking once this visit is booked again.
    plan_url = reverse("treatments:plan", args=[course.consultation.token])
    assert f'href="{plan_url}"' in page and client.get(plan_url).status_code == 200
    other = BookingFactory(status="cancelled")  # not a plan's visit
    assert (
        "on your plan"
        not in client.get(reverse("bookings:manage", args=[other.token])).content.decode()
    )
