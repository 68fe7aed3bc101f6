"""Reads for the booking pages and services: load exactly what the slot engine needs, then call it.

``available_slots`` runs at most five queries whatever the number of bookings or practitioners:
practitioners (none when the caller has read them already), their working hours, their time off,
the days the location is closed, and their bookings in the range. A procedure adds at most two,
whatever the number of resources: the resources it needs with their hours, and their holds in
the range.

The bookings in the range are read as plain values, never as model objects. On PostgreSQL they
are found through the GiST index behind the practitioners' exclusion constraint (migration 0002):
"the blocked range overlaps the search range" is a question that index answers directly, where a
B-tree on (practitioner, blocked_until) can bound only one end and walks every later booking.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.contrib.postgres.fields import DateTimeRangeField
from django.db import connection
from django.db.models import F, Func, Value
from django.utils import timezone

from bookings import availability
from bookings.models import (
    Booking,
    Closure,
    ConsultationType,
    Location,
    Practitioner,
    Resource,
    ResourceHold,
    TimeOff,
    WorkingHours,
)
from clinic import sql_values


class FreeDay(NamedTuple):
    """A local day's free times, and the closure's name on a day the location is closed."""

    day: date
    slots: list[availability.Slot]
    closed: str


@dataclass
class Availability:
    """Slots of one consultation type at one location, with what is needed to present them."""

    location: Location
    consultation_type: ConsultationType
    slots: list[availability.Slot]
    practitioners: dict[int, Practitioner]
    bookings_per_day: Counter = field(default_factory=Counter)
    counted_per_day: bool = False
    # The days the location is closed in the range asked for, each with the closure's name.
    closed: dict[date, str] = field(default_factory=dict)

    def slot_at(self, start: datetime) -> availability.Slot | None:
        for slot in self.slots:
            if slot.start == start:
                return slot
        return None

    def practitioner_for(self, slot: availability.Slot) -> Practitioner:
        """Return who takes a "first available" booking in this slot (the fair rule)."""
        return self.practitioners[self.ranked_for(slot)[0]]

    def ranked_for(self, slot: availability.Slot) -> list[int]:
        """Return the ids of the practitioners free for this slot, the one the fair rule picks
        first, then whom it would pick were that one taken, and so on."""
        if not self.counted_per_day:
            raise ValueError("Read with count_per_day=True to choose a practitioner.")
        day = slot.start.astimezone(self.location.zone).date()
        loads = {pid: self.bookings_per_day[(pid, day)] for pid in slot.practitioner_ids}
        return sorted(slot.practitioner_ids, key=lambda pid: availability.fair_order(pid, loads))

    def days(self, first: date, count: int) -> list[FreeDay]:
        """Return ``count`` local days from ``first``, each with its slots (maybe none) and,
        on a day the location is closed, the closure's name."""
        free = dict(self.slots_by_day())
        days = (first + timedelta(days=n) for n in range(count))
        return [FreeDay(day, free.get(day, []), self.closed.get(day, "")) for day in days]

    def slots_by_day(self) -> list[tuple[date, list[availability.Slot]]]:
        days: dict[date, list[availability.Slot]] = {}
        for slot in self.slots:
            days.setdefault(slot.start.astimezone(self.location.zone).date(), []).append(slot)
        return list(days.items())


STAFF_HORIZON = timedelta(days=366)


def slot_rules(
    consultation_type: ConsultationType, by_staff: bool = False
) -> availability.SlotRules:
    """The type's timing rules. Staff booking for a patient (a follow-up in three months, a
    phone call this afternoon) are not held to the online notice and horizon."""
    if by_staff:
        return availability.SlotRules(
            duration=timedelta(minutes=consultation_type.duration_minutes),
            buffer_before=timedelta(minutes=consultation_type.buffer_before_minutes),
            buffer_after=timedelta(minutes=consultation_type.buffer_after_minutes),
            step=timedelta(minutes=consultation_type.slot_interval_minutes),
            horizon=STAFF_HORIZON,
        )
    return availability.SlotRules(
        duration=timedelta(minutes=consultation_type.duration_minutes),
        buffer_before=timedelta(minutes=consultation_type.buffer_before_minutes),
        buffer_after=timedelta(minutes=consultation_type.buffer_after_minutes),
        step=timedelta(minutes=consultation_type.slot_interval_minutes),
        min_notice=timedelta(hours=consultation_type.min_notice_hours),
        horizon=timedelta(days=consultation_type.horizon_days),
    )


def eligible_practitioners(
    consultation_type: ConsultationType, location: Location, *, with_names: bool = True
):
    """Return the active practitioners who offer this type at this location, by name.

    Without ``with_names``: in no order and without their user rows, for a write that only
    needs to know who they are (their names are neither read nor sorted).
    """
    eligible = Practitioner.objects.filter(
        consultation_types=consultation_type, locations=location, is_active=True
    )
    if not with_names:
        # One type and one location: the two many-to-many rows are unique, so no practitioner
        # comes twice and no DISTINCT is needed.
        return eligible.order_by()
    return eligible.select_related("user").distinct()


def offered_where(consultation_type: ConsultationType) -> list[tuple[Location, list[Practitioner]]]:
    """Return the locations where the type is offered (by name), each with its active
    practitioners who offer it there (in the practitioners' order), in one query.

    The slot picker needs both on every visit; read as the locations, then
    ``eligible_practitioners`` at the one chosen, they cost a query and its compiling each.
    """
    works = (
        Practitioner.locations.through.objects.filter(
            practitioner__consultation_types=consultation_type, practitioner__is_active=True
        )
        .select_related("location", "practitioner__user")
        .order_by(
            "location__name",
            "location_id",
            "practitioner__user__last_name",
            "practitioner__user__first_name",
            "practitioner_id",
        )
    )
    offered: dict[int, tuple[Location, list[Practitioner]]] = {}
    for work in works:
        offered.setdefault(work.location_id, (work.location, []))[1].append(work.practitioner)
    return list(offered.values())


def needed_resources(consultation_type: ConsultationType, location: Location, lock=False):
    """Return the resources a booking of this type at this location holds, in id order, or
    None when it cannot be booked there: a procedure whose resources are all elsewhere.

    Consultations hold none, and cost no query. With ``lock``, the type's resource rows are
    locked (in id order) for the rest of the transaction, as the booking services need.
    """
    if not consultation_type.is_procedure:
        return []
    resources = Resource.objects.filter(consultation_types=consultation_type).order_by("pk")
    if lock:
        # ``of=("self",)``: the resource rows only, not the type's many-to-many rows.
        resources = resources.select_for_update(of=("self",))
    resources = list(resources)
    here = [resource for resource in resources if resource.location_id == location.pk]
    return here if here or not resources else None


def resource_schedules(consultation_type, location, range_start, range_end, exclude_booking_id):
    """Load what the engine needs of the resources this type needs here, in two queries (one
    for a procedure that needs none); None when it cannot be booked at this location."""
    if not consultation_type.is_procedure:
        return []
    hours: dict[int, list[availability.WeeklySpan]] = {}
    elsewhere = False
    # One query: each resource with its hours (a resource without any comes once, with None).
    for pk, location_id, active, weekday, start, end in Resource.objects.filter(
        consultation_types=consultation_type
    ).values_list(
        "pk", "location_id", "active", "hours__weekday", "hours__start_time", "hours__end_time"
    ):
        if location_id != location.pk:
            elsewhere = True
            continue
        spans = hours.setdefault(pk, [])
        # Out of service, or no hours at all: never free.
        if active and weekday is not None:
            spans.append(availability.WeeklySpan(weekday, start, end))
    if not hours:
        return None if elsewhere else []
    held: dict[int, list[availability.Interval]] = {pk: [] for pk in hours}
    holds = ResourceHold.objects.filter(
        resource_id__in=list(hours), held_from__lt=range_end, held_until__gt=range_start
    )
    if exclude_booking_id is not None:
        holds = holds.exclude(booking_id=exclude_booking_id)
    for pk, held_from, held_until in holds.values_list("resource_id", "held_from", "held_until"):
        held[pk].append(availability.Interval(held_from, held_until))
    return [
        availability.ResourceSchedule(pk, tuple(hours[pk]), tuple(held[pk])) for pk in sorted(hours)
    ]


def closed_days(location: Location, first_day: date, last_day: date) -> dict[date, str]:
    """Return the location's closed days from ``first_day`` to ``last_day``, each with the
    closure's name."""
    closed = {}
    for _, first, last, name in closures_covering([location.pk], first_day, last_day):
        for day in availability.local_dates(max(first, first_day), min(last, last_day)):
            closed[day] = name
    return closed


def closures_covering(location_ids, first_day: date, last_day: date) -> list[tuple]:
    """Return (location id, first day, last day, name) of each closure of these locations with
    a day from ``first_day`` to ``last_day``, the earliest first. Written out: every search for
    free times and every staff day reads it, and the ORM took longer to build the query than
    the database to answer it."""
    ids = sorted(set(location_ids))
    if not ids:
        return []
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _closures_query(connection.vendor, len(ids)), [*ids, adapt(last_day), adapt(first_day)]
        )
        rows = cursor.fetchall()
    read = sql_values.reader(Closure._meta.get_field("first_day"))
    return [(pk, read(first), read(last), name) for pk, first, last, name in rows]


@functools.cache
def _closures_query(vendor: str, count: int) -> str:
    quote = connection.ops.quote_name
    meta = Closure._meta
    location, first, last, name = (
        quote(meta.get_field(field).column)
        for field in ("location", "first_day", "last_day", "name")
    )
    return (
        f"SELECT {location}, {first}, {last}, {name} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {location} IN ({', '.join(['%s'] * count)}) AND {first} <= %s AND {last} >= %s "
        f"ORDER BY {first}"
    )


def busy_bookings(practitioner_ids, range_start: datetime, range_end: datetime):
    """Active bookings of these practitioners whose blocked interval overlaps the range."""
    # In no order: the engine sorts what it needs, and the model's default order costs a sort.
    bookings = Booking.objects.active().filter(practitioner_id__in=practitioner_ids).order_by()
    if connection.vendor == "postgresql":
        # Written exactly as the exclusion constraint's index expression, so that the planner
        # matches it: the index then bounds both ends of the range.
        blocked = Func(
            F("blocked_from"),
            F("blocked_until"),
            Value("[)"),
            function="tstzrange",
            output_field=DateTimeRangeField(),
        )
        return bookings.alias(blocked=blocked).filter(blocked__overlap=(range_start, range_end))
    return bookings.filter(blocked_from__lt=range_end, blocked_until__gt=range_start)


def available_slots(
    *,
    consultation_type: ConsultationType,
    location: Location,
    first_day: date,
    last_day: date,
    practitioner: Practitioner | None = None,
    now: datetime | None = None,
    exclude_booking_id: int | None = None,
    by_staff: bool = False,
    eligible: list[Practitioner] | None = None,
    count_per_day: bool = False,
) -> Availability:
    """Return the bookable slots over the local dates ``first_day``..``last_day`` inclusive.

    With ``practitioner`` None, a slot is offered when any eligible practitioner is free. For a
    procedure, every room and piece of equipment it needs at the location must be free too.
    ``exclude_booking_id`` leaves one booking out of the busy times, to reschedule it.
    ``eligible``: the type's practitioners at the location, when the caller has read them
    (``eligible_practitioners``), so that they are not read twice. ``count_per_day`` fills
    ``bookings_per_day``, which only choosing a "first available" practitioner needs.
    """
    now = now or timezone.now()
    zone = location.zone
    rules = slot_rules(consultation_type, by_staff)
    # No day before today or past the horizon can hold a slot, so none is loaded.
    first_day = max(first_day, now.astimezone(zone).date())
    last_day = min(last_day, (now + rules.horizon).astimezone(zone).date())

    if eligible is None:
        practitioners_qs = eligible_practitioners(consultation_type, location)
        if practitioner is not None:
            practitioners_qs = practitioners_qs.filter(pk=practitioner.pk)
        practitioners = {p.pk: p for p in practitioners_qs}
    else:
        practitioners = {
            p.pk: p for p in eligible if practitioner is None or p.pk == practitioner.pk
        }
    result = Availability(location, consultation_type, [], practitioners)
    if not practitioners or first_day > last_day or not consultation_type.is_active:
        return result

    # Everything that can touch a window on these dates: the bounds are the location's own
    # midnights, in UTC with that day's offset, so every window lies between them whatever
    # daylight saving does; widened by the buffers and duration that widen a clash. (A whole
    # day either side once tripled what confirming one day's slot read.)
    margin = rules.duration + rules.buffer_before + rules.buffer_after
    range_start = availability.to_utc(first_day, time(0), zone) - margin
    range_end = availability.to_utc(last_day + timedelta(days=1), time(0), zone) + margin

    resources = resource_schedules(
        consultation_type, location, range_start, range_end, exclude_booking_id
    )
    if resources is None:
        return result

    ids = list(practitioners)
    hours: dict[int, list[availability.WeeklySpan]] = {pid: [] for pid in ids}
    # In no order (the engine sorts the windows): the model's default order joins the users.
    for pid, weekday, start, end in (
        WorkingHours.objects.filter(location=location, practitioner_id__in=ids)
        .order_by()
        .values_list("practitioner_id", "weekday", "start_time", "end_time")
    ):
        hours[pid].append(availability.WeeklySpan(weekday, start, end))

    time_off: dict[int, list[availability.Interval]] = {pid: [] for pid in ids}
    for pid, start, end in TimeOff.objects.filter(
        practitioner_id__in=ids, starts_at__lt=range_end, ends_at__gt=range_start
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        time_off[pid].append(availability.Interval(start, end))
    # The days the location is closed are time off for everyone who works there.
    result.closed = closed_days(location, first_day, last_day)
    if result.closed:
        closed = availability.closed_day_intervals(result.closed, zone)
        for pid in ids:
            time_off[pid].extend(closed)

    # (start, end) pairs: the engine reads nothing else of a busy interval.
    busy: dict[int, list[tuple[datetime, datetime]]] = {pid: [] for pid in ids}
    bookings = busy_bookings(ids, range_start, range_end)
    if exclude_booking_id is not None:
        bookings = bookings.exclude(pk=exclude_booking_id)
    if count_per_day:
        result.counted_per_day = True
        per_day = result.bookings_per_day
        for pid, blocked_from, blocked_until, starts_at in bookings.values_list(
            "practitioner_id", "blocked_from", "blocked_until", "starts_at"
        ):
            busy[pid].append((blocked_from, blocked_until))
            per_day[(pid, starts_at.astimezone(zone).date())] += 1
    else:
        for pid, blocked_from, blocked_until in bookings.values_list(
            "practitioner_id", "blocked_from", "blocked_until"
        ):
            busy[pid].append((blocked_from, blocked_until))

    schedules = [
        availability.PractitionerSchedule(
            pid, tuple(hours[pid]), tuple(time_off[pid]), tuple(busy[pid])
        )
        for pid in ids
    ]
    result.slots = availability.any_practitioner_slots(
        schedules, rules, zone, first_day, last_day, now, resources
    )
    return result


def move_changes_nothing(booking, starts_at, *, seen, practitioner_id=None) -> bool:
    """Whether a move asks for the time (and practitioner) the booking has already, from a page
    that saw it as it is (``seen``: its sequence then, None when not sent): nothing to move,
    nobody to e-mail. The browser's Back to a move's confirmation asks for this."""
    return (
        booking.status == Booking.Status.CONFIRMED
        and starts_at == booking.starts_at
        and (practitioner_id is None or practitioner_id == booking.practitioner_id)
        and seen in (None, booking.sequence)
    )
