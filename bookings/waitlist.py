"""Waitlist writes: joining, leaving, and claiming a freed time.

A claim books through ``booking_create``, with every rule and guarantee of a booking. It locks
the freed time's row (``WaitlistOpening``) first, as a booking form in progress is locked before
the patient, so that of many claims at the same moment one books and the others, waiting on that
lock, find the time taken. A refused claim rolls back whole: no patient, booking or consent is
left half-written.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from bookings import tasks
from bookings.models import (
    Booking,
    ConsultationType,
    Location,
    Practitioner,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
)
from bookings.refusals import PATIENT_BUSY_MESSAGE
from bookings.services import (
    ERASED_MESSAGE,
    BookingError,
    booking_create,
)
from patients.consent import CARE
from patients.services import consents_record, patient_from_details

GONE_MESSAGE = (
    "Sorry, this time has gone: another patient on the waitlist claimed it first, or it was "
    "booked meanwhile."
)
BOOKED_MESSAGE = "You have already booked a time from this waitlist entry."
EXPIRED_MESSAGE = "This waitlist entry has ended: its last day has passed."


class WaitlistGone(BookingError):
    """The time offered is no longer free: claimed by someone else, or booked meanwhile."""


def local_today(location: Location, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(location.zone).date()


def waitlist_join(
    *,
    consultation_type: ConsultationType,
    location: Location,
    practitioner: Practitioner | None,
    first_day: date,
    last_day: date,
    first_name: str,
    last_name: str,
    email: str,
) -> WaitlistEntry:
    """Put a patient on the waitlist; they are e-mailed its link (to see or leave it) once
    the entry is stored. The caller has checked the range and the care consent.

    Joining again adds another entry, whoever asks: the address is not proven, so an earlier
    entry's link is never handed to whoever types it. A freed time is offered once to each
    address (``waitlist_offers.matching_entries``)."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            consultation_type=consultation_type,
            location=location,
            practitioner=practitioner,
            first_day=first_day,
            last_day=last_day,
            first_name=first_name,
            last_name=last_name,
            email=email,
            consent_version=CARE.version,
        )
        tasks.waitlist_joined_on_commit(entry)
    return entry


def waitlist_leave(*, entry: WaitlistEntry) -> None:
    """Take a patient off the waitlist: the entry and its offers are deleted, with their name
    and e-mail. A booking already made from it stays."""
    with transaction.atomic():
        WaitlistEntry.objects.filter(pk=entry.pk).delete()


def offer_state(offer: WaitlistOffer, now: datetime | None = None) -> str:
    """What a claim link can still do: "open", "claimed" (by this patient), "gone" or "ended"."""
    now = now or timezone.now()
    opening, entry = offer.opening, offer.entry
    if booked_by_them(opening, entry):
        return "claimed"
    if opening.booking_id is not None or opening.starts_at <= now:
        return "gone"
    if entry.booking_id is not None or entry.last_day < local_today(entry.location, now):
        return "ended"
    return "open"


def booked_by_them(opening: WaitlistOpening, entry: WaitlistEntry) -> bool:
    """Whether the freed time was booked by this entry's person: through this entry, or
    through another of theirs offered the same time."""
    if opening.booking_id is None:
        return False
    if opening.booking_id == entry.booking_id:
        return True
    return opening.booking.patient.email.lower() == entry.email.lower()


def waitlist_claim(
    *,
    offer: WaitlistOffer,
    phone: str,
    date_of_birth: date,
    photos_beyond_care: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Book the freed time of ``offer`` for the patient of its waitlist entry.

    The first claim of a freed time books it; any other raises WaitlistGone, as does a claim of
    a time booked meanwhile by other means. The patient's phone and date of birth, asked only
    now, complete the details their entry holds (a returning patient is matched as when
    booking). Raise BookingError for another refusal, such as a booking of theirs at that time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        opening = (
            WaitlistOpening.objects.select_for_update(of=("self",))
            .select_related("practitioner", "location")
            .get(pk=offer.opening_id)
        )
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("consultation_type", "location")
            .filter(pk=offer.entry_id)
            .first()
        )
        if entry is None:
            raise BookingError("You have left the waitlist, so this time can no longer be claimed.")
        if opening.booking_id is not None:
            if booked_by_them(opening, entry):
                return opening.booking
            raise WaitlistGone(GONE_MESSAGE)
        if entry.booking_id is not None:
            raise BookingError(BOOKED_MESSAGE)
        if entry.last_day < local_today(entry.location, now):
            raise BookingError(EXPIRED_MESSAGE)
        patient = patient_from_details(
            {
                "first_name": entry.first_name,
                "last_name": entry.last_name,
                "email": entry.email,
                "phone": phone,
                "date_of_birth": date_of_birth,
            }
        )
        try:
            booking = booking_create(
                patient=patient,
                consultation_type=entry.consultation_type,
                location=opening.location,
                starts_at=opening.starts_at,
                practitioner=opening.practitioner,
                now=now,
            )
        except BookingError as error:
            # About the patient, not the time: say so. Anything else means the time is gone.
            if error.message in (PATIENT_BUSY_MESSAGE, ERASED_MESSAGE):
                raise
            raise WaitlistGone(GONE_MESSAGE) from None
        consents_record(
            patient=patient, booking=booking, photos_beyond_care=photos_beyond_care, now=now
        )
        opening.booking = booking
        opening.save(update_fields=["booking"])
        entry.booking = booking
        entry.save(update_fields=["booking"])
    return booking
