"""The day list's reading: each location's consultations of a day, as plain values.

A busy day lists 160 consultations. Read as model objects, each with its patient, practitioner,
user, consultation type and location, and every column of each, the reading cost most of the
page's time; here a booking is one row of values, the names it shows joined in (``DayBooking``),
in one query whatever the day holds.

That query is written out in SQL (``_day_query``), the same on SQLite and PostgreSQL. Built
through the ORM, it cost more to compile than to run, and its five-table join cost PostgreSQL
more to plan (2–6 ms) than to run; and with the patients joined, the planner read every patient
into a hash to find a day's 160 of them. The patient's name is now a subquery by the patient's
key, one index lookup a booking, and the join is left with the small tables.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import connection

from bookings.models import (
    Booking,
    ConsultationType,
    Location,
    Practitioner,
    TimeOff,
    video_room_link,
)
from bookings.selectors import closures_covering
from clinic import sql_prepared, sql_values
from patients.models import Assessment, HairLossIntake, Patient


def _day_query(*, mine: bool) -> str:
    """The day's bookings between two moments, soonest first, as ``_day_booking`` reads them;
    ``mine`` adds the practitioner to the parameters and whether each booking is assessed (a
    draft, or signed off) to the columns."""
    # NULL for none, false for a draft, true once signed off.
    assessed = (
        f", (SELECT a.signed_off_at IS NOT NULL FROM {Assessment._meta.db_table} a "  # noqa: S608
        "WHERE a.booking_id = b.id)"
        if mine
        else ""
    )
    return (
        "SELECT b.id, b.patient_id, "  # noqa: S608 - the models' own names, no input
        # As Patient.full_name.
        f"(SELECT p.first_name || ' ' || p.last_name FROM {Patient._meta.db_table} p "
        "WHERE p.id = b.patient_id), "
        "u.first_name, u.last_name, u.username, ct.name, ct.kind, ct.mode, "
        f"b.location_id, b.starts_at, b.status, b.checked_in_at, b.video_room, "
        # Time off saved after the booking was made (it stays booked until someone moves it):
        # an index probe a row (``time_off_pract_end_idx``), in the same query.
        f"EXISTS (SELECT 1 FROM {TimeOff._meta.db_table} t "
        "WHERE t.practitioner_id = b.practitioner_id AND t.ends_at > b.starts_at "
        f"AND t.starts_at < b.ends_at){assessed} "
        f"FROM {Booking._meta.db_table} b "
        f"JOIN {Practitioner._meta.db_table} pr ON pr.id = b.practitioner_id "
        f"JOIN {get_user_model()._meta.db_table} u ON u.id = pr.user_id "
        f"JOIN {ConsultationType._meta.db_table} ct ON ct.id = b.consultation_type_id "
        "WHERE b.starts_at >= %s AND b.starts_at < %s"
        + (" AND b.practitioner_id = %s" if mine else "")
        + " ORDER BY b.starts_at, b.id"
    )


DAY_QUERY = _day_query(mine=False)
MY_DAY_QUERY = _day_query(mine=True)


@dataclass(slots=True)
class DayBooking:
    """A booking as the day list shows it and acts on it."""

    pk: int
    patient_id: int
    patient_name: str
    practitioner_name: str
    consultation_name: str
    consultation_kind: str
    video_link: str  # "" for a visit in person
    location: Location
    starts_at: datetime
    status: str
    checked_in_at: datetime | None
    # For a practitioner's own list: the intake (with its flags), if sent, and whether the
    # consultation has its assessment, and whether that is still a draft (which may leave
    # parts for later).
    intake: HairLossIntake | None = None
    assessed: bool = False
    draft: bool = False
    # A procedure session's health check, held for review or unanswered (set by the view).
    session_check: object = None
    # The practitioner has time off then (saved after the booking was made).
    during_time_off: bool = False

    @property
    def is_procedure_session(self) -> bool:
        return (
            self.consultation_kind == ConsultationType.Kind.PROCEDURE
            and self.status == Booking.Status.CONFIRMED
        )


def _day_booking(row, location: Location, starts_at, checked_in_at) -> DayBooking:
    (pk, patient_id, patient_name, user_first, user_last, username, type_name, kind, mode) = row[:9]
    return DayBooking(
        pk=pk,
        patient_id=patient_id,
        patient_name=patient_name,
        # As Practitioner.display_name: the user's full name, else their username.
        practitioner_name=f"{user_first} {user_last}".strip() or username,
        consultation_name=type_name,
        consultation_kind=kind,
        video_link=video_room_link(row[13]) if mode == ConsultationType.Mode.VIDEO else "",
        location=location,
        starts_at=starts_at,
        status=row[11],
        checked_in_at=checked_in_at,
        during_time_off=bool(row[14]),
        assessed=len(row) > 15 and row[15] is not None,
        draft=len(row) > 15 and row[15] is not None and not row[15],
    )


@dataclass(frozen=True)
class LocationDay:
    location: Location
    day: date
    bookings: list[DayBooking]
    # The closure's name when the location is closed that day.
    closed: str = ""

    @property
    def to_move(self) -> bool:
        """Whether a booking is still confirmed on the day (to move, were the day closed)."""
        return any(b.status == Booking.Status.CONFIRMED for b in self.bookings)


def closed_locations(days: dict[int, date]) -> dict[int, str]:
    """Return the locations (of ``days``: each location's day) closed on their day, each with
    the closure's name, in one query."""
    if not days:
        return {}
    rows = closures_covering(days, min(days.values()), max(days.values()))
    return {
        location_id: name
        for location_id, first, last, name in rows
        if first <= days[location_id] <= last
    }


def day_schedule(
    *, locations, day: date | None, now: datetime, practitioner=None
) -> list[LocationDay]:
    """Each location's consultations of ``day``, soonest first, in one query, and whether it is
    closed that day, in another. With ``day`` None
    it is "today", which is each location's own date: Dubai's day may have begun while London's
    has not.

    For one ``practitioner``: their consultations only, and whether each is assessed, with the
    intakes and their flags (two queries more on a day with any)."""
    bounds = {}
    for location in locations:
        local_day = day or now.astimezone(location.zone).date()
        start = datetime.combine(local_day, time(0), tzinfo=location.zone)
        bounds[location.pk] = (local_day, start, start + timedelta(days=1))
    by_location = {location.pk: [] for location in locations}
    if locations:
        ops = connection.ops
        params = [
            ops.adapt_datetimefield_value(min(start for _, start, _ in bounds.values())),
            ops.adapt_datetimefield_value(max(end for _, _, end in bounds.values())),
        ]
        if practitioner is not None:
            params.append(practitioner.pk)
        with connection.cursor() as cursor:
            query = DAY_QUERY if practitioner is None else MY_DAY_QUERY
            sql_prepared.execute(cursor, query, params)
            rows = cursor.fetchall()
        # SQLite gives the moments as text; PostgreSQL's driver as datetimes already.
        read = sql_values.reader(Booking._meta.get_field("starts_at"))
        located = {location.pk: location for location in locations}
        for row in rows:
            location_id, starts_at, checked_in_at = row[9], row[10], row[12]
            if read is not sql_values.unchanged:
                starts_at, checked_in_at = read(starts_at), read(checked_in_at)
            _, start, end = bounds[location_id]
            if start <= starts_at < end:
                by_location[location_id].append(
                    _day_booking(row, located[location_id], starts_at, checked_in_at)
                )
        if practitioner is not None:
            add_intakes([b for day_list in by_location.values() for b in day_list])
    closed = closed_locations({pk: local_day for pk, (local_day, _, _) in bounds.items()})
    return [
        LocationDay(loc, bounds[loc.pk][0], by_location[loc.pk], closed.get(loc.pk, ""))
        for loc in locations
    ]


def add_intakes(bookings: list[DayBooking]) -> None:
    """Give each booking its intake, if sent, with the intake's flags (two queries, none for
    an empty list)."""
    by_booking = {b.pk: b for b in bookings}
    if not by_booking:
        return
    intakes = HairLossIntake.objects.filter(booking_id__in=list(by_booking)).prefetch_related(
        "flags"
    )
    for intake in intakes:
        by_booking[intake.booking_id].intake = intake
