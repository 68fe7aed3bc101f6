"""Every booking write with a business rule. One transaction each; refusals raise BookingError.

Whatever a browser sent, each write re-checks the slot against every rule by asking the slot
engine whether the requested start is offered right now. Races are settled in the database: the
patient and the practitioners concerned are locked (``SELECT … FOR UPDATE``) before the re-check,
so two requests for one practitioner, or for one patient, are checked one after the other (a
patient added in the booking's own transaction needs no lock: no other one can see them); on
SQLite, where that lock does not exist, every transaction takes the database's write lock at BEGIN
(``transaction_mode`` IMMEDIATE). On PostgreSQL exclusion constraints also make an overlapping
insert impossible, whatever the code: two active bookings of one practitioner, or two confirmed
bookings of one patient, never overlap, and no two bookings hold one resource at once.

A procedure holds the rooms and equipment it needs (``ResourceHold`` rows) over the same blocked
interval as its practitioner: written with the booking, moved with it, deleted when it is
cancelled or its patient does not come.

Locks are always taken in the same order, so that two writes can never wait for each other: a
booking form in progress (confirming one), the patient (``patient_lock``), the bookings being
changed (in id order), the practitioners (in id order; for "first available", only the one
chosen, see ``_lock_candidate``), the resources a procedure needs (in id
order), and last the slot picker's schedule versions, raised as each booking is saved (in a
booking confirm, with its other last writes, at its end: ``clinic.sql_batch``). A new
booking's holds are written just after it, still under its resources' locks, so no other writer
can be waiting for them. Erasure (``bookings.privacy``) and the follow-up
(``bookings.follow_up``) keep the same order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bookings import first_available, holds, selectors, tasks
from bookings.models import Booking, ConsultationType, Location, Practitioner
from bookings.refusals import (
    NOT_HERE_MESSAGE,
    BookingError,
    overlap_refusal,
    patient_busy,
    refusal_for,
)
from clinic import sql_batch
from clinic.audit import insert_audited
from patients.models import Patient
from patients.services import consents_record, patient_from_details

ERASED_MESSAGE = (
    "This patient's personal data has been erased at their request: nothing more can be booked "
    "for them. If they come back, book them as a new patient."
)


def patient_lock(patient_id: int) -> None:
    """Lock the patient's row for the rest of the transaction; refuse an erased patient.

    It serialises every booking write for one patient, so that the overlap check sees the
    other's booking, and PostgreSQL's constraint never has to choose between two inserts waiting
    for each other (which it reports as a deadlock, not a refusal). Every write that touches a
    patient's bookings or records takes it first (erasure included), so they never wait for
    each other in opposite orders.
    """
    erased = (
        Patient.objects.select_for_update()
        .filter(pk=patient_id)
        .values_list("erased_at", flat=True)
        .first()
    )
    if erased is not None:
        raise BookingError(ERASED_MESSAGE)


def _holds_overlapping_booking(patient_id, starts_at, ends_at, exclude=None) -> bool:
    """Tell whether the patient holds a confirmed booking overlapping ``[starts_at, ends_at)``
    (one completed or missed holds their time no more)."""
    held = Booking.objects.filter(
        status=Booking.Status.CONFIRMED,
        patient_id=patient_id,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude is not None:
        held = held.exclude(pk=exclude)
    return held.exists()


def _lock_resources(consultation_type, location) -> list:
    """Lock the rooms and equipment a procedure needs, after the practitioners; return those
    needed here. Refuse a procedure whose resources are all at another location."""
    resources = selectors.needed_resources(consultation_type, location, lock=True)
    if resources is None:
        raise BookingError(NOT_HERE_MESSAGE)
    return resources


def _lock_practitioners(practitioner_ids) -> None:
    # Locked in id order, so that two transactions locking overlapping sets cannot deadlock.
    list(
        Practitioner.objects.select_for_update()
        .filter(pk__in=practitioner_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _day_availability(
    consultation_type,
    location,
    starts_at,
    practitioner,
    now,
    exclude=None,
    by_staff=False,
):
    day = starts_at.astimezone(location.zone).date()
    return selectors.available_slots(
        consultation_type=consultation_type,
        location=location,
        first_day=day,
        last_day=day,
        practitioner=practitioner,
        now=now,
        exclude_booking_id=exclude,
        by_staff=by_staff,
    )


def blocked_interval(consultation_type: ConsultationType, starts_at: datetime):
    """Return (ends_at, blocked_from, blocked_until) of a consultation starting then: its end,
    and the stretch its buffers keep the practitioner busy."""
    ends_at = starts_at + consultation_type.duration
    return (
        ends_at,
        starts_at - timedelta(minutes=consultation_type.buffer_before_minutes),
        ends_at + timedelta(minutes=consultation_type.buffer_after_minutes),
    )


def _check_time(starts_at: datetime) -> None:
    if timezone.is_naive(starts_at):
        raise BookingError("That time could not be read. Please choose one of the times offered.")


class _SlotUnavailable(Exception):
    """Raised inside a transaction to roll it back before the refusal is explained."""


class _PatientBusy(Exception):
    """Raised inside a transaction when the patient already holds an overlapping booking."""


class _CandidateTaken(Exception):
    """The practitioner chosen for "first available" was taken before their lock was held."""


class _Savepoint:
    """A savepoint taken before a lock: rolled back to on a refusal (which gives back every
    lock taken since, and undoes whatever was written), never released on success, where
    releasing would only cost a round trip (the transaction's end releases it). Rolled back
    to, it leaves the transaction as it was before, as ``transaction.atomic()`` would; unlike
    it, its statement can be sent along with the first lock
    (``first_available.lock_and_check``)."""

    def __init__(self, name: str):
        self.name = name
        self.taken = False
        self.writes_kept = None

    def statement(self) -> str:
        """Return the statement that takes it, for the caller to send; "" once taken."""
        if self.taken:
            return ""
        self.taken = True
        self.writes_kept = sql_batch.mark()
        return f"SAVEPOINT {self.name}"

    def take(self) -> None:
        if statement := self.statement():
            with connection.cursor() as cursor:
                cursor.execute(statement)

    def roll_back(self) -> None:
        """Undo everything since it was taken, if it was; it stays, for another try."""
        if self.taken:
            with connection.cursor() as cursor:
                cursor.execute(f"ROLLBACK TO SAVEPOINT {self.name}")
            # Writes kept to be sent later (``clinic.sql_batch``) are undone with the rest.
            sql_batch.drop_since(self.writes_kept)
            # An error inside an inner ``atomic`` (an insert's) marked the transaction for
            # rollback; rolled back to before it, the transaction is sound again.
            transaction.set_rollback(False)


def _lock_candidate(
    practitioner_id, consultation_type, location, starts_at, savepoint: _Savepoint
) -> list:
    """Lock the practitioner chosen for a "first available" booking, and the resources it
    needs; return those. Raise _CandidateTaken if they were taken since they were read free.

    Only the one chosen is locked, so confirms for different practitioners run side by side,
    where locking every eligible practitioner made them wait for each other. Were the one
    chosen taken meanwhile, the caller rolls back its savepoint, which gives their lock back,
    and tries the next: a transaction never holds two practitioners' locks, so two of them
    cannot wait for each other either. The savepoint, the lock and the re-check of the
    candidate's bookings go to the database in one round trip.
    """
    _, held_from, held_until = blocked_interval(consultation_type, starts_at)
    # Under the lock only what another booking can have changed since the read is checked
    # again: the candidate's bookings, and the resources' holds.
    if first_available.lock_and_check(
        practitioner_id, held_from, held_until, first=savepoint.statement()
    ):
        raise _CandidateTaken
    resources = _lock_resources(consultation_type, location)
    if resources and holds.taken_resources(resources, held_from, held_until, None):
        raise _CandidateTaken
    return resources


def booking_create(
    *,
    patient,
    consultation_type: ConsultationType,
    location: Location,
    starts_at: datetime,
    practitioner: Practitioner | None = None,
    now: datetime | None = None,
    notify: bool = True,
    by_staff: bool = False,
    new_patient: bool = False,
) -> Booking:
    """Book a consultation or a procedure, with ``practitioner`` or, when None, the first
    available one. A procedure holds every room and piece of equipment it needs at the location.

    Raise BookingError if the slot breaks any rule or has just been taken, or if the patient
    already holds a booking at an overlapping time; the caller's transaction is then as it was
    before. With ``notify``, the confirmation e-mails and the reminder are queued for when the
    transaction commits. ``new_patient``: the patient was added in the caller's transaction,
    still open (``patient_found_or_added``).
    """
    now = now or timezone.now()
    _check_time(starts_at)
    if not consultation_type.is_active:
        raise BookingError("This consultation is no longer offered online. Please call the clinic.")
    savepoint = _Savepoint("booking_create")
    failure = None
    # One transaction (the caller's, if it has one); a refusal rolls back to the savepoint and
    # is raised after, so that it never marks the caller's transaction for rollback.
    with transaction.atomic(savepoint=False):
        try:
            booking = _create(
                savepoint,
                patient=patient,
                consultation_type=consultation_type,
                location=location,
                starts_at=starts_at,
                practitioner=practitioner,
                now=now,
                notify=notify,
                by_staff=by_staff,
                new_patient=new_patient,
            )
        except Exception as error:
            savepoint.roll_back()
            failure = error
    if failure is None:
        return booking
    if isinstance(failure, _SlotUnavailable):
        # Explained after the rollback, so that the locks are not held while it is worked out.
        raise refusal_for(
            consultation_type, location, starts_at, practitioner, now, by_staff=by_staff
        ) from None
    if isinstance(failure, _PatientBusy):
        raise patient_busy(by_staff) from None
    if isinstance(failure, IntegrityError):
        # Only reachable if a writer bypassed the locks; the exclusion constraints still held.
        refusal = overlap_refusal(failure, by_staff)
        if refusal is not None:
            raise refusal from failure
    raise failure


def _create(
    savepoint: _Savepoint,
    *,
    patient,
    consultation_type,
    location,
    starts_at,
    practitioner,
    now,
    notify,
    by_staff,
    new_patient,
) -> Booking:
    """``booking_create``'s tries, in its transaction, from its ``savepoint`` on."""
    ends_at, blocked_from, blocked_until = blocked_interval(consultation_type, starts_at)
    # A patient added in this very transaction is seen by no other one until it commits:
    # nobody else can book, change or erase them, and they hold no booking, so neither their
    # lock nor the overlap check could find anything.
    if not new_patient:
        savepoint.take()
        patient_lock(patient.pk)
        if _holds_overlapping_booking(patient.pk, starts_at, ends_at):
            raise _PatientBusy
    if practitioner is not None:
        savepoint.take()
        _lock_practitioners([practitioner.pk])
        resources = _lock_resources(consultation_type, location)
        day = _day_availability(
            consultation_type, location, starts_at, practitioner, now, by_staff=by_staff
        )
        if day.slot_at(starts_at) is None:
            raise _SlotUnavailable
        chosen = {"practitioner": practitioner}
    else:
        # "First available": who is free, read without a lock, best first, once however many
        # tries it takes.
        candidates = first_available.ranked_free_practitioners(
            consultation_type=consultation_type,
            location=location,
            starts_at=starts_at,
            now=now,
            by_staff=by_staff,
        )
        # Before the candidate's lock: the try's own savepoint, or, after the patient's lock,
        # one of its own, so that a candidate given back keeps the patient's lock (the locks
        # keep their order).
        before_candidate = _Savepoint("booking_candidate") if savepoint.taken else savepoint
        while True:
            if not candidates:
                raise _SlotUnavailable
            try:
                resources = _lock_candidate(
                    candidates[0], consultation_type, location, starts_at, before_candidate
                )
                break
            except _CandidateTaken:
                # Taken meanwhile: their lock given back, the next in the fair rule's order.
                before_candidate.roll_back()
                candidates.pop(0)
        # By id: the booking never needs the practitioner's row.
        chosen = {"practitioner_id": candidates[0]}
    booking = Booking(
        patient=patient,
        **chosen,
        consultation_type=consultation_type,
        location=location,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from=blocked_from,
        blocked_until=blocked_until,
    )
    # With its audit row, in one round trip; what its save adds of its own first.
    booking.digest_token()
    insert_audited(booking)
    holds.hold_resources(booking, resources, replace=False)
    if notify:
        tasks.notify_and_remind_on_commit(booking, "confirmed")
    return booking


CHANGED_SINCE = (
    "This booking was changed while this page was open (in another tab, or by a colleague), "
    "so it was not moved. Its time now is shown above: choose again if it still needs moving."
)


def _check_changeable(booking: Booking, *, by_staff: bool, now: datetime, action: str) -> None:
    if booking.status == Booking.Status.CANCELLED:
        raise BookingError("This booking has been cancelled, so it can no longer be changed.")
    if booking.status != Booking.Status.CONFIRMED or booking.starts_at <= now:
        raise BookingError("This consultation has already started or taken place.")
    cutoff = timedelta(hours=booking.consultation_type.late_cancel_hours)
    if not by_staff and booking.starts_at - now < cutoff:
        raise BookingError(
            f"Your consultation is less than {booking.consultation_type.late_cancel_hours} hours "
            f"away, so it can no longer be {action} online. Please call the clinic."
        )


def _lock_booking(booking: Booking) -> Booking:
    # ``of=("self",)``: lock the booking row only, not the type and location joined to it.
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("consultation_type", "location")
        .get(pk=booking.pk)
    )


def booking_cancel(
    *,
    booking: Booking,
    reason: str = "",
    by_staff: bool = False,
    now: datetime | None = None,
    notify: bool = True,
    cancel_arrived: bool = False,
) -> Booking:
    """Cancel a confirmed booking, freeing what it held. Patients cannot cancel inside the
    type's late-cancel cutoff. A patient who has checked in is not cancelled by a click (the
    check-in is undone first) unless ``cancel_arrived``, as when their plan is stopped."""
    now = now or timezone.now()
    with transaction.atomic():
        # The patient first, then the booking, as every booking write takes them.
        patient_lock(booking.patient_id)
        locked = _lock_booking(booking)
        _check_changeable(locked, by_staff=by_staff, now=now, action="cancelled")
        if locked.checked_in_at and not cancel_arrived:
            raise BookingError(
                "This patient has checked in, so the booking was not cancelled. If the visit "
                "is not going ahead, undo the check-in first."
                if by_staff
                else "You have checked in at the clinic, so the booking was not cancelled: "
                "please speak to reception."
            )
        holds.release_resources(locked)
        locked.status = Booking.Status.CANCELLED
        locked.cancelled_at = now
        locked.cancellation_reason = reason.strip()[:500]
        locked.sequence += 1
        locked.save(
            update_fields=[
                "status",
                "cancelled_at",
                "cancellation_reason",
                "sequence",
                "updated_at",
            ]
        )
        if notify:
            tasks.notify_on_commit(locked, "cancelled")
        tasks.offer_freed_time_on_commit(locked, locked.starts_at, locked.practitioner_id)
    return locked


def booking_reschedule(
    *,
    booking: Booking,
    starts_at: datetime,
    practitioner: Practitioner | None = None,
    by_staff: bool = False,
    now: datetime | None = None,
    notify: bool = True,
    expected_sequence: int | None = None,
) -> Booking:
    """Move a confirmed booking to ``starts_at``, with the same practitioner unless one is given.

    The new time must pass every rule a new booking would; the booking keeps its identity and
    private link, and its calendar sequence is raised. A procedure's holds move with it. A
    check-in is for the day the patient came: moved to another day, the booking is theirs to
    check in again on that day.

    ``expected_sequence``: the booking's sequence when the person chose the new time (their page
    sends it back); a booking changed since, in another tab or by someone else, is refused
    rather than moved again from a time the person no longer sees.
    """
    now = now or timezone.now()
    _check_time(starts_at)
    try:
        with transaction.atomic():
            # The patient (a booking never changes patient), then the booking, so that "the
            # same practitioner" is read from the locked row; then the practitioner. No other
            # write takes these locks in another order.
            patient_lock(booking.patient_id)
            locked = _lock_booking(booking)
            target = practitioner or locked.practitioner
            _lock_practitioners([target.pk])
            ct, location = locked.consultation_type, locked.location
            resources = _lock_resources(ct, location)
            _check_changeable(locked, by_staff=by_staff, now=now, action="moved")
            if expected_sequence is not None and locked.sequence != expected_sequence:
                raise BookingError(CHANGED_SINCE)
            if starts_at == locked.starts_at and target.pk == locked.practitioner_id:
                return locked
            ends_at, blocked_from, blocked_until = blocked_interval(ct, starts_at)
            if _holds_overlapping_booking(locked.patient_id, starts_at, ends_at, locked.pk):
                raise _PatientBusy
            day = _day_availability(
                ct, location, starts_at, target, now, exclude=locked.pk, by_staff=by_staff
            )
            if day.slot_at(starts_at) is None:
                raise _SlotUnavailable
            freed_at, freed_with = locked.starts_at, locked.practitioner_id
            zone = location.zone
            if locked.checked_in_at and starts_at.astimezone(zone).date() != (
                freed_at.astimezone(zone).date()
            ):
                locked.checked_in_at = None
            locked.practitioner = target
            locked.starts_at, locked.ends_at = starts_at, ends_at
            locked.blocked_from, locked.blocked_until = blocked_from, blocked_until
            locked.sequence += 1
            # Moved before the booking is saved, as its save raises the schedule versions,
            # which every write takes last.
            holds.hold_resources(locked, resources)
            locked.save()
            if notify:
                tasks.notify_and_remind_on_commit(locked, "rescheduled")
            tasks.offer_freed_time_on_commit(locked, freed_at, freed_with)
    except _SlotUnavailable:
        raise refusal_for(
            ct, location, starts_at, target, now, exclude=locked.pk, by_staff=by_staff
        ) from None
    except _PatientBusy:
        raise patient_busy(by_staff) from None
    except IntegrityError as error:
        refusal = overlap_refusal(error, by_staff)
        if refusal is None:
            raise
        raise refusal from error
    return locked


def phone_booking_create(
    *,
    details: dict | None = None,
    patient: Patient | None = None,
    consultation_type: ConsultationType,
    location: Location,
    starts_at: datetime,
    practitioner: Practitioner | None,
    now: datetime | None = None,
) -> Booking:
    """Book a consultation for a patient who phones, in one transaction: for ``patient`` when
    staff found them on file, else the returning patient ``details`` name or a new one; under
    the staff rules, with the care consent they gave on the phone recorded. ``details`` are the
    patient's names, e-mail, phone and date of birth."""
    now = now or timezone.now()
    with transaction.atomic():
        if patient is None:
            patient = patient_from_details(details)
        booking = booking_create(
            patient=patient,
            consultation_type=consultation_type,
            location=location,
            starts_at=starts_at,
            practitioner=practitioner,
            now=now,
            by_staff=True,
        )
        consents_record(patient=patient, booking=booking, photos_beyond_care=False, now=now)
    return booking
