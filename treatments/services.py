"""Every write on plans: propose, accept (with the signed consent), decline, ask to talk, move
through the statuses, and book the course, all or nothing.

One transaction each; refusals raise PlanError with a message fit for a person. Locks follow the
bookings layer's order: the patient first (``patient_lock``), then the plan, then whatever
``booking_create`` locks. Every change of a plan or a step is kept in its history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from bookings import selectors as booking_selectors
from bookings.models import Booking, Practitioner
from bookings.services import (
    BookingError,
    booking_cancel,
    booking_create,
    booking_reschedule,
    patient_lock,
)
from clinic.times import format_local
from patients.models import Assessment
from treatments import ratings, selectors, tasks, windows
from treatments.models import (
    ConsentText,
    Plan,
    PlanConsent,
    PlanStep,
    ProtocolStep,
    Rescreen,
    SessionRecord,
    StepKind,
)

S = Plan.Status
# Where each status may go next. Declined, stopped and completed are the end.
TRANSITIONS = {
    S.PROPOSED: {S.ACCEPTED, S.DECLINED, S.STOPPED},
    S.ACCEPTED: {S.IN_PROGRESS, S.STOPPED},
    S.IN_PROGRESS: {S.COMPLETED, S.STOPPED},
    S.COMPLETED: set(),
    S.DECLINED: set(),
    S.STOPPED: set(),
}
NEEDS_REASON = {S.DECLINED, S.STOPPED}
OPEN_STATUSES = [S.PROPOSED, S.ACCEPTED, S.IN_PROGRESS]


class PlanError(Exception):
    """A plan rule refused the request; ``message`` is fit to show to the person."""

    def __init__(self, message: str, shifts=None, nearest=None):
        super().__init__(message)
        self.message = message
        self.shifts = shifts or []
        # For a time refused because it breaks a window: the nearest free times that keep it,
        # for the page to offer.
        self.nearest = nearest or []


class PlanAddedSince(PlanError):
    """A plan of the patient's was proposed while the page proposing this one was open."""

    def __init__(self, plan: Plan):
        super().__init__(
            f"A plan for this patient was proposed on "
            f"{format_local(plan.created_at, plan.location.zone, 'j F Y, H:i')} while this page "
            "was open (in another tab, or by a colleague), so this one was not. Check it first: "
            "propose this one too only if both should run."
        )
        self.plan = plan


@dataclass(frozen=True)
class StepChoice:
    """A protocol step as the practitioner adjusted it for this plan."""

    protocol_step: ProtocolStep
    min_days: int
    max_days: int


def plan_propose(
    *,
    consultation: Booking,
    practitioner: Practitioner,
    steps: list[StepChoice],
    starts_on: date,
    patient_note: str = "",
    now: datetime | None = None,
    newest_seen: int | None = None,
) -> Plan:
    """Propose a plan of ``steps`` (from one or several protocols) after a completed, assessed
    consultation, priced at its location; the patient is told it is ready to read.

    ``newest_seen``: the newest of the patient's open plans when the practitioner's page was drawn
    (0 for none); one open plan proposed since (the same form sent from a second tab) is
    refused with PlanAddedSince, rather than e-mail the patient a second, identical plan."""
    now = now or timezone.now()
    if not steps:
        raise PlanError("Choose at least one step for the plan.")
    if any(choice.max_days < choice.min_days for choice in steps):
        raise PlanError("Each step's latest day must be on or after its earliest day.")
    if starts_on < now.astimezone(consultation.location.zone).date():
        raise PlanError("The plan cannot start in the past.")
    with transaction.atomic():
        try:
            patient_lock(consultation.patient_id)
        except BookingError as error:
            raise PlanError(error.message) from None
        if newest_seen is not None:
            added = Plan.objects.filter(
                patient_id=consultation.patient_id, pk__gt=newest_seen, status__in=OPEN_STATUSES
            )
            if newest := added.order_by("-pk").first():
                raise PlanAddedSince(newest)
        consultation = Booking.objects.select_related("location").get(pk=consultation.pk)
        if consultation.status != Booking.Status.COMPLETED:
            raise PlanError("A plan is made after the consultation is marked completed.")
        assessment = Assessment.objects.filter(booking=consultation).first()
        if assessment is None:
            raise PlanError("Record the assessment of this consultation before making a plan.")
        if not assessment.is_complete:
            raise PlanError("Complete the assessment of this consultation before making a plan.")
        protocols = {choice.protocol_step.protocol for choice in steps}
        prices = selectors.step_prices(protocols, consultation.location)
        plan = Plan.objects.create(
            patient_id=consultation.patient_id,
            consultation=consultation,
            assessment=assessment,
            practitioner=practitioner,
            location=consultation.location,
            starts_on=starts_on,
            patient_note=patient_note.strip(),
        )
        plan.protocols.set(protocols)
        ordered = sorted(
            steps, key=lambda c: (c.protocol_step.protocol.position, c.protocol_step.order)
        )
        rules = [
            windows.StepRule(n, c.protocol_step.protocol_id, c.min_days, c.max_days)
            for n, c in enumerate(ordered, 1)
        ]
        found = windows.windows(starts_on, rules, {})
        rows = []
        for n, choice in enumerate(ordered, 1):
            step = choice.protocol_step
            price = prices.get(step.pk)
            rows.append(
                PlanStep(
                    plan=plan,
                    protocol_step=step,
                    protocol_id=step.protocol_id,
                    order=n,
                    kind=step.kind,
                    name=step.name,
                    consultation_type_id=step.consultation_type_id,
                    min_days_after=choice.min_days,
                    max_days_after=choice.max_days,
                    earliest=found[n].earliest,
                    latest=found[n].latest,
                    price=price.amount if price else None,
                    currency=price.currency if price else "",
                )
            )
        for row in rows:
            row.save()  # one by one, so that each step's history has its first row
        tasks.plan_proposed_on_commit(plan)
    return plan


def lock_plan(plan: Plan) -> Plan:
    return Plan.objects.select_for_update(of=("self",)).select_related("patient").get(pk=plan.pk)


def plan_transition(*, plan: Plan, to: str, reason: str = "", now: datetime | None = None) -> Plan:
    """Move a plan to status ``to`` if its current status allows it; declining or stopping
    needs a reason.

    A plan stopped gives back the times of its visits still to come: each is cancelled, and the
    patient e-mailed (with the calendar file that takes it out of theirs); the plan returned
    says how many (``visits_cancelled``). A plan is completed only once none is still to come.
    """
    now = now or timezone.now()
    reason = reason.strip()
    if to in NEEDS_REASON and not reason:
        raise PlanError("Give a reason: it is kept with the plan.")
    with transaction.atomic():
        # The patient first, as every write on their bookings (and the erasure) takes it: a
        # plan stopped cancels bookings, which an erasure locks before the plans.
        try:
            patient_lock(plan.patient_id)
        except BookingError as error:
            raise PlanError(error.message) from None
        locked = lock_plan(plan)
        if to == locked.status:
            raise PlanError(f"This plan is {locked.get_status_display().lower()} already.")
        if to not in TRANSITIONS[locked.status]:
            raise PlanError(
                f"This plan is {locked.get_status_display().lower()}: it cannot become "
                f"{S(to).label.lower()}."
            )
        ahead = _visits_ahead(locked, now)
        if to == S.COMPLETED and ahead:
            first = ahead[0]
            raise PlanError(
                f"{len(ahead)} of this plan's visits {'are' if len(ahead) > 1 else 'is'} still "
                f"booked, the next on "
                f"{format_local(first.starts_at, first.location.zone, 'l j F Y')}: mark the plan "
                "completed once they have taken place, or stop it, which cancels them."
            )
        locked.status = to
        if to in NEEDS_REASON:
            locked.reason = reason[:500]
        locked.save()
        if to == S.STOPPED:
            for booking in ahead:
                booking_cancel(
                    booking=booking,
                    by_staff=True,
                    reason="Treatment plan stopped",
                    now=now,
                    cancel_arrived=True,
                )
        locked.visits_cancelled = len(ahead) if to == S.STOPPED else 0
    return locked


def _visits_ahead(plan: Plan, now: datetime) -> list[Booking]:
    """The confirmed bookings of the plan's visits still to come, locked (in id order, as the
    erasure locks a patient's bookings), soonest first. One cancelled at the same moment (by
    the patient's link, or from the diary) is waited for, and then no longer among them."""
    locked = list(
        Booking.objects.select_for_update(of=("self",))
        .filter(plan_step__plan=plan, status=Booking.Status.CONFIRMED, starts_at__gt=now)
        .select_related("location", "consultation_type")
        .order_by("pk")
    )
    return sorted(locked, key=lambda booking: booking.starts_at)


def _normalised(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def plan_accept(
    *, plan: Plan, signed_name: str, ip_address: str | None, now: datetime | None = None
) -> Plan:
    """Accept a proposed plan with the procedure consent of each of its treatments, signed by
    the patient typing their full name; the exact text and version are kept with the signature."""
    now = now or timezone.now()
    with transaction.atomic():
        try:
            patient_lock(plan.patient_id)
        except BookingError as error:
            raise PlanError(error.message) from None
        locked = lock_plan(plan)
        if locked.status != S.PROPOSED:
            raise PlanError(
                f"This plan is already {locked.get_status_display().lower()}: nothing was changed."
            )
        if _normalised(signed_name) != _normalised(locked.patient.full_name):
            raise PlanError(
                "The name you typed does not match the name we hold for you. Type your first "
                "and last name as on your booking; if they have changed, please call the clinic."
            )
        for treatment in sorted({p.treatment for p in locked.protocols.all()}):
            text = ConsentText.objects.filter(treatment=treatment).first()
            if text is None:
                raise PlanError("This plan cannot be signed online yet. Please call the clinic.")
            PlanConsent.objects.create(
                plan=locked,
                consent_text=text,
                version=text.version,
                text=text.text,
                signed_name=signed_name.strip()[:200],
                signed_at=now,
                ip_address=ip_address,
            )
        locked.status = S.ACCEPTED
        locked.save()
    return locked


def plan_decline(*, plan: Plan, reason: str) -> Plan:
    """The patient declines a proposed plan, saying why (kept with the plan)."""
    return plan_transition(plan=plan, to=S.DECLINED, reason=reason)


def plan_ask_to_talk(*, plan: Plan, now: datetime | None = None) -> Plan:
    """The patient wants to talk before deciding: note it and tell the clinic by e-mail."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_plan(plan)
        if locked.status != S.PROPOSED:
            raise PlanError(f"This plan is already {locked.get_status_display().lower()}.")
        locked.talk_requested_at = now
        locked.save()
        tasks.talk_requested_on_commit(locked)
    return locked


def course_book(
    *,
    plan: Plan,
    choices: dict[int, tuple[datetime, int]],
    now: datetime | None = None,
    by_staff: bool = False,
) -> list[Booking]:
    """Book the steps still to book at the times chosen (step order -> (start, practitioner
    id)), in one transaction: every one of them or none.

    Each time must keep its step's window, counted from the days of the steps before it, and
    pass every booking rule (``booking_create``). If one is refused, nothing is booked and the
    message names that session.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            patient_lock(plan.patient_id)
            locked = lock_plan(plan)
            if locked.status not in (S.ACCEPTED, S.IN_PROGRESS):
                raise PlanError(
                    "A course is booked once the plan is accepted; this one is "
                    f"{locked.get_status_display().lower()}."
                )
            plan = selectors.plan_with_steps(Plan.objects.filter(pk=locked.pk)).get()
            zone = plan.location.zone
            steps = list(plan.steps.all())
            todo = [
                s
                for s in steps
                if s.status == PlanStep.Status.PLANNED
                or (s.status == PlanStep.Status.BOOKED and not selectors.is_held(s))
            ]
            if not todo:
                raise PlanError("Every session of this plan is already booked.")
            if not choices or not set(choices) <= {s.order for s in todo}:
                raise PlanError(
                    "The sessions to book have changed since this page was shown. "
                    "Please look at the new proposal."
                )
            days = selectors.booked_days(steps, zone)
            for step in steps:
                if step.order not in days and step not in todo:
                    days[step.order] = step.latest
            todo = [step for step in todo if step.order in choices]
            for step in todo:
                days[step.order] = choices[step.order][0].astimezone(zone).date()
            rules = selectors.rules_of(steps)
            found = windows.windows(plan.starts_on, rules, days)
            for step in todo:
                if not found[step.order].holds(days[step.order]):
                    raise PlanError(
                        f"{step.name} must be between {found[step.order].earliest:%-d %B %Y} and "
                        f"{found[step.order].latest:%-d %B %Y}: nothing was booked."
                    )
            practitioners = {
                p.pk: p
                for p in Practitioner.objects.filter(pk__in={who for _, who in choices.values()})
            }
            made = []
            for step in todo:
                starts_at, who = choices[step.order]
                if who not in practitioners:
                    raise PlanError(f"{step.name}: that practitioner cannot be booked.")
                try:
                    booking = booking_create(
                        patient=plan.patient,
                        consultation_type=step.consultation_type,
                        location=plan.location,
                        starts_at=starts_at,
                        practitioner=practitioners[who],
                        now=now,
                        by_staff=by_staff,
                    )
                except BookingError as error:
                    when = format_local(starts_at, zone, r"l j F \a\t H:i")
                    raise PlanError(
                        f"{step.name} on {when}: {error.message} Nothing was booked: please "
                        "look at the new proposal."
                    ) from None
                step.booking = booking
                step.status = PlanStep.Status.BOOKED
                step.earliest = found[step.order].earliest
                step.latest = found[step.order].latest
                step.save()
                if step.kind in (StepKind.PROCEDURE, StepKind.TOP_UP):
                    tasks.rescreen_request_on_commit(booking)
                elif step.kind in ratings.REVIEW_KINDS:
                    ratings.rating_request_on_commit(booking, now=now)
                made.append(booking)
            if locked.status == S.ACCEPTED:
                locked.status = S.IN_PROGRESS
                locked.save()
    except BookingError as error:  # the patient's lock: an erased patient
        raise PlanError(error.message) from None
    return made


@dataclass(frozen=True)
class Shift:
    """A later session that a move would push out of its window, and where it would go."""

    step: PlanStep
    starts_at: datetime  # the free time inside its new window nearest its present one


def nearest_in_window(step, window, around, now, by_staff, count=3):
    """Up to ``count`` free times of ``step``'s type inside ``window``, nearest ``around``: with
    the practitioner of its booking when it holds one (a move), else with anyone."""
    zone = step.plan.location.zone
    held = selectors.is_held(step)
    slots = booking_selectors.available_slots(
        consultation_type=step.consultation_type,
        location=step.plan.location,
        first_day=window.earliest,
        last_day=window.latest,
        practitioner=step.booking.practitioner if held else None,
        now=now,
        exclude_booking_id=step.booking_id if held else None,
        by_staff=by_staff,
    ).slots
    slots = [s for s in slots if window.holds(s.start.astimezone(zone).date())]
    return sorted(sorted(slots, key=lambda s: abs(s.start - around))[:count], key=lambda s: s.start)


def session_move_plan(
    *, plan: Plan, step: PlanStep, starts_at: datetime, now: datetime, by_staff=False
) -> list[Shift]:
    """Check moving ``step`` to ``starts_at`` against the windows, and return the later booked
    sessions of its chain that would leave theirs, each with the first free time inside its new
    window (same practitioner). Raise PlanError, naming the nearest times that keep the window,
    when the move breaks the step's own window."""
    zone = plan.location.zone
    steps = list(plan.steps.all())
    rules = selectors.rules_of(steps)
    days = selectors.booked_days(steps, zone)
    days[step.order] = starts_at.astimezone(zone).date()
    own = windows.windows(plan.starts_on, rules, days)[step.order]
    if not own.holds(days[step.order]):
        nearest = nearest_in_window(step, own, starts_at, now, by_staff)
        times = ", ".join(format_local(s.start, zone, r"D j M \a\t H:i") for s in nearest)
        raise PlanError(
            f"{step.name} must stay between {own.earliest:%-d %B} and {own.latest:%-d %B %Y} "
            "to keep its window."
            + (f" The nearest free times inside it: {times}." if times else " Please call us."),
            nearest=[slot.start for slot in nearest],
        )
    shifts = []
    later = [
        s
        for s in steps
        if s.protocol_id == step.protocol_id
        and s.order > step.order
        and selectors.is_held(s)
        and s.booking.status == Booking.Status.CONFIRMED
    ]
    for following in later:
        window = windows.windows(plan.starts_on, rules, days)[following.order]
        if window.holds(days[following.order]):
            continue
        free = nearest_in_window(following, window, following.booking.starts_at, now, by_staff, 1)
        first = free[0].start if free else None
        if first is None:
            raise PlanError(
                f"Moving {step.name} there would push {following.name} out of its window, "
                "and it has no free time inside its new one. Choose an earlier time, or call us."
            )
        shifts.append(Shift(following, first))
        days[following.order] = first.astimezone(zone).date()
    return shifts


def session_move(
    *,
    plan: Plan,
    step_order: int,
    starts_at: datetime,
    shift_following: bool = False,
    now: datetime | None = None,
    by_staff: bool = False,
    practitioner: Practitioner | None = None,
    expected_sequence: int | None = None,
) -> list[Shift]:
    """Move one booked session of a plan, keeping every window: in one transaction, the session
    (to ``practitioner`` when staff choose another) and, with ``shift_following``, the later
    sessions its move would push out of their windows. ``expected_sequence``: the session's
    booking as the person saw it (``booking_reschedule``).

    Without ``shift_following``, a move that would push a later session out is refused with
    PlanError and the shifts it would need (``error.shifts``), for the person to confirm.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            patient_lock(plan.patient_id)
            lock_plan(plan)
            plan = selectors.plan_with_steps(Plan.objects.filter(pk=plan.pk)).get()
            step = next((s for s in plan.steps.all() if s.order == step_order), None)
            if step is None or not selectors.is_held(step):
                raise PlanError("This session is not booked, so it cannot be moved.")
            shifts = session_move_plan(
                plan=plan, step=step, starts_at=starts_at, now=now, by_staff=by_staff
            )
            if shifts and not shift_following:
                raise PlanError(
                    f"Moving {step.name} there moves "
                    + ", ".join(s.step.name for s in shifts)
                    + " too, to keep the time between visits.",
                    shifts=shifts,
                )
            moves = [(step, starts_at)] + [(s.step, s.starts_at) for s in shifts]
            for moved, when in moves:
                booking_reschedule(
                    booking=moved.booking,
                    starts_at=when,
                    practitioner=practitioner if moved is step else None,
                    by_staff=by_staff,
                    now=now,
                    expected_sequence=expected_sequence if moved is step else None,
                )
            zone = plan.location.zone
            steps = list(plan.steps.all())
            days = selectors.booked_days(steps, zone)
            for moved, when in moves:
                days[moved.order] = when.astimezone(zone).date()
            found = windows.windows(plan.starts_on, selectors.rules_of(steps), days)
            for moved, _ in moves:
                moved.earliest = found[moved.order].earliest
                moved.latest = found[moved.order].latest
                moved.save()
                if moved.kind in (StepKind.PROCEDURE, StepKind.TOP_UP):
                    moved.booking.refresh_from_db()
                    tasks.rescreen_request_on_commit(moved.booking)
                elif moved.kind in ratings.REVIEW_KINDS:
                    moved.booking.refresh_from_db()
                    ratings.rating_request_on_commit(moved.booking, now=now)
    except BookingError as error:
        raise PlanError(error.message) from None
    return shifts


RECORD_FIELDS = ("product", "lot", "volume_or_dose", "sites", "device_settings", "unexpected")


def session_record_save(
    *, booking: Booking, author, values: dict, now: datetime | None = None
) -> SessionRecord:
    """Record (or correct) what was done at a procedure of a plan, once it has begun."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        step = PlanStep.objects.filter(booking=locked).first()
        if step is None or step.kind not in (StepKind.PROCEDURE, StepKind.TOP_UP):
            raise PlanError("Sessions are recorded for the procedures of a treatment plan.")
        if locked.status == Booking.Status.CANCELLED:
            raise PlanError("This session was cancelled, so there is nothing to record.")
        if locked.starts_at > now:
            raise PlanError("A session is recorded once it has begun.")
        if hold := session_hold_message(locked):
            raise PlanError(hold)
        record = SessionRecord.objects.filter(booking=locked).first() or SessionRecord(
            booking=locked, plan_step=step, recorded_by=author, recorded_at=now
        )
        for name in RECORD_FIELDS:
            setattr(record, name, values.get(name, "").strip())
        record.save()
    return record


def session_hold_message(booking: Booking) -> str:
    """Why a procedure session may not go ahead yet, or "" when nothing holds it: a health check
    with a "yes" for its present time that nobody has reviewed. One query."""
    check = (
        Rescreen.objects.filter(booking=booking, cleared_at__isnull=True)
        .select_related("booking")
        .first()
    )
    if check is None or not check.needs_review:
        return ""
    return (
        "The health check before this session needs the practitioner's review first: clear it "
        "with a note, or move the session."
    )
