"""Writes for patients: matching returning patients, the intake and its flags, consents."""

from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction

from patients import consent as consent_texts
from patients import screening
from patients.models import (
    Assessment,
    Consent,
    HairLossIntake,
    IntakePhoto,
    Patient,
    ScreeningFlag,
    ScreeningRule,
)


def patient_match_or_create(
    *, first_name: str, last_name: str, email: str, phone: str, date_of_birth
) -> Patient:
    """Return the returning patient with this e-mail, date of birth and name, or a new one.

    All must match, and the caller shows the same pages either way, so booking never reveals
    whether an e-mail is known. A returning patient's record is only completed, not overwritten.
    """
    # The name must match too, so that two people sharing an e-mail and a birthday (twins
    # with a family address) never have their answers filed under each other.
    patient = (
        Patient.objects.filter(
            email__iexact=email,
            date_of_birth=date_of_birth,
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
        )
        .order_by("pk")
        .first()
    )
    if patient is None:
        return Patient.objects.create(
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            date_of_birth=date_of_birth,
        )
    if phone and not patient.phone:
        patient.phone = phone
        patient.save(update_fields=["phone"])
    return patient


def intake_submit(*, booking, values: dict, now: datetime) -> HairLossIntake:
    """Create or update the booking's intake from cleaned answers and re-run the screening."""
    with transaction.atomic():
        intake = HairLossIntake.objects.filter(booking=booking).first()
        if intake is None:
            intake = HairLossIntake(booking=booking, submitted_at=now)
        for name, value in values.items():
            setattr(intake, name, value)
        intake.save()
        intake.flags.all().delete()
        rules = ScreeningRule.objects.filter(is_active=True)
        ScreeningFlag.objects.bulk_create(
            ScreeningFlag(
                intake=intake,
                rule_id=flag.rule_id,
                treatment=flag.treatment,
                severity=flag.severity,
                reason=flag.reason,
            )
            for flag in screening.evaluate(intake.screening, rules)
        )
    return intake


def consents_record(*, patient, booking, photos_beyond_care: bool, now: datetime) -> None:
    """Record the consent to care (always given to book) and, if given, to wider photo use."""
    given = [(Consent.Kind.CARE, consent_texts.CARE)]
    if photos_beyond_care:
        given.append((Consent.Kind.PHOTOS_BEYOND_CARE, consent_texts.PHOTOS_BEYOND_CARE))
    Consent.objects.bulk_create(
        Consent(
            patient=patient,
            booking=booking,
            kind=kind,
            text_version=text.version,
            text=text.text,
            agreed_at=now,
        )
        for kind, text in given
    )


def photos_store(*, photos, draft=None, intake=None) -> None:
    """Save cleaned photos for a draft or an intake, one per view, replacing older ones."""
    owner = {"draft": draft} if draft is not None else {"intake": intake}
    for view, content, width, height in photos:
        for old in IntakePhoto.objects.filter(**owner, view=view):
            old.image.delete(save=False)
            old.delete()
        photo = IntakePhoto(**owner, view=view, width=width, height=height)
        photo.image.save(f"{view}.jpg", ContentFile(content), save=False)
        photo.save()


def intake_update(*, booking, values: dict, photos, now: datetime) -> HairLossIntake:
    """Save a patient's changed answers and new photos together, in one transaction."""
    with transaction.atomic():
        intake = intake_submit(booking=booking, values=values, now=now)
        photos_store(photos=photos, intake=intake)
    return intake


def recommendation_record(
    *, booking, author, values: dict, sign_off: bool, follow_up=None, now: datetime
):
    """Record (or update) the assessment and recommendation of a consultation.

    ``follow_up`` is ``(consultation_type, weeks)``: the next visit is booked with the same
    practitioner, at the first free time from that many weeks after this consultation, through
    the booking service and its rules. All of it is one transaction: if the follow-up cannot be
    booked, nothing is saved and BookingError says why.
    """
    from bookings.models import Booking
    from bookings.selectors import available_slots
    from bookings.services import BookingError, booking_create

    with transaction.atomic():
        assessment = Assessment.objects.filter(booking=booking).first() or Assessment(
            booking=booking, author=author
        )
        for name, value in values.items():
            setattr(assessment, name, value)
        if sign_off and assessment.signed_off_at is None:
            assessment.signed_off_at = now
        assessment.save()
        follow_up_booking = None
        if follow_up is not None:
            consultation_type, weeks = follow_up
            # Saving the assessment again with the follow-up still chosen must not book a
            # second visit: any consultation already booked after this one is the follow-up.
            booked = (
                Booking.objects.filter(
                    patient=booking.patient,
                    status=Booking.Status.CONFIRMED,
                    starts_at__gte=booking.ends_at,
                )
                .select_related("location")
                .order_by("starts_at")
                .first()
            )
            if booked is not None:
                local = booked.starts_at.astimezone(booked.location.zone)
                raise BookingError(
                    f"{booking.patient.full_name} already has a consultation booked after this "
                    f"one, on {local:%A %-d %B %Y at %H:%M}: no second follow-up was booked. "
                    "Untick the follow-up to save the assessment, or move that booking from "
                    "the diary."
                )
            first_day = (
                (booking.starts_at + timedelta(weeks=weeks))
                .astimezone(booking.location.zone)
                .date()
            )
            slots = available_slots(
                consultation_type=consultation_type,
                location=booking.location,
                first_day=first_day,
                last_day=first_day + timedelta(days=27),
                practitioner=booking.practitioner,
                now=now,
                by_staff=True,
            ).slots
            if not slots:
                raise BookingError(
                    "No free time for that follow-up in the four weeks from then. Choose "
                    "another time frame, or book it from the diary."
                )
            follow_up_booking = booking_create(
                patient=booking.patient,
                consultation_type=consultation_type,
                location=booking.location,
                starts_at=slots[0].start,
                practitioner=booking.practitioner,
                now=now,
                by_staff=True,
            )
    return assessment, follow_up_booking
