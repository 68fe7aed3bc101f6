"""The review queue's reads, written out in SQL, the same on PostgreSQL and SQLite but for one
JSON test (``_said_yes``).

Built through the ORM, the page's eleven queries took most of its 26 ms of CPU a view (on the
bench: 4,000 intakes waiting, 25 a page), in compiling each query and making some 200 model
objects, for rows that are ids, names and one time each. Written out, the rows come back as
tuples, and all the page shows is read in one query (``queue_page``), with the audit's INSERT
after it (one more for a page past the last).

Joins are kept few, since the planner's cost grows with each table joined: an eight-table join of
the page's rows spent 3–10 ms in planning on the bench for 1 ms of work, and estimating the queue
at 48 rows where it holds thousands, it read every intake to join 25 of them. So a row's patient
and intake are read by a subquery on their unique index, whatever the planner expects, and the
names of the practitioners, types and locations of all the page's lists are read once, after
the lists, in the same statement.

Who sees what is the rule of ``staff.selectors.visible_bookings``: a clinic admin every booking,
anyone else their own (``_VISIBLE``, with ``_visible``'s parameters).
"""

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection

from bookings.models import Booking
from clinic import sql_prepared, sql_values
from staff.selectors import sees_all_bookings
from treatments.models import RESCREEN_OPENS_BEFORE, RESCREEN_QUESTIONS, Rescreen

# The statuses and truths the queries test are written into their text, not passed: the
# indexes they walk are partial (``booking_awaiting_review_idx``, ``booking_confirmed_intake_idx``),
# and the page's plan, kept for any values (clinic/sql_prepared.py), could not use them otherwise.
_CONFIRMED = sql_prepared.literal(Booking.Status.CONFIRMED)

# A clinic admin's flag is true and the rest is not looked at; anyone else's false, so that only
# their own bookings pass (the user's practitioner row, if any: a user without one has none).
_VISIBLE = (
    "(%s OR b.practitioner_id = (SELECT pr.id FROM bookings_practitioner pr WHERE pr.user_id = %s))"
)
# The patient's name as ``Patient.full_name`` writes it.
_PATIENT_NAME = (
    "(SELECT p.first_name || ' ' || p.last_name FROM patients_patient p WHERE p.id = b.patient_id)"
    " AS patient_name"
)
_LISTED = (
    "b.id, b.patient_id, b.practitioner_id, b.consultation_type_id, b.location_id, b.starts_at, "
    + _PATIENT_NAME
)

# The review queue's rule, stated once for the page and the landing's counts: confirmed
# bookings with answers, from a time on, that the user sees and nobody assessed yet. The planner
# walks them in the page's order along ``booking_awaiting_review_idx``, which holds those and no
# other: whether answered and whether assessed are the booking's own columns, kept by the
# database, so no other table is asked about each. ``_waiting`` gives its parameters.
_WAITING = f"""b.status = {_CONFIRMED} AND b.intake_received = TRUE AND b.assessed = FALSE
      AND b.starts_at >= %s AND {_VISIBLE}"""

# How many wait, and how many of those have a flag of the severities asked for (``{severities}``
# their placeholders): the counts on a practitioner's landing.
_WAITING_COUNTS = f"""
SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (
    SELECT 1 FROM patients_hairlossintake i
    JOIN patients_screeningflag f ON f.intake_id = i.id
    WHERE i.booking_id = b.id AND f.severity IN ({{severities}})
) THEN 1 ELSE 0 END), 0)
FROM bookings_booking b
WHERE {_WAITING}
"""  # noqa: S608 - fixed text; every value is a parameter

# The queue's page and its count, each walking the index as far as it needs: the count to the
# cap, the page to its last row. (Counting into a list of the capped queue and cutting the page
# from it took longer: the list was kept in memory and sorted again.)
_SHOWN = f"""
SELECT {_LISTED},
       (SELECT i.id FROM patients_hairlossintake i WHERE i.booking_id = b.id) AS intake_id
FROM bookings_booking b
WHERE {_WAITING}
ORDER BY b.starts_at, b.id
LIMIT %s OFFSET %s
"""  # noqa: S608 - fixed text; every value is a parameter
_COUNTED = f"""
SELECT COUNT(*) AS n FROM (SELECT 1 FROM bookings_booking b WHERE {_WAITING} LIMIT %s) capped
"""  # noqa: S608 - fixed text; every value is a parameter

# Upcoming confirmed bookings without answers whose type asks for them, walked in time order
# along ``booking_confirmed_intake_idx``. When no type asks, the first test, worked out once
# before the walk, ends it there: otherwise every upcoming booking would be read to find none.
_INTAKE_MISSING = f"""
SELECT {_LISTED}
FROM bookings_booking b
JOIN bookings_consultationtype ct ON ct.id = b.consultation_type_id
WHERE EXISTS (SELECT 1 FROM bookings_consultationtype asking WHERE asking.intake_required = TRUE)
  AND b.status = {_CONFIRMED} AND b.intake_received = FALSE AND b.starts_at >= %s
  AND ct.intake_required = TRUE
  AND {_VISIBLE}
ORDER BY b.starts_at, b.id
LIMIT %s
"""  # noqa: S608 - fixed text; every value is a parameter

# Health checks holding a session for review; ``{flagged}`` tests that one answer is "yes".
_HELD = f"""
SELECT r.id AS rescreen_id, r.answers, r.submitted_at, r.details,
       (SELECT s.name FROM treatments_planstep s WHERE s.booking_id = b.id) AS step_name, {_LISTED}
FROM treatments_rescreen r
JOIN bookings_booking b ON b.id = r.booking_id
WHERE r.cleared_at IS NULL AND b.status = {_CONFIRMED} AND b.starts_at >= %s AND {_VISIBLE}
  AND ({{flagged}})
"""  # noqa: S608 - fixed text; every value is a parameter

# Everything the queue's page shows, in one statement: each list read by a query of its own
# took some 1 ms a view more on the bench, in round trips. The lists (``{shown}`` and
# ``{counted}``, ``{held}``, ``{missing}``) are read once each, and the names of the
# practitioners, types and locations of their bookings after them. (Written into each row, the
# names cost more than their own query, in planning a join or a subquery for each.)
# The rows share one shape, told apart by their first column ("queue", "held", "missing",
# "practitioner", "type", "location"): the count, the row's own record (the intake, the health
# check, or the name's), two keys of order, a booking's columns, three words (a flag's severity,
# treatment and reason; a health check's details and plan step; a name's parts), then a health
# check's answers and time. On PostgreSQL a NULL takes its column's type from a later list;
# every column has one in the first two lists. A row comes for each flag of a queue's booking,
# one with none for a booking without, and the count's row alone when the page is empty.
_QUEUE_PAGE = """
WITH shown AS ({shown}), counted AS ({counted}), held AS ({held}), missing AS ({missing}),
listed AS (
    SELECT practitioner_id, consultation_type_id, location_id FROM shown
    UNION ALL SELECT practitioner_id, consultation_type_id, location_id FROM held
    UNION ALL SELECT practitioner_id, consultation_type_id, location_id FROM missing
)
SELECT 'queue', c.n, s.intake_id, s.id, f.id,
       s.id, s.patient_id, s.practitioner_id, s.consultation_type_id, s.location_id, s.starts_at,
       s.patient_name, f.severity, f.treatment, f.reason, NULL, NULL
FROM counted c
LEFT JOIN shown s ON 1 = 1
LEFT JOIN patients_screeningflag f ON f.intake_id = s.intake_id
UNION ALL
SELECT 'held', NULL, h.rescreen_id, h.rescreen_id, NULL,
       h.id, h.patient_id, h.practitioner_id, h.consultation_type_id, h.location_id, h.starts_at,
       h.patient_name, h.details, h.step_name, NULL, h.answers, h.submitted_at
FROM held h
UNION ALL
SELECT 'missing', NULL, NULL, m.id, NULL,
       m.id, m.patient_id, m.practitioner_id, m.consultation_type_id, m.location_id, m.starts_at,
       m.patient_name, NULL, NULL, NULL, NULL, NULL
FROM missing m
UNION ALL
SELECT 'practitioner', NULL, pr.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       u.first_name, u.last_name, u.username, NULL, NULL
FROM bookings_practitioner pr JOIN auth_user u ON u.id = pr.user_id
WHERE pr.id IN (SELECT practitioner_id FROM listed)
UNION ALL
SELECT 'type', NULL, ct.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       ct.name, NULL, NULL, NULL, NULL
FROM bookings_consultationtype ct
WHERE ct.id IN (SELECT consultation_type_id FROM listed)
UNION ALL
SELECT 'location', NULL, l.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       l.name, l.time_zone, NULL, NULL, NULL
FROM bookings_location l
WHERE l.id IN (SELECT location_id FROM listed)
ORDER BY 1, 11, 4, 5
"""


class Listed(NamedTuple):
    """A booking in one of the page's lists."""

    booking_id: int
    patient_id: int
    practitioner_id: int
    consultation_type_id: int
    location_id: int
    starts_at: datetime
    patient_name: str
    intake_id: int | None  # None when the intake is missing (or was erased since it was counted)


class Flag(NamedTuple):
    """A screening flag as ``staff.selectors.sorted_flags`` sorts it."""

    severity: str
    treatment: str
    reason: str


class Held(NamedTuple):
    """A session held by its health check."""

    rescreen_id: int
    answers: dict
    details: str
    booking: Listed  # its consultation_type_id is the session's; the page shows its plan step
    plan_step_name: str


@dataclass(frozen=True)
class Names:
    practitioners: dict  # id: display name
    types: dict  # id: name
    locations: dict  # id: (name, IANA time zone name)


@dataclass(frozen=True)
class QueuePage:
    """What the review queue's page shows (``queue_page``)."""

    count: int  # of the whole queue, up to the cap + 1
    rows: list[Listed]  # the page's, in its order
    flags: dict  # intake id: the intake's screening flags (``Flag``), in the order raised
    held: list[Held]
    missing: list[Listed]
    names: Names  # of the bookings of all three lists


def _visible(user) -> list:
    """The parameters of ``_VISIBLE`` for ``user``."""
    return [sees_all_bookings(user), user.pk]


def _waiting(user, since: datetime) -> list:
    """The parameters of ``_WAITING`` (confirmed, answered and not assessed are in its text):
    from ``since`` on, seen by ``user``."""
    return [_moment(since), *_visible(user)]


def _moment(value):
    return connection.ops.adapt_datetimefield_value(value)


def _reader(model, name: str):
    """The ORM's reading of ``model``'s field ``name`` (clinic/sql_values.py)."""
    return sql_values.reader(model._meta.get_field(name))


def _listed(row, read_start, intake_id=None) -> Listed:
    """A ``Listed`` of the columns of ``_LISTED``."""
    return Listed(*row[:5], read_start(row[5]), row[6], intake_id)


def waiting_counts(*, user, now: datetime, since: timedelta, severities) -> tuple[int, int]:
    """How many consultations wait for ``user``'s review (the queue of ``queue_page``, not
    capped), and how many of those hold a screening flag of one of ``severities``. One
    query."""
    severities = list(severities)
    params = [*severities, *_waiting(user, now - since)]
    with connection.cursor() as cursor:
        # No severity asked for: none counts (an empty IN list is not SQL everywhere).
        held_if = _placeholders(severities) or "NULL"
        sql_prepared.execute(cursor, _WAITING_COUNTS.format(severities=held_if), params)
        waiting, flagged = cursor.fetchone()
    return waiting, flagged


def queue_page(
    *, user, now: datetime, since: timedelta, offset: int, size: int, cap: int, limit: int = 25
) -> QueuePage:
    """Everything the review queue's page shows for ``user``, in one query:

    - a page of the consultations ``user`` reviews that have answers and no assessment yet,
      from ``since`` before ``now`` on, soonest first (``size`` of them from ``offset``), their
      screening flags, and how many there are, counted up to ``cap`` + 1;
    - the health checks holding a confirmed session of ``user``'s for review (a "yes", not
      cleared, answered for the session's present time), sessions from ``since`` before
      ``now`` on, soonest first: the rows of ``treatments.selectors.held_sessions``;
    - the upcoming confirmed consultations ``user`` reviews whose type asks for the intake
      before the visit and whose patient has not sent it yet, soonest first (at most
      ``limit``);
    - the names of the practitioners, types and locations of the bookings of these lists.
    """
    vendor = connection.vendor
    waiting = _waiting(user, now - since)
    # No row past the cap is shown: the last page holds what is left of the counted ones.
    shown = max(0, min(size, cap + 1 - offset))
    params = [
        *waiting,
        shown,
        offset,
        *waiting,
        cap + 1,
        # The held sessions'.
        _moment(now - since),
        *_visible(user),
        *[_answer_key(vendor, key) for key, _ in RESCREEN_QUESTIONS],
        # The intakes missing.
        _moment(now),
        *_visible(user),
        limit,
    ]
    with connection.cursor() as cursor:
        sql_prepared.execute(cursor, _queue_page(vendor), params)
        found = cursor.fetchall()
    read_start = _reader(Booking, "starts_at")
    read_answers = _reader(Rescreen, "answers")
    read_submitted = _reader(Rescreen, "submitted_at")
    counted, rows, flags, held, missing = 0, [], {}, [], []
    names = Names({}, {}, {})
    for kind, count, pk, _key, _flag, *row, first, second, third, answers, submitted in found:
        if kind == "queue":
            counted = count  # on each of the queue's rows, and on one at least
            if row[0] is None:  # the count's row of an empty page
                continue
            # A booking comes once for each of its flags, one after the other.
            if not rows or rows[-1].booking_id != row[0]:
                rows.append(_listed(row, read_start, pk))
            if first is not None:
                flags.setdefault(pk, []).append(Flag(first, second, third))
        elif kind == "held":
            booking = _listed(row, read_start)
            # An answer given before the session was moved to a later day holds nothing
            # (``treatments.models.rescreen_current``).
            if read_submitted(submitted) >= booking.starts_at - RESCREEN_OPENS_BEFORE:
                held.append(Held(pk, read_answers(answers), first, booking, second or ""))
        elif kind == "missing":
            missing.append(_listed(row, read_start))
        elif kind == "practitioner":
            # As ``Practitioner.display_name``: the full name, else the username.
            names.practitioners[pk] = f"{first} {second}".strip() or third
        elif kind == "type":
            names.types[pk] = first
        else:
            names.locations[pk] = (first, second)
    return QueuePage(counted, rows, flags, held, missing, names)


@functools.cache
def _queue_page(vendor: str) -> str:
    """The query of ``queue_page`` on this database, which reads JSON its own way."""
    flagged = " OR ".join([_said_yes(vendor)] * len(RESCREEN_QUESTIONS))
    parts = {
        "{shown}": _SHOWN,
        "{counted}": _COUNTED,
        "{held}": _HELD.format(flagged=flagged),
        "{missing}": _INTAKE_MISSING,
    }
    sql = _QUEUE_PAGE
    for name, part in parts.items():
        sql = sql.replace(name, part)
    return sql


def _said_yes(vendor: str) -> str:
    """A test that one answer of the health check (its key a parameter) is "yes"."""
    if vendor == "postgresql":
        return "r.answers ->> %s = 'yes'"
    return "json_extract(r.answers, %s) = 'yes'"


def _answer_key(vendor: str, key: str) -> str:
    return key if vendor == "postgresql" else f'$."{key}"'


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))
