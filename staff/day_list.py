"""The day list's reading: each location's consultations of a day, as plain values.

A busy day lists 160 consultations. Read as model objects, each with its patient, practitioner,
user, consultation type and location, and every column of each, the reading cost most of the
page's time; here a booking is one row of values, the names it shows joined in (``DayBooking``),
in one query whatever the day holds.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bookings.models import Booking, ConsultationType, Location, video_room_link
from patients.models import HairLossIntake

VALUES = (
    "pk",
    "patient_id",
    "patient__first_name",
    "patient__last_name",
    "practitioner__user__first_name",
    "practitioner__user__last_name",
    "practitioner__user__username",
    "consultation_type__name",
    "consultation_type__kind",
    "consultation_type__mode",
    "location_id",
    "starts_at",
    "status",
    "checked_in_at",
    "video_room",
)


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
    # consultation has its assessment.
    intake: HairLossIntake | None = None
    assessed: bool = False
    # A procedure session's health check, held for review or unanswered (set by the view).
    session_check: object = None

    @property
    def is_procedure_session(self) -> bool:
        return (
            self.consultation_kind == ConsultationType.Kind.PROCEDURE
            and self.status == Booking.Status.CONFIRMED
        )


def _day_booking(row, location: Location, assessed: bool) -> DayBooking:
    (pk, patient_id, first, last, user_first, user_last, username) = row[:7]
    (type_name, kind, mode, _, starts_at, status, checked_in_at, room) = row[7:15]
    return DayBooking(
        pk=pk,
        patient_id=patient_id,
        patient_name=f"{first} {last}",  # as Patient.full_name
        # As Practitioner.display_name: the user's full name, else their username.
        practitioner_name=f"{user_first} {user_last}".strip() or username,
        consultation_name=type_name,
        consultation_kind=kind,
        video_link=video_room_link(room) if mode == ConsultationType.Mode.VIDEO else "",
        location=location,
        starts_at=starts_at,
        status=status,
        checked_in_at=checked_in_at,
        assessed=assessed,
    )


@dataclass(frozen=True)
class LocationDay:
    location: Location
    day: date
    bookings: list[DayBooking]


def day_schedule(
    *, locations, day: date | None, now: datetime, practitioner=None
) -> list[LocationDay]:
    """Each location's consultations of ``day``, soonest first, in one query. With ``day`` None
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
        bookings = Booking.objects.filter(
            starts_at__gte=min(start for _, start, _ in bounds.values()),
            starts_at__lt=max(end for _, _, end in bounds.values()),
        )
        values = VALUES
        if practitioner is not None:
            bookings = bookings.filter(practitioner=practitioner)
            values += ("assessment__id",)
        located = {location.pk: location for location in locations}
        for row in bookings.order_by("starts_at", "pk").values_list(*values):
            location_id, starts_at = row[10], row[11]
            _, start, end = bounds[location_id]
            if start <= starts_at < end:
                assessed = practitioner is not None and row[15] is not None
                by_location[location_id].append(_day_booking(row, located[location_id], assessed))
        if practitioner is not None:
            add_intakes([b for day_list in by_location.values() for b in day_list])
    return [LocationDay(loc, bounds[loc.pk][0], by_location[loc.pk]) for loc in locations]


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
