"""Why a booking was refused, in words fit for the person, with the nearest free times.

The booking writes (``bookings.services``) raise ``BookingError``; what it says is worked out
here, after the write's transaction has been rolled back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError
from django.utils.formats import date_format

from bookings import holds, selectors
from bookings.availability import Slot
from bookings.models import Booking, ConsultationType, Location, Practitioner

TAKEN_MESSAGE = "Sorry, that time has just been taken. Please choose another time."
PATIENT_BUSY_MESSAGE = (
    "You already have a consultation at that time. Your confirmation e-mail has the link to "
    "view or move it; or choose another time for this one."
)
PATIENT_BUSY_MESSAGE_FOR_STAFF = (
    "This patient already has a consultation at that time. Choose another time, or move that "
    "booking from the diary."
)
# PostgreSQL's exclusion constraint on a patient's bookings (migration 0011), and the one on
# resource holds (0013); the other one, on a practitioner's, means the time has been taken.
PATIENT_OVERLAP = "booking_patient_no_overlap"
RESOURCE_OVERLAP = "resource_hold_no_overlap"
RESOURCE_TAKEN_MESSAGE = (
    "A room or piece of equipment this procedure needs is taken at that time. Please choose "
    "another time."
)
NOT_HERE_MESSAGE = (
    "This procedure cannot be booked at this location: the rooms and equipment it needs are "
    "at another one."
)


def closed_on(location, day, closure: str) -> str:
    """ "Hampstead is closed on Friday 25 December (Christmas Day)": the start of what a person
    is told about a time on a day the location is closed."""
    return f"{location.name} is closed on {date_format(day, 'l j F')} ({closure})"


def patient_busy(by_staff: bool) -> BookingError:
    return BookingError(PATIENT_BUSY_MESSAGE_FOR_STAFF if by_staff else PATIENT_BUSY_MESSAGE)


def overlap_refusal(error: IntegrityError, by_staff: bool) -> BookingError | None:
    """Explain PostgreSQL's exclusion-constraint refusal, or return None for any other error."""
    cause = error.__cause__
    if getattr(cause, "pgcode", None) != "23P01":
        return None
    diag = getattr(cause, "diag", None)
    if getattr(diag, "constraint_name", None) == PATIENT_OVERLAP:
        return patient_busy(by_staff)
    if getattr(diag, "constraint_name", None) == RESOURCE_OVERLAP:
        return BookingError(RESOURCE_TAKEN_MESSAGE)
    return BookingError(TAKEN_MESSAGE)


class BookingError(Exception):
    """A booking rule refused the request; ``message`` is fit to show to the person."""

    def __init__(self, message: str, *, alternatives: list[Slot] | None = None):
        super().__init__(message)
        self.message = message
        self.alternatives = alternatives or []


def refusal_for(
    consultation_type, location, starts_at, practitioner, now, exclude=None, by_staff=False
):
    """Explain, for a person, why ``starts_at`` is not bookable, with the nearest free times."""
    rules = selectors.slot_rules(consultation_type, by_staff)
    day = starts_at.astimezone(location.zone).date()
    if starts_at < now:
        message = "That time has already passed. Please choose a time in the future."
    elif starts_at < now + rules.min_notice:
        message = (
            f"That time is too soon to book online: this consultation needs at least "
            f"{consultation_type.min_notice_hours} hours' notice."
        )
    elif starts_at > now + rules.horizon:
        message = (
            f"That time is too far ahead: bookings open {consultation_type.horizon_days} days "
            "in advance."
        )
    elif closed := selectors.closed_days(location, day, day):
        message = f"{closed_on(location, day, closed[day])}. Please choose another day."
    else:
        ids = (
            [practitioner.pk]
            if practitioner
            else list(
                selectors.eligible_practitioners(consultation_type, location).values_list(
                    "pk", flat=True
                )
            )
        )
        held_from = starts_at - rules.buffer_before
        held_until = starts_at + rules.duration + rules.buffer_after
        clashes = Booking.objects.active().filter(
            practitioner_id__in=ids, blocked_from__lt=held_until, blocked_until__gt=held_from
        )
        if exclude is not None:
            clashes = clashes.exclude(pk=exclude)
        resources = selectors.needed_resources(consultation_type, location)
        taken = resources and holds.taken_resources(resources, held_from, held_until, exclude)
        # The practitioner asked for is busy: that says it all. Otherwise a room or piece of
        # equipment taken is what a person needs to hear (for "any practitioner" too, where
        # one practitioner's booking does not explain why the others were not offered).
        if resources is None:
            message = NOT_HERE_MESSAGE
        elif practitioner is not None and clashes.exists():
            message = TAKEN_MESSAGE
        elif taken:
            message = holds.resources_taken_message(taken)
        elif clashes.exists():
            message = TAKEN_MESSAGE
        else:
            message = "That time is not available. Please choose one of the times offered."
    alternatives = nearest_slots(
        consultation_type=consultation_type,
        location=location,
        around=starts_at,
        practitioner=practitioner,
        now=now,
        exclude_booking_id=exclude,
    )
    return BookingError(message, alternatives=alternatives)


def nearest_slots(
    *,
    consultation_type: ConsultationType,
    location: Location,
    around: datetime,
    practitioner: Practitioner | None = None,
    now: datetime | None = None,
    count: int = 3,
    exclude_booking_id: int | None = None,
) -> list[Slot]:
    """Return up to ``count`` free slots closest to ``around``, within a week either side."""
    day = around.astimezone(location.zone).date()
    result = selectors.available_slots(
        consultation_type=consultation_type,
        location=location,
        first_day=day - timedelta(days=7),
        last_day=day + timedelta(days=7),
        practitioner=practitioner,
        now=now,
        exclude_booking_id=exclude_booking_id,
    )
    closest = sorted(result.slots, key=lambda slot: abs(slot.start - around))[:count]
    return sorted(closest, key=lambda slot: slot.start)
