"""After a consultation: the assessment recorded with the follow-up it books, in one transaction.

The assessment is the patients layer's (``patients.services.recommendation_record``); booking
the follow-up is this layer's, so the service that does both lives here and calls each.
"""

from datetime import datetime, timedelta

from django.db import transaction

from bookings import selectors
from bookings.models import Booking, ConsultationType
from bookings.services import BookingError, booking_create, patient_lock
from clinic.times import format_local
from patients.services import AssessmentError, recommendation_record

# A follow-up is booked at the first free time in this many days from the weeks asked for.
FOLLOW_UP_SEARCH_DAYS = 28


def follow_up_book(
    *, booking: Booking, consultation_type: ConsultationType, weeks: int, now: datetime
) -> Booking:
    """Book the next visit after ``booking`` with the same practitioner and location, at the
    first free time from ``weeks`` weeks after it, under the staff rules.

    Refused when the patient already has a consultation booked after this one (a procedure
    session does not count): saving an assessment again with the follow-up still chosen must
    not book a second visit.
    """
    with transaction.atomic():
        booked = (
            Booking.objects.filter(
                patient=booking.patient,
                status=Booking.Status.CONFIRMED,
                starts_at__gte=booking.ends_at,
                # A treatment session booked from a plan is not a visit to follow up with.
                consultation_type__kind=ConsultationType.Kind.CONSULTATION,
            )
            .select_related("location")
            .order_by("starts_at")
            .first()
        )
        if booked is not None:
            when = format_local(booked.starts_at, booked.location.zone, r"l j F Y \a\t H:i")
            raise BookingError(
                f"{booking.patient.full_name} already has a consultation booked after this "
                f"one, on {when}: no second follow-up was booked. "
                "Choose “No follow-up now” to save the assessment, or move that booking "
                "from the diary."
            )
        first_day = (
            (booking.starts_at + timedelta(weeks=weeks)).astimezone(booking.location.zone).date()
        )
        slots = selectors.available_slots(
            consultation_type=consultation_type,
            location=booking.location,
            first_day=first_day,
            last_day=first_day + timedelta(days=FOLLOW_UP_SEARCH_DAYS - 1),
            practitioner=booking.practitioner,
            now=now,
            by_staff=True,
        ).slots
        if not slots:
            raise BookingError(
                "No free time for that follow-up in the four weeks from then. Choose "
                "another time frame, or book it from the diary."
            )
        return booking_create(
            patient=booking.patient,
            consultation_type=consultation_type,
            location=booking.location,
            starts_at=slots[0].start,
            practitioner=booking.practitioner,
            now=now,
            by_staff=True,
        )


def assessment_record(
    *,
    booking: Booking,
    author,
    values: dict,
    sign_off: bool,
    follow_up=None,
    now: datetime,
    acknowledged: bool = False,
    seen: str | None = None,
):
    """Record a consultation's assessment and, if ``follow_up`` is ``(consultation_type,
    weeks)``, book the follow-up, all in one transaction: if the follow-up cannot be booked, or
    a screening flag against a recommended option is not ``acknowledged``, nothing is saved and
    BookingError (or AssessmentError) says why. Return (assessment, follow-up booking or None).
    """
    with transaction.atomic():
        # The patient first, as every booking write and the erasure lock them: the follow-up
        # below locks them anyway, and an erased patient gets neither.
        patient_lock(booking.patient_id)
        follow_up_booking = None
        if follow_up is not None and not sign_off:
            # A booking e-mails the patient: nothing of a draft reaches them.
            raise AssessmentError("A follow-up is booked when the assessment is signed off.")
        if follow_up is not None:
            consultation_type, weeks = follow_up
            follow_up_booking = follow_up_book(
                booking=booking, consultation_type=consultation_type, weeks=weeks, now=now
            )
        # After the follow-up, so that the assessment is saved once, naming it; a refusal
        # here rolls the follow-up back with everything else.
        assessment = recommendation_record(
            booking=booking,
            author=author,
            values=values,
            sign_off=sign_off,
            now=now,
            acknowledged=acknowledged,
            follow_up=follow_up_booking,
            seen=seen,
        )
    return assessment, follow_up_booking
