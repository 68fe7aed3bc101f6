"""Everything the clinic holds about one patient: exported as one download, or erased.

Export gathers the patient's details, consents, bookings, intakes (with flags and photos) and
assessments into one JSON document, zipped with the photo files.

Erasure removes what identifies the patient or describes their health in their own words
(``patients.privacy`` for the patient's own records, here for their bookings and booking forms in
progress), and keeps each booking's time, practitioner, type and status for the clinic's
figures. Booking changes are saved like any other, so they leave history rows and free the
cancelled times in the slot picker.
"""

import io
import json
import zipfile

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from bookings import holds, tasks
from bookings.models import (
    Booking,
    BookingDraft,
    WaitlistEntry,
    new_booking_token,
    new_video_room,
    token_digest,
)
from patients.models import IntakeInProgress, IntakePhoto, Patient
from patients.photo_files import photo_file_names, photo_files_delete_after_commit, photo_open
from patients.privacy import (
    ERASURE_REASON,
    assessment_document,
    clinic_photos_document,
    intake_document,
    measures_document,
    patient_document,
    patient_records_erase,
    photo_path,
)

# Records of the layers above (treatment plans) join the export and the erasure through these,
# so that this module never imports them. Receivers run inside the erasure's transaction, after
# the patient and their bookings are locked.
patient_exporting = Signal()  # sender=Patient, patient=..., document=the dict being exported
patient_erasing = Signal()  # sender=Patient, patient=..., now=...


def patient_export(*, patient: Patient) -> tuple[str, bytes]:
    """Return (file name, zip bytes): ``patient.json`` and every photo, for one patient."""
    bookings = list(
        patient.bookings.select_related(
            "consultation_type",
            "location",
            "practitioner__user",
            "intake",
            "assessment",
            "measures",
            "self_rating",
        )
        .prefetch_related("intake__flags", "intake__photos__intake", "clinic_photos")
        .order_by("starts_at")
    )
    document = {
        "exported_at": timezone.now(),
        "clinic": settings.CLINIC["name"],
        **patient_document(patient),
        "bookings": [],
    }
    photos = []
    # Answers saved to finish later are the patient's words too.
    unfinished = {
        saved.booking_id: saved
        for saved in IntakeInProgress.objects.filter(booking__patient=patient).prefetch_related(
            "photos__in_progress"
        )
    }
    for booking in bookings:
        entry = {
            "reference": booking.pk,
            "consultation": booking.consultation_type.name,
            "location": booking.location.name,
            "practitioner": booking.practitioner.display_name,
            "starts_at": booking.starts_at,
            "ends_at": booking.ends_at,
            "status": booking.get_status_display(),
            "checked_in_at": booking.checked_in_at,
            "cancelled_at": booking.cancelled_at,
            "cancellation_reason": booking.cancellation_reason,
            "booked_at": booking.created_at,
            "intake": None,
            "assessment": None,
        }
        saved = unfinished.get(booking.pk)
        if saved is not None:
            entry["unfinished_answers"] = {
                "answers": saved.answers,
                "saved_at": saved.updated_at,
                "photos": [photo_path(photo) for photo in saved.photos.all()],
            }
            photos.extend(saved.photos.all())
        intake = getattr(booking, "intake", None)
        if intake is not None:
            entry["intake"] = intake_document(intake)
            photos.extend(intake.photos.all())
        assessment = getattr(booking, "assessment", None)
        if assessment is not None:
            entry["assessment"] = assessment_document(assessment)
        measures = getattr(booking, "measures", None)
        entry["measures"] = measures_document(measures) if measures is not None else None
        rating = getattr(booking, "self_rating", None)
        if rating is not None:
            entry["your_rating"] = {
                "hair_now_out_of_10": rating.hair_now,
                "satisfaction": rating.get_satisfaction_display(),
                "given_at": rating.submitted_at,
            }
        clinic_photos = list(booking.clinic_photos.all())
        entry["clinic_photos"] = clinic_photos_document(clinic_photos)
        photos.extend(clinic_photos)
        document["bookings"].append(entry)

    document["waitlist"] = [
        {
            "consultation": entry.consultation_type.name,
            "location": entry.location.name,
            "practitioner": entry.practitioner.display_name if entry.practitioner else "Any",
            "first_day": entry.first_day,
            "last_day": entry.last_day,
            "name": entry.full_name,
            "email": entry.email,
            "care_consent_version": entry.consent_version,
            "joined_at": entry.created_at,
            "booked": entry.booking_id is not None,
        }
        for entry in _waitlist_of(patient).select_related(
            "consultation_type", "location", "practitioner__user"
        )
    ]
    patient_exporting.send(sender=Patient, patient=patient, document=document)
    files, missing = [], []
    for photo in photos:
        image = photo_open(photo)
        if image is None:
            missing.append(photo_path(photo))
            continue
        with image:
            files.append((photo_path(photo), image.read()))
    if missing:
        # A photo whose file is lost is named, not left out silently, and the rest still goes.
        document["missing_photos"] = {
            "note": "These photos are listed above, but their files could not be found, so "
            "they are not in this download. Please ask the clinic about them.",
            "files": missing,
        }

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "patient.json",
            json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        )
        for path, content in files:
            archive.writestr(path, content)
    return f"patient-{patient.pk}-export.zip", buffer.getvalue()


def _waitlist_of(patient: Patient):
    """The patient's waitlist entries: under their e-mail, or booked for them."""
    return WaitlistEntry.objects.filter(
        Q(email__iexact=patient.email) | Q(booking__patient=patient)
    ).order_by("created_at", "pk")


def _drafts_of(email: str):
    """Booking forms in progress under this e-mail (drafts are few: they expire in a day)."""
    email = email.lower()
    return BookingDraft.objects.filter(
        pk__in=[
            draft.pk
            for draft in BookingDraft.objects.only("pk", "form_data")
            if email in (value.lower() for value in draft.form_data.get("email", []))
        ]
    )


def _bookings_anonymise(*, patient: Patient, now) -> None:
    """Cancel the patient's future bookings without e-mail (there is no one left to write to)
    and free the rooms and equipment they held, drop the words of every cancellation, and give
    each booking a new private-link token so that old links open nothing. Each booking is
    saved, so the change is in its history and a freed time is free again in the slot picker.

    The bookings are locked first, in id order, so a check-in or cancel at the same moment is
    either seen or waits; they are then saved in practitioner order, so that the slot picker's
    version rows, locked by each save, are taken in the same order by every erasure.
    """
    bookings = list(Booking.objects.select_for_update().filter(patient=patient).order_by("pk"))
    cancelled = [b for b in bookings if b.status == Booking.Status.CONFIRMED and b.starts_at > now]
    # Their rooms and equipment are freed before any save raises a schedule version, which
    # every write takes last.
    holds.release_resources(*cancelled)
    for booking in sorted(bookings, key=lambda b: (b.practitioner_id, b.pk)):
        if booking in cancelled:
            booking.status = Booking.Status.CANCELLED
            booking.cancelled_at = now
        booking.cancellation_reason = ""
        booking.token = new_booking_token()
        booking.token_digest = token_digest(booking.token)
        booking.video_room = new_video_room()
        booking._change_reason = ERASURE_REASON
        booking.save()
        if booking in cancelled:
            tasks.offer_freed_time_on_commit(booking, booking.starts_at, booking.practitioner_id)
    # Earlier history rows hold the words of a cancellation too.
    Booking.history.filter(id__in=[b.pk for b in bookings]).update(cancellation_reason="")


@transaction.atomic
def patient_erase(*, patient: Patient, now=None) -> Patient:
    """Erase one patient's personal data, keeping the anonymous facts of their bookings.

    Locks are taken in the order every booking write takes them: the patient's booking forms in
    progress (a confirm locks its form, then the patient) and waitlist entries (a claim locks
    its entry, then the patient), the patient, then their bookings.
    Photo files are deleted from storage once the transaction has committed.
    """
    now = now or timezone.now()
    email = Patient.objects.values_list("email", flat=True).get(pk=patient.pk)
    drafts = list(_drafts_of(email).select_for_update().order_by("pk"))
    # A waitlist entry holds a name and an e-mail, and nothing else worth keeping. Deleted
    # before the patient is locked, as a claim locks its entry before the patient.
    _waitlist_of(patient).delete()
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.erased_at is not None:
        return patient
    draft_photos = IntakePhoto.objects.filter(draft__in=drafts)
    files = photo_file_names(draft_photos)
    draft_photos.delete()
    BookingDraft.objects.filter(pk__in=[d.pk for d in drafts]).delete()
    _bookings_anonymise(patient=patient, now=now)
    patient_erasing.send(sender=Patient, patient=patient, now=now)
    files += patient_records_erase(patient=patient, now=now)
    photo_files_delete_after_commit(files)
    return patient
