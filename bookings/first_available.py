"""The read behind a "first available" booking: who is free at one start time, in the fair
rule's order, read without a lock (the booking services then lock and re-check only the one
chosen).

Everything the slot engine needs for that one local day comes in one written-out query: the
practitioners who offer the type at the location, their working hours on that weekday, their
time off, their active bookings around the day, and whether the location is closed that day.
Built by the ORM as five queries (as ``selectors.available_slots`` does), compiling them cost
more than running them, on the write every booking goes through; the answer is the engine's,
computed exactly as for the pages.
The chosen practitioner's lock and the re-check of their bookings under it
(``lock_and_check``) are written out too, and sent together.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

from django.db import connection

from bookings import availability, selectors
from bookings.models import (
    Booking,
    Closure,
    ConsultationType,
    Location,
    Practitioner,
    TimeOff,
    WorkingHours,
)
from clinic import sql_prepared, sql_values

# The kinds of row the query returns, in its first column.
ELIGIBLE, HOURS, TIME_OFF, BOOKING, CLOSED = 0, 1, 2, 3, 4


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


# The query, with the models' table and column names to fill in ({name}) and the parameters
# (%s): the type, the location (twice), the weekday, the range's end and start (time off), the
# range (bookings: {overlap}; the cancelled status is in the text, {cancelled}), and the
# location and the day twice (a closure). Each branch fills the columns of its kind (a weekly
# span's times, or an interval's instants and a booking's start, which the fair rule counts per
# day) and leaves the others NULL; a closure's row is its kind alone. The first branch's NULLs
# are typed: the others' are read as its types.
_DAY_QUERY = """
WITH eligible AS (
    SELECT tp.{tp_practitioner} AS id
    FROM {type_practitioners} tp
    INNER JOIN {practitioner_locations} pl ON pl.{pl_practitioner} = tp.{tp_practitioner}
    INNER JOIN {practitioner} p ON p.{p_id} = tp.{tp_practitioner}
    WHERE tp.{tp_type} = %s AND pl.{pl_location} = %s AND p.{p_active}
)
SELECT {ELIGIBLE}, e.id, CAST(NULL AS {time}), CAST(NULL AS {time}),
    CAST(NULL AS {instant}), CAST(NULL AS {instant}), CAST(NULL AS {instant})
FROM eligible e
UNION ALL
SELECT {HOURS}, h.{h_practitioner}, h.{h_start}, h.{h_end}, NULL, NULL, NULL
FROM {hours} h INNER JOIN eligible e ON e.id = h.{h_practitioner}
WHERE h.{h_location} = %s AND h.{h_weekday} = %s
UNION ALL
SELECT {TIME_OFF}, t.{t_practitioner}, NULL, NULL, t.{t_start}, t.{t_end}, NULL
FROM {time_off} t INNER JOIN eligible e ON e.id = t.{t_practitioner}
WHERE t.{t_start} < %s AND t.{t_end} > %s
UNION ALL
SELECT {BOOKING}, b.{b_practitioner}, NULL, NULL, b.{b_from}, b.{b_until}, b.{b_start}
FROM {booking} b INNER JOIN eligible e ON e.id = b.{b_practitioner}
WHERE NOT (b.{b_status} = {cancelled}) AND {overlap}
UNION ALL
SELECT {CLOSED}, NULL, NULL, NULL, NULL, NULL, NULL
FROM {closure} c
WHERE c.{c_location} = %s AND c.{c_first} <= %s AND c.{c_last} >= %s
"""
# PostgreSQL: written exactly as the exclusion constraint's index expression (as
# ``selectors.busy_bookings`` is), so that the index bounds both ends of the range.
_POSTGRESQL_OVERLAP = "tstzrange(b.{b_from}, b.{b_until}, '[)') && tstzrange(%s, %s, '[)')"
_OTHER_OVERLAP = "b.{b_from} < %s AND b.{b_until} > %s"


@functools.cache
def _names(vendor: str) -> dict:
    """The models' own table and column names, quoted for this database."""
    through = ConsultationType.practitioners.through
    works = Practitioner.locations.through
    names = {
        "type_practitioners": _table(through),
        "tp_practitioner": _column(through, "practitioner"),
        "tp_type": _column(through, "consultationtype"),
        "practitioner_locations": _table(works),
        "pl_practitioner": _column(works, "practitioner"),
        "pl_location": _column(works, "location"),
        "practitioner": _table(Practitioner),
        "p_id": _column(Practitioner, "id"),
        "p_active": _column(Practitioner, "is_active"),
        "hours": _table(WorkingHours),
        "h_practitioner": _column(WorkingHours, "practitioner"),
        "h_start": _column(WorkingHours, "start_time"),
        "h_end": _column(WorkingHours, "end_time"),
        "h_location": _column(WorkingHours, "location"),
        "h_weekday": _column(WorkingHours, "weekday"),
        "time_off": _table(TimeOff),
        "t_practitioner": _column(TimeOff, "practitioner"),
        "t_start": _column(TimeOff, "starts_at"),
        "t_end": _column(TimeOff, "ends_at"),
        "booking": _table(Booking),
        "b_practitioner": _column(Booking, "practitioner"),
        "b_from": _column(Booking, "blocked_from"),
        "b_until": _column(Booking, "blocked_until"),
        "b_start": _column(Booking, "starts_at"),
        "b_status": _column(Booking, "status"),
        # Written into the text, not passed: the index of the active bookings' ranges is
        # partial, and a plan kept for any values could not use it for a passed status.
        "cancelled": sql_prepared.literal(Booking.Status.CANCELLED),
        "closure": _table(Closure),
        "c_location": _column(Closure, "location"),
        "c_first": _column(Closure, "first_day"),
        "c_last": _column(Closure, "last_day"),
        "time": WorkingHours._meta.get_field("start_time").db_type(connection),
        "instant": Booking._meta.get_field("starts_at").db_type(connection),
        "ELIGIBLE": ELIGIBLE,
        "HOURS": HOURS,
        "TIME_OFF": TIME_OFF,
        "BOOKING": BOOKING,
        "CLOSED": CLOSED,
    }
    return names


@functools.cache
def _day_query(vendor: str) -> str:
    """The query for this database."""
    names = _names(vendor)
    overlap = _POSTGRESQL_OVERLAP if vendor == "postgresql" else _OTHER_OVERLAP
    return _DAY_QUERY.format(**names, overlap=overlap.format(**names))


# The columns after the kind, each as the field whose values it holds.
_FIELDS = (
    (Practitioner, "id"),
    (WorkingHours, "start_time"),
    (WorkingHours, "end_time"),
    (Booking, "blocked_from"),
    (Booking, "blocked_until"),
    (Booking, "starts_at"),
)


@functools.cache
def _readers(vendor: str) -> list:
    """The columns after the kind that need converting, each with its index and its reader
    (clinic/sql_values.py): on SQLite, times and instants come back as text; on PostgreSQL
    none do."""
    readers = []
    for index, (model, name) in enumerate(_FIELDS):
        read = sql_values.reader(model._meta.get_field(name))
        if read is not sql_values.unchanged:
            readers.append((index, read))
    return readers


def _rows(parameters: list) -> list:
    """Run the query; return its rows, each as its kind and its other columns, converted."""
    with connection.cursor() as cursor:
        sql_prepared.execute(cursor, _day_query(connection.vendor), parameters)
        rows = cursor.fetchall()
    readers = _readers(connection.vendor)
    if not readers:
        return [(kind, values) for kind, *values in rows]
    converted = []
    for kind, *values in rows:
        for index, read in readers:
            values[index] = read(values[index])
        converted.append((kind, values))
    return converted


def ranked_free_practitioners(
    *,
    consultation_type: ConsultationType,
    location: Location,
    starts_at: datetime,
    now: datetime,
    by_staff: bool = False,
) -> list[int]:
    """Return the ids of the practitioners free at ``starts_at`` under every rule, the one the
    fair rule picks first, then whom it would pick were that one taken, and so on; an empty
    list when the time is not offered at all.

    The same answer as ``selectors.available_slots`` for that day with ``count_per_day``
    (``Availability.ranked_for`` of the slot at ``starts_at``), in one query (a procedure adds
    the two of its rooms and equipment)."""
    if not consultation_type.is_active:
        return []
    zone = location.zone
    rules = selectors.slot_rules(consultation_type, by_staff)
    day = starts_at.astimezone(zone).date()
    if not now.astimezone(zone).date() <= day <= (now + rules.horizon).astimezone(zone).date():
        return []
    # The day's bounds as ``selectors.available_slots`` draws them.
    margin = rules.duration + rules.buffer_before + rules.buffer_after
    range_start = availability.to_utc(day, time(0), zone) - margin
    range_end = availability.to_utc(day + timedelta(days=1), time(0), zone) + margin
    resources = selectors.resource_schedules(
        consultation_type, location, range_start, range_end, None
    )
    if resources is None:
        return []

    adapt = connection.ops.adapt_datetimefield_value
    adapt_date = connection.ops.adapt_datefield_value
    parameters = [
        consultation_type.pk,
        location.pk,
        location.pk,
        day.weekday(),
        adapt(range_end),
        adapt(range_start),
        # The bookings' range: PostgreSQL's (start, end); SQLite's "from < end, until > start".
        *(
            (adapt(range_start), adapt(range_end))
            if connection.vendor == "postgresql"
            else (adapt(range_end), adapt(range_start))
        ),
        location.pk,
        adapt_date(day),
        adapt_date(day),
    ]
    eligible: set[int] = set()
    hours: dict[int, list[availability.WeeklySpan]] = defaultdict(list)
    time_off: dict[int, list[availability.Interval]] = defaultdict(list)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    per_day: Counter = Counter()
    weekday = day.weekday()
    for kind, (pid, start_time, end_time, start, end, booked_at) in _rows(parameters):
        # The branches' rows may come in any order.
        if kind == ELIGIBLE:
            eligible.add(pid)
        elif kind == HOURS:
            hours[pid].append(availability.WeeklySpan(weekday, start_time, end_time))
        elif kind == TIME_OFF:
            time_off[pid].append(availability.Interval(start, end))
        elif kind == CLOSED:
            # The location is closed that day: nobody is free, whatever else holds.
            return []
        else:
            busy[pid].append((start, end))
            per_day[(pid, booked_at.astimezone(zone).date())] += 1
    # Whoever holds a booking that a consultation at ``starts_at`` would overlap, buffers
    # included, is not free then, whatever else holds (the engine's own test: the start lies
    # inside that booking's forbidden range, ``availability._practitioner_slots``). On a busy
    # day that is most of them: the engine runs for the others only.
    reach_back = rules.duration + rules.buffer_after
    schedules = [
        availability.PractitionerSchedule(
            pid, tuple(hours[pid]), tuple(time_off[pid]), tuple(busy[pid])
        )
        for pid in sorted(eligible)
        if not any(
            start - reach_back < starts_at < end + rules.buffer_before for start, end in busy[pid]
        )
    ]
    slots = availability.any_practitioner_slots(schedules, rules, zone, day, day, now, resources)
    result = selectors.Availability(
        location, consultation_type, slots, dict.fromkeys(eligible), per_day, counted_per_day=True
    )
    slot = result.slot_at(starts_at)
    return result.ranked_for(slot) if slot is not None else []


# The two statements under the chosen practitioner's lock, written out for the same reason.
_LOCK = "SELECT {p_id} FROM {practitioner} WHERE {p_id} = %s FOR UPDATE"
_TAKEN = (
    "SELECT 1 FROM {booking} b WHERE b.{b_practitioner} = %s AND NOT (b.{b_status} = {cancelled}) "
    "AND "
)


def lock_and_check(
    practitioner_id: int, held_from: datetime, held_until: datetime, first: str = ""
) -> bool:
    """Lock the practitioner's row for the rest of the transaction, then tell whether they
    hold an active booking whose blocked interval overlaps ``[held_from, held_until)`` (as
    ``selectors.busy_bookings`` finds them). ``first``: a statement to run before the lock
    (the caller's savepoint).

    On PostgreSQL the statements go in one round trip (the driver binds the parameters on the
    client, so one ``execute`` may hold several), run one after the other: the check is
    a statement of its own, so it reads what was committed by the time the lock was granted
    (each statement of a read-committed transaction takes a fresh snapshot). SQLite has no
    row locks (every transaction there takes the database's write lock at BEGIN), so the
    lock is not sent, as the ORM's ``select_for_update`` would send a plain read; nor can its
    driver run several statements at once.
    """
    adapt = connection.ops.adapt_datetimefield_value
    vendor = connection.vendor
    bounds = (held_from, held_until) if vendor == "postgresql" else (held_until, held_from)
    parameters = [adapt(bound) for bound in bounds]
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            statements = [
                (_lock_query(vendor), [practitioner_id]),
                (_taken_query(vendor), [practitioner_id, *parameters]),
            ]
            sql_prepared.execute_all(cursor, [(first, [])] * bool(first) + statements)
        else:
            if first:
                cursor.execute(first)
            if connection.features.has_select_for_update:
                cursor.execute(_lock_query(vendor), [practitioner_id])
            cursor.execute(_taken_query(vendor), [practitioner_id, *parameters])
        return cursor.fetchone() is not None


@functools.cache
def _lock_query(vendor: str) -> str:
    return _LOCK.format(**_names(vendor))


@functools.cache
def _taken_query(vendor: str) -> str:
    names = _names(vendor)
    overlap = _POSTGRESQL_OVERLAP if vendor == "postgresql" else _OTHER_OVERLAP
    return (_TAKEN + overlap + " LIMIT 1").format(**names)
