"""Reads for plans: protocols on offer, a plan with its windows and quote, the course a patient
could book now, and every plan by status for the staff Plans page.

Nothing here records a read: the staff views record what they show, through ``clinic.audit``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from bookings import selectors as booking_selectors
from bookings.models import Booking
from clinic import sql_values
from treatments import windows
from treatments.models import (
    Plan,
    PlanStep,
    Protocol,
    Rescreen,
    StepKind,
    StepPrice,
    rescreen_current,
    rescreen_flagged,
)


def active_protocols():
    """Protocols on offer, with their steps and each step's consultation type."""
    return Protocol.objects.filter(is_active=True).prefetch_related(
        "steps__consultation_type", "steps__prices"
    )


def step_prices(protocols, location) -> dict[int, StepPrice]:
    """Each protocol step's price at ``location``, by step id, in one query."""
    return {
        price.step_id: price
        for price in StepPrice.objects.filter(step__protocol__in=protocols, location=location)
    }


@dataclass
class Quote:
    """The total of a plan's priced steps, per currency (one, normally), and what has no price."""

    totals: dict[str, Decimal] = field(default_factory=dict)
    unpriced: list[str] = field(default_factory=list)

    @property
    def lines(self):
        return sorted(self.totals.items())


def quote(steps) -> Quote:
    """Add up steps that carry ``price`` and ``currency`` (plan steps, or previews of them)."""
    result = Quote()
    for step in steps:
        if step.price is None:
            result.unpriced.append(step.name)
        else:
            result.totals[step.currency] = result.totals.get(step.currency, 0) + step.price
    return result


def is_held(step: PlanStep) -> bool:
    """Tell whether a step's booking still holds its time (a cancelled one does not)."""
    return step.booking is not None and step.booking.status != Booking.Status.CANCELLED


def is_unbooked(step: PlanStep) -> bool:
    """Tell whether a step still needs a booking: never booked, or its booking was cancelled
    (done and skipped steps need none)."""
    return step.status in (PlanStep.Status.PLANNED, PlanStep.Status.BOOKED) and not is_held(step)


def step_day(step: PlanStep, zone) -> date | None:
    if is_held(step):
        return step.booking.starts_at.astimezone(zone).date()
    return None


def rules_of(steps) -> list[windows.StepRule]:
    return [
        windows.StepRule(step.order, step.protocol_id, step.min_days_after, step.max_days_after)
        for step in steps
    ]


def booked_days(steps, zone) -> dict[int, date]:
    return {step.order: day for step in steps if (day := step_day(step, zone)) is not None}


def plan_with_steps(queryset=None):
    """Plans with what their pages show, in a fixed number of queries."""
    queryset = queryset if queryset is not None else Plan.objects.all()
    return queryset.select_related(
        "patient", "practitioner__user", "location", "consultation", "assessment"
    ).prefetch_related(
        "protocols",
        Prefetch(
            "steps",
            queryset=PlanStep.objects.select_related(
                "booking__session_record",
                "booking__rescreen",
                "protocol_step",
                "consultation_type",
                "booking__practitioner__user",
            ),
        ),
        "consents__consent_text",
    )


def needs_review(step: PlanStep) -> bool:
    """Tell whether the step's health check holds it for the practitioner's review."""
    check = getattr(step.booking, "rescreen", None) if step.booking else None
    return check is not None and check.needs_review


@dataclass
class StepView:
    step: PlanStep
    window: windows.Window
    overdue: bool


def step_views(plan: Plan, today: date) -> list[StepView]:
    """Each step with its window as things stand (booked steps move the ones after them)."""
    steps = list(plan.steps.all())
    zone = plan.location.zone
    found = windows.windows(plan.starts_on, rules_of(steps), booked_days(steps, zone))
    return [
        StepView(
            step,
            found[step.order],
            overdue=is_unbooked(step) and found[step.order].latest < today,
        )
        for step in steps
    ]


def judge_window(plan: Plan) -> list[tuple[Protocol, date, date]]:
    """When each protocol's results can fairly be judged, from the plan's start."""
    result = []
    for protocol in plan.protocols.all():
        start = plan.starts_on
        result.append(
            (
                protocol,
                _add_months(start, protocol.judge_from_months),
                _add_months(start, protocol.judge_to_months),
            )
        )
    return result


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@dataclass
class CourseProposal:
    choices: list[tuple[PlanStep, windows.Offer, int]]  # step, time, practitioner id
    missing: list[PlanStep]
    practitioners: dict


def course_proposal(plan: Plan, now: datetime | None = None, by_staff=False) -> CourseProposal:
    """Propose a time for every step still to book, first fit inside each window.

    One slot-engine call per consultation type the steps use, over the widest span their
    windows can reach; the choosing itself is the pure ``windows.first_fit``.
    """
    now = now or timezone.now()
    zone = plan.location.zone
    steps = list(plan.steps.all())
    rules = rules_of(steps)
    booked = booked_days(steps, zone)
    for step in steps:
        if step.order not in booked and not is_unbooked(step):
            # A skipped step: the rest of its chain counts from the end of its window.
            booked[step.order] = step.latest
    todo = [step for step in steps if step.order not in booked]
    if not todo:
        return CourseProposal([], [], {})
    # Each step's window can only narrow as the steps before it are chosen.
    widest = windows.windows(plan.starts_on, rules, booked)
    by_type = defaultdict(list)
    for step in todo:
        by_type[step.consultation_type_id].append(step)
    offers: dict[int, list[windows.Offer]] = {}
    practitioners = {}
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    for type_steps in by_type.values():
        consultation_type = type_steps[0].consultation_type
        first = max(tomorrow, min(widest[s.order].earliest for s in type_steps))
        last = max(widest[s.order].latest for s in type_steps)
        result = booking_selectors.available_slots(
            consultation_type=consultation_type,
            location=plan.location,
            first_day=first,
            last_day=last,
            now=now,
            by_staff=by_staff,
        )
        practitioners.update(result.practitioners)
        free = [
            windows.Offer(
                slot.start,
                slot.start + consultation_type.duration,
                slot.start.astimezone(zone).date(),
                tuple(slot.practitioner_ids),
            )
            for slot in result.slots
        ]
        for step in type_steps:
            offers[step.order] = free
    busy = list(
        Booking.objects.filter(
            patient_id=plan.patient_id, status=Booking.Status.CONFIRMED, ends_at__gt=now
        ).values_list("starts_at", "ends_at")
    )
    chosen, missing = windows.first_fit(
        plan.starts_on,
        rules,
        offers,
        preferred=plan.practitioner_id,
        booked=booked,
        busy=busy,
    )
    by_order = {step.order: step for step in steps}
    return CourseProposal(
        [(by_order[key], offer, who) for key, (offer, who) in sorted(chosen.items())],
        [by_order[key] for key in missing],
        practitioners,
    )


# Visits the patient is reminded of, and the Plans page lists as due, once their window opens.
DUE_KINDS = {StepKind.REVIEW, StepKind.CHECK_IN, StepKind.TOP_UP}


def due_views(views: list[StepView], today: date) -> list[StepView]:
    """The reviews, check-ins and top-ups among ``views`` whose window has opened and that are
    not booked (overdue ones included)."""
    return [
        view
        for view in views
        if view.step.kind in DUE_KINDS and is_unbooked(view.step) and view.window.earliest <= today
    ]


@dataclass
class PlanRow:
    plan: Plan
    next_step: StepView | None
    overdue: list[StepView]
    held: list[StepView]  # sessions whose health check needs review
    due: list[StepView] = field(default_factory=list)  # visits due, not booked, not yet overdue


STATUS_ORDER = [
    Plan.Status.IN_PROGRESS,
    Plan.Status.ACCEPTED,
    Plan.Status.PROPOSED,
    Plan.Status.COMPLETED,
    Plan.Status.STOPPED,
    Plan.Status.DECLINED,
]


def plans_by_status(*, plans, today: date) -> list[tuple[str, list[PlanRow]]]:
    """Every plan grouped by status (open ones first), each with its next step, what is due (a
    review, check-in or top-up whose window is open and that is not booked) and what is
    overdue (steps whose window closed without a booking)."""
    rows = defaultdict(list)
    for plan in plan_with_steps(plans).order_by("-updated_at"):
        views = step_views(plan, today)
        zone = plan.location.zone
        # Next is the first visit still ahead: to book, or booked for today or later (one in
        # the past is not next, whether or not anybody marked it completed).
        upcoming = [
            view
            for view in views
            if is_unbooked(view.step)
            or (
                view.step.status == PlanStep.Status.BOOKED
                and is_held(view.step)
                and view.step.booking.status == Booking.Status.CONFIRMED
                and step_day(view.step, zone) >= today
            )
        ]
        rows[plan.status].append(
            PlanRow(
                plan,
                # A plan stopped, declined or completed has no next step, whatever is unbooked.
                upcoming[0] if upcoming and plan.is_open else None,
                [v for v in views if v.overdue],
                [v for v in views if needs_review(v.step)],
                [v for v in due_views(views, today) if not v.overdue] if plan.is_open else [],
            )
        )
    labels = dict(Plan.Status.choices)
    return [(labels[status], rows[status]) for status in STATUS_ORDER if rows[status]]


# The plans whose sessions and judge-at window belong on a patient's progress charts.
COURSE_STATUSES = [Plan.Status.ACCEPTED, Plan.Status.IN_PROGRESS, Plan.Status.COMPLETED]


def course_marks(patient) -> tuple[list[date], tuple[date, date] | None]:
    """For the progress charts: the days of the patient's treatment sessions (procedures and
    top-ups of their accepted plans, booked or done, in the clinic's local time), and when the
    latest such plan's results can fairly be judged (the widest window of its protocols).
    Two queries, whatever the number of plans and sessions."""
    plans = list(
        Plan.objects.filter(patient=patient, status__in=COURSE_STATUSES)
        .prefetch_related("protocols")
        .order_by("starts_on", "pk")
    )
    if not plans:
        return [], None
    held = [Booking.Status.CONFIRMED, Booking.Status.COMPLETED]
    sessions = (
        PlanStep.objects.filter(
            plan__in=plans,
            kind__in=[StepKind.PROCEDURE, StepKind.TOP_UP],
            booking__status__in=held,
        )
        .select_related("booking__location")
        .order_by("booking__starts_at")
    )
    days = sorted(
        {step.booking.starts_at.astimezone(step.booking.location.zone).date() for step in sessions}
    )
    windows_of_latest = judge_window(plans[-1])
    judge = None
    if windows_of_latest:
        judge = (
            min(start for _, start, _ in windows_of_latest),
            max(end for _, _, end in windows_of_latest),
        )
    return days, judge


# What the health check before a procedure session says, for the day lists.
NEEDS_REVIEW = "needs review"
NO_ANSWER = "no answer"


@dataclass(frozen=True)
class SessionCheck:
    state: str  # NEEDS_REVIEW or NO_ANSWER
    rescreen: Rescreen | None  # the answers held for review; None when there is no answer

    @property
    def needs_review(self) -> bool:
        return self.state == NEEDS_REVIEW


def session_checks(
    sessions: dict[int, datetime], now: datetime, asked_before: timedelta
) -> dict[int, SessionCheck]:
    """For confirmed procedure bookings (``sessions``: their start, by id), those of plans that
    are held by a health check with a "yes" that nobody has reviewed, and those with no answer
    although the patient was asked (``asked_before`` their start). Other bookings are left out.
    One query, none without sessions."""
    if not sessions:
        return {}
    found = {}
    for booking_id, check in _session_rescreens(sessions):
        if check is not None and check.needs_review:
            found[booking_id] = SessionCheck(NEEDS_REVIEW, check)
        elif (check is None or not check.is_current) and now >= sessions[booking_id] - asked_before:
            found[booking_id] = SessionCheck(NO_ANSWER, None)
    return found


# What a session's check is judged by (Rescreen.needs_review), read by _session_rescreens; in
# the model's order of fields, as Model.from_db takes them.
_CHECK_FIELDS = [
    field
    for field in Rescreen._meta.concrete_fields
    if field.name in {"id", "answers", "submitted_at", "cleared_at"}
]


def _session_rescreens(sessions: dict[int, datetime]):
    """Each of ``sessions`` that is a plan's procedure or top-up, with its health check's
    answers (None if not sent), as ``(booking id, Rescreen or None)``.

    The day list asks for this on every view of a day with procedures, so it is written out in
    SQL (the same on SQLite and PostgreSQL): through the ORM, reading three tables' every column
    in the steps' order (a join to their plans and a sort), it cost a millisecond of CPU for
    none found. Each check holds the columns its state is judged by, and its booking only the
    start (the rest is read if asked for, as with ``only()``)."""
    ids = list(sessions)
    columns = ", ".join(f"r.{field.column}" for field in _CHECK_FIELDS)
    sql = (
        f"SELECT s.booking_id, {columns} FROM {PlanStep._meta.db_table} s "  # noqa: S608 - no input
        f"LEFT JOIN {Rescreen._meta.db_table} r ON r.booking_id = s.booking_id "
        f"WHERE s.kind IN (%s, %s) AND s.booking_id IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [StepKind.PROCEDURE.value, StepKind.TOP_UP.value, *ids])
        rows = cursor.fetchall()
    for booking_id, *values in rows:
        if values[0] is None:
            yield booking_id, None
            continue
        check = Rescreen.from_db(
            connection.alias,
            [field.attname for field in _CHECK_FIELDS],
            [
                sql_values.reader(field)(value)
                for field, value in zip(_CHECK_FIELDS, values, strict=True)
            ],
        )
        check.booking = Booking.from_db(
            connection.alias, ["id", "starts_at"], [booking_id, sessions[booking_id]]
        )
        yield booking_id, check


def held_sessions(bookings, now: datetime, since: timedelta):
    """Health checks holding a confirmed session among ``bookings`` (a queryset) for review:
    a "yes" for the session's present time, not cleared; sessions from ``since`` ago on,
    soonest first, with their patient and plan step. One query. (The review queue reads the
    same holds through written-out SQL, ``staff.queue_sql.queue_page``, which a test holds
    to this.)"""
    return (
        Rescreen.objects.filter(
            rescreen_flagged(),
            rescreen_current(),
            cleared_at__isnull=True,
            booking__in=bookings,
            booking__status=Booking.Status.CONFIRMED,
            booking__starts_at__gte=now - since,
        )
        .select_related("booking__patient", "booking__plan_step")
        .order_by("booking__starts_at")
    )
