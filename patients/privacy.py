"""Everything the clinic holds about one patient: exported as one download, or erased.

Export gathers the patient's details, consents, bookings, intakes (with flags and photos) and
assessments into one JSON document, zipped with the photo files.

Erasure removes what identifies the patient or describes their health in their own words, and
keeps what the clinic's figures need: each booking's time, practitioner, type and status, and the
coded findings and recommendations of each assessment, attached to a patient row that no longer
names anyone. The change history of the erased rows goes too (it holds copies of the same data);
the erasure itself is written to the patient's history, with who did it and from where.
"""

import io
import json
import zipfile
from datetime import date

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from bookings.models import Booking, BookingDraft, new_booking_token, token_digest
from bookings.picker_cache import schedules_changed
from patients.models import Assessment, Consent, HairLossIntake, IntakePhoto, Patient

ERASED_BIRTH_DATE = date(1900, 1, 1)
ERASURE_REASON = "Personal data erased at the patient's request"


def _intake_document(intake):
    return {
        "main_concern": intake.get_main_concern_display(),
        "main_concern_detail": intake.main_concern_detail,
        "areas": intake.areas,
        "onset": intake.get_onset_display(),
        "progression": intake.get_progression_display(),
        "stage": intake.get_stage_display(),
        "family_history": intake.family_history,
        "triggers": intake.triggers,
        "previous_treatments": intake.previous_treatments,
        "screening": intake.screening,
        "current_medicines": intake.current_medicines,
        "goals": intake.goals,
        "treatments_of_interest": intake.treatments_of_interest,
        "submitted_at": intake.submitted_at,
        "screening_flags": [
            {"treatment": f.treatment, "severity": f.severity, "reason": f.reason}
            for f in intake.flags.all()
        ],
        "photos": [
            {
                "view": photo.get_view_display(),
                "file": _photo_path(photo),
                "uploaded_at": photo.uploaded_at,
            }
            for photo in intake.photos.all()
        ],
    }


def _assessment_document(assessment):
    return {
        "pattern": assessment.get_pattern_display(),
        "stage": assessment.get_stage_display(),
        "likely_cause": assessment.get_likely_cause_display(),
        "recommendations": assessment.recommendations,
        "rationale": assessment.rationale,
        "summary_for_you": assessment.patient_summary,
        "signed_off_at": assessment.signed_off_at,
    }


def _photo_path(photo):
    return f"photos/{photo.intake.booking_id}-{photo.view}-{photo.pk}.jpg"


def patient_export(*, patient: Patient) -> tuple[str, bytes]:
    """Return (file name, zip bytes): ``patient.json`` and every photo, for one patient."""
    bookings = list(
        patient.bookings.select_related(
            "consultation_type", "location", "practitioner__user", "intake", "assessment"
        )
        .prefetch_related("intake__flags", "intake__photos__intake")
        .order_by("starts_at")
    )
    document = {
        "exported_at": timezone.now(),
        "clinic": settings.CLINIC["name"],
        "patient": {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "email": patient.email,
            "phone": patient.phone,
            "date_of_birth": patient.date_of_birth,
            "first_seen": patient.created_at,
        },
        "consents": [
            {"kind": c.get_kind_display(), "version": c.text_version, "text": c.text}
            | {"agreed_at": c.agreed_at, "booking": c.booking_id}
            for c in patient.consents.all()
        ],
        "bookings": [],
    }
    photos = []
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
        intake = getattr(booking, "intake", None)
        if intake is not None:
            entry["intake"] = _intake_document(intake)
            photos.extend(intake.photos.all())
        assessment = getattr(booking, "assessment", None)
        if assessment is not None:
            entry["assessment"] = _assessment_document(assessment)
        document["bookings"].append(entry)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "patient.json",
            json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        )
        for photo in photos:
            with photo.image.open("rb") as image:
                archive.writestr(_photo_path(photo), image.read())
    return f"patient-{patient.pk}-export.zip", buffer.getvalue()


@transaction.atomic
def patient_erase(*, patient: Patient, now=None) -> Patient:
    """Erase one patient's personal data, keeping the anonymous facts of their bookings.

    Future bookings are cancelled without e-mail (there is no one left to write to). Photo files
    are deleted from storage once the transaction has committed.
    """
    now = now or timezone.now()
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.erased_at is not None:
        return patient
    bookings = Booking.objects.filter(patient=patient)
    booking_ids = list(bookings.values_list("pk", flat=True))
    intake_ids = list(
        HairLossIntake.objects.filter(booking_id__in=booking_ids).values_list("pk", flat=True)
    )
    # Booking forms in progress under the same e-mail (drafts are few: they expire in a day).
    email = patient.email.lower()
    drafts = BookingDraft.objects.filter(
        pk__in=[
            draft.pk
            for draft in BookingDraft.objects.only("pk", "form_data")
            if email in (value.lower() for value in draft.form_data.get("email", []))
        ]
    )
    photos = IntakePhoto.objects.filter(intake_id__in=intake_ids) | IntakePhoto.objects.filter(
        draft__in=drafts
    )
    files = [name for name in photos.values_list("image", flat=True) if name]

    photos.delete()
    drafts.delete()
    HairLossIntake.objects.filter(pk__in=intake_ids).delete()  # and its screening flags
    HairLossIntake.history.filter(id__in=intake_ids).delete()
    Consent.objects.filter(patient=patient).delete()
    # Keep the coded findings and recommendations for the clinic's figures; drop the words.
    Assessment.objects.filter(booking_id__in=booking_ids).update(rationale="", patient_summary="")
    Assessment.history.filter(booking_id__in=booking_ids).update(rationale="", patient_summary="")
    upcoming = bookings.filter(status=Booking.Status.CONFIRMED, starts_at__gt=now)
    freed = set(upcoming.values_list("practitioner_id", flat=True))
    upcoming.update(status=Booking.Status.CANCELLED, cancelled_at=now)
    schedules_changed(freed)  # their times are free again: the slot picker must show them
    bookings.update(cancellation_reason="")
    Booking.history.filter(id__in=booking_ids).update(cancellation_reason="")
    for booking in bookings.only("pk"):  # old private links open nothing
        token = new_booking_token()
        Booking.objects.filter(pk=booking.pk).update(token=token, token_digest=token_digest(token))

    Patient.history.filter(id=patient.pk).delete()
    patient.first_name = "Erased"
    patient.last_name = f"patient {patient.pk}"
    patient.email = f"erased-{patient.pk}@erased.invalid"
    patient.phone = ""
    patient.date_of_birth = ERASED_BIRTH_DATE
    patient.erased_at = now
    patient._change_reason = ERASURE_REASON
    patient.save()

    def delete_files():
        storage = IntakePhoto._meta.get_field("image").storage
        for name in files:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return patient
