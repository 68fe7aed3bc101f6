"""Choosing one session's time at a time, instead of booking the whole course at once: the
patient through their plan's link, or reception on the phone.

A session is picked inside its window as the sessions before it stand: its chain's earlier
sessions must be booked (or done, or skipped) first, since its window counts from them. The
booking itself goes through ``booking_create``, with every rule and guarantee of any booking.
A time that breaks the window (a stale page, a hand-made request) is refused with the nearest
free times that keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from bookings import selectors as booking_selectors
from bookings.models import Booking, Practitioner
from bookings.services import BookingError, booking_create, patient_lock
from clinic.times import format_local
from treatments import selectors, tasks, windows
from treatments.models import Plan, PlanStep, StepKind
from treatments.services import PlanError, lock_plan, nearest_in_window

OPEN_FOR_BOOKING = (Plan.Status.ACCEPTED, Plan.Status.IN_PROGRESS)


def is_to_book(step: PlanStep) -> bool:
    """Tell whether a step waits for a time: planned, or booked and then cancelled."""
    return step.status in (PlanStep.Status.PLANNED, PlanStep.Status.BOOKED) and not (
        selectors.is_held(step)
    )


def _known_days(steps, zone) -> dict[int, date]:
    """The days the windows count from: booked sessions, and the end of a skipped step's window
    (as the course proposal counts them)."""
    days = selectors.booked_days(steps, zone)
    for step in steps:
        if step.order not in days and step.status == PlanStep.Status.SKIPPED:
            days[step.order] = step.latest
    return days


@dataclass(frozen=True)
class Pickable:
    """A step that waits for a time, with its window, or why it cannot be picked yet."""

    step: PlanStep
    window: windows.Window
    waits_for: PlanStep | None  # an earlier session of its course still to book


def pickables(plan: Plan) -> dict[int, Pickable]:
    """Every step of ``plan`` (loaded with ``selectors.plan_with_steps``) still to book, by
    order, with its window as the steps before it stand. No query."""
    steps = list(plan.steps.all())
    found = windows.windows(
        plan.starts_on, selectors.rules_of(steps), _known_days(steps, plan.location.zone)
    )
    result = {}
    for step in steps:
        if not is_to_book(step):
            continue
        earlier = next(
            (
                s
                for s in steps
                if s.protocol_id == step.protocol_id and s.order < step.order and is_to_book(s)
            ),
            None,
        )
        result[step.order] = Pickable(step, found[step.order], earlier)
    return result


def pick_now(plan: Plan) -> set[int]:
    """The orders of the steps whose time can be picked now (their course's earlier sessions
    are booked, and the plan is accepted). No query."""
    if plan.status not in OPEN_FOR_BOOKING:
        return set()
    return {order for order, p in pickables(plan).items() if p.waits_for is None}


def pick_window(plan: Plan, step: PlanStep) -> windows.Window:
    """The window ``step`` may be booked in now; PlanError when it cannot be picked."""
    if plan.status not in OPEN_FOR_BOOKING:
        raise PlanError(
            "Visits are booked once the plan is accepted; this one is "
            f"{plan.get_status_display().lower()}."
        )
    pickable = pickables(plan).get(step.order)
    if pickable is None:
        raise PlanError(f"{step.name} is already booked: move it instead.")
    if pickable.waits_for is not None:
        raise PlanError(
            f"Choose a time for {pickable.waits_for.name} first: the time between visits "
            f"counts from it."
        )
    return pickable.window


def session_offers(
    plan: Plan,
    step: PlanStep,
    window: windows.Window,
    first_day: date,
    last_day: date,
    now: datetime,
    by_staff: bool = False,
) -> booking_selectors.Availability:
    """The free times for ``step`` over ``first_day``..``last_day``, cut to its window: the
    slot engine's own, with any practitioner who offers the procedure."""
    result = booking_selectors.available_slots(
        consultation_type=step.consultation_type,
        location=plan.location,
        first_day=max(first_day, window.earliest),
        last_day=min(last_day, window.latest),
        now=now,
        by_staff=by_staff,
    )
    zone = plan.location.zone
    result.slots = [s for s in result.slots if window.holds(s.start.astimezone(zone).date())]
    return result


def who_takes(plan: Plan, offers: booking_selectors.Availability, starts_at: datetime):
    """Who takes ``step`` at ``starts_at``: the plan's practitioner when free, else the fair
    choice among those who are; None when nobody is free then."""
    slot = offers.slot_at(starts_at)
    if slot is None:
        return None
    if plan.practitioner_id in slot.practitioner_ids:
        return offers.practitioners[plan.practitioner_id]
    return offers.practitioner_for(slot)


def refusal(message, step, window, starts_at, now, by_staff) -> PlanError:
    """A PlanError saying ``message``, with the free times inside ``window`` nearest
    ``starts_at``."""
    nearest = nearest_in_window(step, window, starts_at, now, by_staff)
    zone = step.plan.location.zone
    times = ", ".join(format_local(s.start, zone, r"D j M \a\t H:i") for s in nearest)
    return PlanError(
        message + (f" The nearest free times inside its window: {times}." if times else ""),
        nearest=[slot.start for slot in nearest],
    )


def session_pick(
    *,
    plan: Plan,
    step_order: int,
    starts_at: datetime,
    practitioner_id: int | None = None,
    now: datetime | None = None,
    by_staff: bool = False,
) -> Booking:
    """Book one session of an accepted plan at ``starts_at``, inside its window as the sessions
    before it stand and without pushing a later booked one out of its own, with
    ``practitioner_id`` (or whoever ``who_takes`` it). One transaction; PlanError otherwise,
    with the nearest free times that keep the window."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            patient_lock(plan.patient_id)
            locked = lock_plan(plan)
            plan = selectors.plan_with_steps(Plan.objects.filter(pk=locked.pk)).get()
            step = next((s for s in plan.steps.all() if s.order == step_order), None)
            if step is None:
                raise PlanError("This plan has no such visit.")
            window = pick_window(plan, step)
            zone = plan.location.zone
            day = starts_at.astimezone(zone).date()
            if not window.holds(day):
                raise refusal(
                    f"{step.name} must be between {window.earliest:%-d %B} and "
                    f"{window.latest:%-d %B %Y} to keep the time between visits.",
                    step,
                    window,
                    starts_at,
                    now,
                    by_staff,
                )
            steps = list(plan.steps.all())
            days = {**_known_days(steps, zone), step.order: day}
            pushed = [
                s
                for s in steps
                if s.order in windows.broken(plan.starts_on, selectors.rules_of(steps), days)
                and s.order != step.order
            ]
            if pushed:
                raise refusal(
                    f"{step.name} on that day would leave {pushed[0].name} outside its window.",
                    step,
                    window,
                    starts_at,
                    now,
                    by_staff,
                )
            if practitioner_id is None:
                offers = session_offers(plan, step, window, day, day, now, by_staff)
                practitioner = who_takes(plan, offers, starts_at)
            else:
                practitioner = Practitioner.objects.filter(pk=practitioner_id).first()
                if practitioner is None:
                    raise PlanError("That practitioner cannot be booked. Please choose again.")
            try:
                booking = booking_create(
                    patient=plan.patient,
                    consultation_type=step.consultation_type,
                    location=plan.location,
                    starts_at=starts_at,
                    practitioner=practitioner,
                    now=now,
                    by_staff=by_staff,
                )
            except BookingError as error:
                raise refusal(
                    f"{step.name}: {error.message}", step, window, starts_at, now, by_staff
                ) from None
            step.booking = booking
            step.status = PlanStep.Status.BOOKED
            step.earliest, step.latest = window.earliest, window.latest
            step.save()
            if step.kind in (StepKind.PROCEDURE, StepKind.TOP_UP):
                tasks.rescreen_request_on_commit(booking)
            if locked.status == Plan.Status.ACCEPTED:
                locked.status = Plan.Status.IN_PROGRESS
                locked.save()
    except BookingError as error:  # the patient's lock: an erased patient
        raise PlanError(error.message) from None
    return booking
