"""The review queue's reads, written out in SQL, the same on PostgreSQL and SQLite but for one
JSON test (``_said_yes``).

Built through the ORM, the page's eleven queries took most of its 26 ms of CPU a view (on the
bench: 4,000 intakes waiting, 25 a page), in compiling each query and making some 200 model
objects, for rows that are ids, names and one time each. Written out, the rows come back as
tuples, and the queries are five and the audit's INSERT (one more for a page past the last).

Joins are kept few, since the planner's cost grows with each table joined: an eight-table join of
the page's rows spent 3–10 ms in planning on the bench for 1 ms of work, and estimating the queue
at 48 rows where it holds thousands, it read every intake to join 25 of them. So a row's patient
and intake are read by a subquery on their unique index, whatever the planner expects, and the
names of the practitioners, types and locations of all the page's lists are read once, in one
query (``names``).

Who sees what is the rule of ``staff.selectors.visible_bookings``: a clinic admin every booking,
anyone else their own (``_VISIBLE``, with ``_visible``'s parameters).
"""

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection

from bookings.models import Booking
from clinic import sql_values
from staff.selectors import sees_all_bookings
from treatments.models import RESCREEN_OPENS_BEFORE, RESCREEN_QUESTIONS, Rescreen

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
# walks them in the page's order along ``booking_confirmed_intake_idx`` and skips those assessed.
_WAITING = f"""b.status = %s AND b.intake_received = %s AND b.starts_at >= %s AND {_VISIBLE}
      AND NOT EXISTS (SELECT 1 FROM patients_assessment a WHERE a.booking_id = b.id)"""  # noqa: S608 - fixed

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

# The queue's page and its count in one statement, each walking the index as far as it needs:
# the count to the cap, the page to its last row. The count's row comes back alone when the
# page is empty. (Counting into a list of the capped queue and cutting the page from it took
# longer: the list was kept in memory and sorted again.)
_WAITING_PAGE = f"""
SELECT counted.n, shown.*
FROM (
    SELECT COUNT(*) AS n FROM (SELECT 1 FROM bookings_booking b WHERE {_WAITING} LIMIT %s) capped
) counted
LEFT JOIN (
    SELECT {_LISTED},
           (SELECT i.id FROM patients_hairlossintake i WHERE i.booking_id = b.id) AS intake_id
    FROM bookings_booking b
    WHERE {_WAITING}
    ORDER BY b.starts_at, b.id
    LIMIT %s OFFSET %s
) shown ON 1 = 1
ORDER BY shown.starts_at, shown.id
"""  # noqa: S608 - fixed text; every value is a parameter

# Upcoming confirmed bookings without answers whose type asks for them, walked in time order
# along ``booking_confirmed_intake_idx``. When no type asks, the first test, worked out once
# before the walk, ends it there: otherwise every upcoming booking would be read to find none.
_INTAKE_MISSING = f"""
SELECT {_LISTED}, NULL
FROM bookings_booking b
JOIN bookings_consultationtype ct ON ct.id = b.consultation_type_id
WHERE EXISTS (SELECT 1 FROM bookings_consultationtype asking WHERE asking.intake_required = %s)
  AND b.status = %s AND b.intake_received = %s AND b.starts_at >= %s AND ct.intake_required = %s
  AND {_VISIBLE}
ORDER BY b.starts_at, b.id
LIMIT %s
"""  # noqa: S608 - fixed text; every value is a parameter

_FLAGS = """
SELECT f.intake_id, f.severity, f.treatment, f.reason
FROM patients_screeningflag f
WHERE f.intake_id IN ({ids})
ORDER BY f.id
"""

_NAMES = """
SELECT 'practitioner', pr.id, u.first_name, u.last_name, u.username
FROM bookings_practitioner pr JOIN auth_user u ON u.id = pr.user_id
WHERE pr.id IN ({practitioners})
UNION ALL
SELECT 'type', ct.id, ct.name, '', '' FROM bookings_consultationtype ct WHERE ct.id IN ({types})
UNION ALL
SELECT 'location', l.id, l.name, l.time_zone, '' FROM bookings_location l
WHERE l.id IN ({locations})
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


@dataclass(frozen=True)
class WaitingPage:
    count: int  # of the whole queue, up to the cap + 1
    rows: list[Listed]  # the page's, in its order


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


def _visible(user) -> list:
    """The parameters of ``_VISIBLE`` for ``user``."""
    return [sees_all_bookings(user), user.pk]


def _moment(value):
    return connection.ops.adapt_datetimefield_value(value)


def _reader(model, name: str):
    """The ORM's reading of ``model``'s field ``name`` (clinic/sql_values.py)."""
    return sql_values.reader(model._meta.get_field(name))


def _listed(row, read_start) -> Listed:
    return Listed(*row[:5], read_start(row[5]), *row[6:8])


def waiting_page(*, user, now: datetime, since: timedelta, offset: int, size: int, cap: int):
    """A page of the consultations ``user`` reviews that have answers and no assessment yet,
    from ``since`` before ``now`` on, soonest first (``size`` of them from ``offset``), and how
    many there are, counted up to ``cap`` + 1. One query."""
    waiting = [Booking.Status.CONFIRMED.value, True, _moment(now - since), *_visible(user)]
    # No row past the cap is shown: the last page holds what is left of the counted ones.
    shown = max(0, min(size, cap + 1 - offset))
    params = [*waiting, cap + 1, *waiting, shown, offset]
    with connection.cursor() as cursor:
        cursor.execute(_WAITING_PAGE, params)
        found = cursor.fetchall()
    read_start = _reader(Booking, "starts_at")
    rows = [_listed(row[1:], read_start) for row in found if row[1] is not None]
    return WaitingPage(found[0][0], rows)


def waiting_counts(*, user, now: datetime, since: timedelta, severities) -> tuple[int, int]:
    """How many consultations wait for ``user``'s review (the queue of ``waiting_page``, not
    capped), and how many of those hold a screening flag of one of ``severities``. One
    query."""
    severities = list(severities)
    params = [
        *severities,
        Booking.Status.CONFIRMED.value,
        True,
        _moment(now - since),
        *_visible(user),
    ]
    with connection.cursor() as cursor:
        # No severity asked for: none counts (an empty IN list is not SQL everywhere).
        held_if = _placeholders(severities) or "NULL"
        cursor.execute(_WAITING_COUNTS.format(severities=held_if), params)
        waiting, flagged = cursor.fetchone()
    return waiting, flagged


def screening_flags(intake_ids: list) -> dict:
    """The screening flags of these intakes, by intake id, in the order they were raised. One
    query, none for no intakes."""
    if not intake_ids:
        return {}
    by_intake = {}
    with connection.cursor() as cursor:
        cursor.execute(_FLAGS.format(ids=_placeholders(intake_ids)), intake_ids)
        for intake_id, *flag in cursor.fetchall():
            by_intake.setdefault(intake_id, []).append(Flag(*flag))
    return by_intake


def intake_missing(*, user, now: datetime, limit: int = 25) -> list[Listed]:
    """Upcoming confirmed consultations ``user`` reviews whose type asks for the intake before
    the visit and whose patient has not sent it yet, soonest first (at most ``limit``). One
    query."""
    params = [
        True,
        Booking.Status.CONFIRMED.value,
        False,
        _moment(now),
        True,
        *_visible(user),
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INTAKE_MISSING, params)
        found = cursor.fetchall()
    read_start = _reader(Booking, "starts_at")
    return [_listed(row, read_start) for row in found]


@functools.cache
def _held_query(vendor: str) -> str:
    """The query of ``held_sessions`` on this database, which reads JSON its own way."""
    flagged = " OR ".join([_said_yes(vendor)] * len(RESCREEN_QUESTIONS))
    return f"""
SELECT r.id, r.answers, r.details, r.submitted_at, {_LISTED}, NULL,
       (SELECT s.name FROM treatments_planstep s WHERE s.booking_id = b.id)
FROM treatments_rescreen r
JOIN bookings_booking b ON b.id = r.booking_id
WHERE r.cleared_at IS NULL AND b.status = %s AND b.starts_at >= %s AND {_VISIBLE}
  AND ({flagged})
ORDER BY b.starts_at, r.id
"""  # noqa: S608 - fixed text; every value is a parameter


def _said_yes(vendor: str) -> str:
    """A test that one answer of the health check (its key a parameter) is "yes"."""
    if vendor == "postgresql":
        return "r.answers ->> %s = 'yes'"
    return "json_extract(r.answers, %s) = 'yes'"


def _answer_key(vendor: str, key: str) -> str:
    return key if vendor == "postgresql" else f'$."{key}"'


def held_sessions(*, user, now: datetime, since: timedelta) -> list[Held]:
    """Health checks holding a confirmed session of ``user``'s for review (a "yes", not
    cleared, answered for the session's present time), sessions from ``since`` before ``now``
    on, soonest first: the rows of ``treatments.selectors.held_sessions``. One query."""
    vendor = connection.vendor
    params = [
        Booking.Status.CONFIRMED.value,
        _moment(now - since),
        *_visible(user),
        *[_answer_key(vendor, key) for key, _ in RESCREEN_QUESTIONS],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_held_query(vendor), params)
        found = cursor.fetchall()
    read_start = _reader(Booking, "starts_at")
    read_answers = _reader(Rescreen, "answers")
    read_submitted = _reader(Rescreen, "submitted_at")
    held = []
    for rescreen_id, answers, details, submitted_at, *row in found:
        booking = _listed(row, read_start)
        # An answer given before the session was moved to a later day holds nothing
        # (``treatments.models.rescreen_current``).
        if read_submitted(submitted_at) >= booking.starts_at - RESCREEN_OPENS_BEFORE:
            held.append(Held(rescreen_id, read_answers(answers), details, booking, row[-1] or ""))
    return held


def names(lists) -> Names:
    """The names of the practitioners, types and locations of the bookings in ``lists`` (of
    ``Listed`` rows, or of ``Held`` ones), in one query of small tables, none for no rows."""
    bookings = [row.booking if isinstance(row, Held) else row for rows in lists for row in rows]
    if not bookings:
        return Names({}, {}, {})
    practitioners = sorted({b.practitioner_id for b in bookings})
    types = sorted({b.consultation_type_id for b in bookings})
    locations = sorted({b.location_id for b in bookings})
    sql = _NAMES.format(
        practitioners=_placeholders(practitioners),
        types=_placeholders(types),
        locations=_placeholders(locations),
    )
    found = Names({}, {}, {})
    with connection.cursor() as cursor:
        cursor.execute(sql, [*practitioners, *types, *locations])
        for kind, pk, first, second, third in cursor.fetchall():
            if kind == "practitioner":
                # As ``Practitioner.display_name``: the full name, else the username.
                found.practitioners[pk] = f"{first} {second}".strip() or third
            elif kind == "type":
                found.types[pk] = first
            else:
                found.locations[pk] = (first, second)
    return found


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))
