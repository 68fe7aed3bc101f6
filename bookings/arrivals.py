"""The day's arrivals: checking a patient in (and undoing it), closing a consultation once it
has begun (completed, or a no-show), and undoing either on the day: a no-show when the patient
comes late, a completion clicked on the wrong row.

Each is a write on one booking, on its day at its location, under the locks every booking write
takes in the same order (``bookings.services``: the patient, then the booking, then what it
holds). None of them raises a practitioner's schedule version: none moves a free time.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from bookings import holds
from bookings.models import Booking
from bookings.services import (
    BookingError,
    _holds_overlapping_booking,
    _lock_booking,
    _lock_resources,
    patient_lock,
)

# Why a booking no longer takes a check-in or a closing, by its status.
CLOSED_ALREADY = {
    Booking.Status.COMPLETED: "This consultation is already marked completed.",
    Booking.Status.NO_SHOW: "This patient is already marked a no-show.",
    Booking.Status.CANCELLED: "This booking has been cancelled.",
}
# Why a booking in another status is not the one an undo takes back, by the status undone.
NOT_MARKED = {
    Booking.Status.NO_SHOW: "This patient is not marked a no-show.",
    Booking.Status.COMPLETED: "This consultation is not marked completed.",
}

# Sent (sender=Booking, booking=...) before a completion is undone, under the booking's lock:
# each receiver returns why what was made since from the completed visit (a treatment plan,
# say) keeps it completed, or None. The layers above the bookings answer for their own.
completion_undo_refusals = Signal()


def _locked_on_its_day(
    booking: Booking, now: datetime, other_day: str, status=Booking.Status.CONFIRMED
) -> Booking:
    """The booking locked, if its status is ``status`` and it is today at its location; else
    BookingError (``other_day`` for another day)."""
    locked = _lock_booking(booking)
    if locked.status != status:
        raise BookingError(
            CLOSED_ALREADY.get(locked.status, "This booking is confirmed.")
            if status == Booking.Status.CONFIRMED
            else NOT_MARKED[status]
        )
    zone = locked.location.zone
    if locked.starts_at.astimezone(zone).date() != now.astimezone(zone).date():
        raise BookingError(other_day)
    return locked


def _locked_to_confirm_again(
    booking: Booking, now: datetime, status: str, *, other_day: str, stays: str
) -> Booking:
    """For an undo, in the caller's transaction: the patient locked first (as every booking
    write takes the locks), then the booking, if its status is ``status`` and it is today;
    else BookingError (``other_day`` for another day). A visit completed or missed holds the
    patient's time no more, so once they have been booked at an overlapping time since it is
    not confirmed again (``stays`` says what stays)."""
    patient_lock(booking.patient_id)
    locked = _locked_on_its_day(booking, now, other_day, status=status)
    if _holds_overlapping_booking(locked.patient_id, locked.starts_at, locked.ends_at, locked.pk):
        raise BookingError(f"This patient has been booked at an overlapping time since, {stays}")
    return locked


def booking_check_in(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Record that the patient has arrived, on the day of a confirmed consultation."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_on_its_day(
            booking, now, "Patients can be checked in on the day of their consultation only."
        )
        if locked.checked_in_at:
            raise BookingError("This patient is already checked in.")
        locked.checked_in_at = now
        locked.save(update_fields=["checked_in_at", "updated_at"])
    return locked


def booking_check_in_undo(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Take back a check-in made by mistake, on the day, while the consultation is open."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_on_its_day(
            booking, now, "A check-in is undone on the day of the consultation only."
        )
        if not locked.checked_in_at:
            raise BookingError("This patient is not checked in.")
        locked.checked_in_at = None
        locked.save(update_fields=["checked_in_at", "updated_at"])
    return locked


def booking_close(*, booking: Booking, status: str, now: datetime | None = None) -> Booking:
    """Mark a confirmed consultation completed, or the patient a no-show, once it has begun."""
    now = now or timezone.now()
    if status not in (Booking.Status.COMPLETED, Booking.Status.NO_SHOW):
        raise BookingError("A consultation can only be marked completed or no-show.")
    with transaction.atomic():
        locked = _lock_booking(booking)
        if locked.status != Booking.Status.CONFIRMED:
            raise BookingError(CLOSED_ALREADY[locked.status])
        if locked.starts_at > now:
            raise BookingError("This consultation has not started yet.")
        if status == Booking.Status.NO_SHOW and locked.checked_in_at:
            raise BookingError("This patient was checked in, so they are not a no-show.")
        if status == Booking.Status.NO_SHOW:
            # Nobody came: the room and equipment are free for the rest of the time.
            holds.release_resources(locked)
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
    return locked


def booking_no_show_undo(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Take back a no-show marked by mistake or too soon (the patient came late), on the day:
    the consultation is confirmed again, to check the patient in, and a procedure holds its
    room and equipment again. Refused if the patient was booked at an overlapping time since,
    or the room or equipment was taken (a no-show keeps its practitioner's time, not those)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_to_confirm_again(
            booking,
            now,
            Booking.Status.NO_SHOW,
            other_day="A no-show is undone on the day of the consultation only.",
            stays="so the no-show stays: check them in to that booking.",
        )
        resources = _lock_resources(locked.consultation_type, locked.location)
        taken = resources and holds.taken_resources(
            resources, locked.blocked_from, locked.blocked_until, locked.pk
        )
        if taken:
            raise BookingError(
                holds.resources_taken_message(
                    taken, then="The no-show stays: book the patient another time."
                )
            )
        holds.hold_resources(locked, resources)
        locked.status = Booking.Status.CONFIRMED
        locked.save(update_fields=["status", "updated_at"])
    return locked


def booking_complete_undo(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Take back "completed" clicked by mistake (the wrong row), on the day: the consultation
    is confirmed again, its check-in kept. Refused once something has been made from the
    completed visit (``completion_undo_refusals``): a treatment plan needs its consultation
    completed."""
    now = now or timezone.now()
    with transaction.atomic():
        # (A plan's proposal, which reads whether the consultation is completed, takes the
        # same patient lock first.)
        locked = _locked_to_confirm_again(
            booking,
            now,
            Booking.Status.COMPLETED,
            other_day="A completion is undone on the day of the consultation only.",
            stays="so it stays completed.",
        )
        for _, refusal in completion_undo_refusals.send(sender=Booking, booking=locked):
            if refusal:
                raise BookingError(refusal)
        locked.status = Booking.Status.CONFIRMED
        locked.save(update_fields=["status", "updated_at"])
    return locked
