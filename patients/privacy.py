"""What the patients layer holds about one patient, for an export or an erasure.

The whole export and erasure, which also cover the patient's bookings, are the booking layer's
services (``bookings.privacy``); they call these for the patient's own records.

Erasure removes what identifies the patient or describes their health in their own words, and
keeps what the clinic's figures need: the coded findings and recommendations of each assessment,
attached to a patient row that no longer names anyone. The change history of the erased rows
goes too (it holds copies of the same data); the erasure itself is written to the patient's
history, with who did it and from where.
"""

from datetime import date, datetime

from django.db.models import Q

from patients import choices
from patients.models import (
    Assessment,
    ClinicPhoto,
    Consent,
    HairLossIntake,
    IntakeInProgress,
    IntakePhoto,
    Patient,
    SelfRating,
    VisitMeasures,
)
from patients.photo_files import photo_file_names

ERASED_BIRTH_DATE = date(1900, 1, 1)
ERASURE_REASON = "Personal data erased at the patient's request"


def _words(codes, offered) -> list:
    """Chosen answers in the words the patient chose them by (a code no longer offered as
    itself)."""
    labels = dict(offered)
    return [labels.get(code, code) for code in codes or []]


def _treatments_tried(tried) -> dict:
    labels, durations = dict(choices.PREVIOUS_TREATMENTS), dict(choices.TREATMENT_DURATIONS)
    outcomes = dict(choices.TREATMENT_OUTCOMES)
    return {
        labels.get(key, key): {
            # A blank is no answer, not the form's placeholder ("How it went…").
            "how long": durations.get(answer.get("duration"), "") if answer.get("duration") else "",
            "how it went": outcomes.get(answer.get("outcome"), "") if answer.get("outcome") else "",
        }
        for key, answer in (tried or {}).items()
    }


def _screening(answers) -> dict:
    questions = dict(choices.SCREENING_QUESTION_CHOICES)
    said = dict(choices.SCREENING_ANSWERS)
    return {
        questions.get(key, key): said.get(answer, answer) for key, answer in (answers or {}).items()
    }


def intake_document(intake):
    """The answers as the patient gave them, in the words of the questions and choices."""
    return {
        "main_concern": intake.get_main_concern_display(),
        "main_concern_detail": intake.main_concern_detail,
        "areas": _words(intake.areas, choices.AREAS),
        "onset": intake.get_onset_display(),
        "progression": intake.get_progression_display(),
        "stage": intake.get_stage_display(),
        "family_history": _words(intake.family_history, choices.FAMILY_HISTORY),
        "triggers": _words(intake.triggers, choices.TRIGGERS),
        "previous_treatments": _treatments_tried(intake.previous_treatments),
        "screening": _screening(intake.screening),
        "current_medicines": intake.current_medicines,
        "goals": intake.goals,
        "treatments_of_interest": _words(
            intake.treatments_of_interest, choices.TREATMENTS_OF_INTEREST
        ),
        "submitted_at": intake.submitted_at,
        "screening_flags": [
            {"treatment": f.treatment, "severity": f.severity, "reason": f.reason}
            for f in intake.flags.all()
        ],
        "photos": [
            {
                "view": photo.get_view_display(),
                "file": photo_path(photo),
                "uploaded_at": photo.uploaded_at,
            }
            for photo in intake.photos.all()
        ],
    }


def assessment_document(assessment):
    return {
        "pattern": assessment.get_pattern_display(),
        "stage": assessment.get_stage_display(),
        "likely_cause": assessment.get_likely_cause_display(),
        "recommendations": assessment.recommendations,
        "rationale": assessment.rationale,
        "summary_for_you": assessment.patient_summary,
        "signed_off_at": assessment.signed_off_at,
    }


def photo_path(photo):
    if isinstance(photo, ClinicPhoto):
        return f"photos/{photo.booking_id}-clinic-{photo.view}-{photo.pk}.jpg"
    owner = photo.intake if photo.intake_id else photo.in_progress
    return f"photos/{owner.booking_id}-{photo.view}-{photo.pk}.jpg"


def measures_document(measures):
    """The practitioner's measures of a visit, in words and figures."""
    zones = {
        label: {
            "density_hairs_per_cm2": getattr(measures, f"{code}_density"),
            "thin_hairs_percent": getattr(measures, f"{code}_thin"),
        }
        for code, label in choices.SCALP_ZONES
    }
    return {
        "stage": measures.get_stage_display() if measures.stage else None,
        "zones": zones,
        "pull_test_hairs": measures.pull_test,
        "shedding": measures.get_shedding_display() if measures.shedding else None,
        "notes": measures.notes,
        "shared_with_you": measures.shared_with_patient,
        "recorded_at": measures.recorded_at,
    }


def clinic_photos_document(photos):
    return [
        {"view": p.get_view_display(), "file": photo_path(p), "taken_at": p.taken_at}
        for p in photos
    ]


def patient_document(patient: Patient) -> dict:
    """The patient's details and consents, as exported."""
    return {
        "patient": {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "email": patient.email,
            "phone": patient.phone.as_e164 if patient.phone else "",
            "date_of_birth": patient.date_of_birth,
            "first_seen": patient.created_at,
        },
        "consents": [
            {"kind": c.get_kind_display(), "version": c.text_version, "text": c.text}
            | {"agreed_at": c.agreed_at, "withdrawn_at": c.withdrawn_at, "booking": c.booking_id}
            for c in patient.consents.all()
        ],
    }


def patient_records_erase(*, patient: Patient, now: datetime) -> list[str]:
    """Erase the patient's answers (with flags and photos), consents, the clinic's photos of
    them, the words of their assessments and measures, and their identity, in the caller's
    transaction, with the patient's row locked by the caller. Return the photo files to delete
    once that transaction has committed."""
    intakes = HairLossIntake.objects.filter(booking__patient=patient)
    intake_ids = list(intakes.values_list("pk", flat=True))
    in_progress = IntakeInProgress.objects.filter(booking__patient=patient)
    photos = IntakePhoto.objects.filter(
        Q(intake_id__in=intake_ids) | Q(in_progress__in=in_progress)
    )
    files = photo_file_names(photos)
    photos.delete()
    in_progress.delete()  # answers saved to finish later
    HairLossIntake.objects.filter(pk__in=intake_ids).delete()  # and its screening flags
    HairLossIntake.history.filter(id__in=intake_ids).delete()
    Consent.objects.filter(patient=patient).delete()
    # The clinic's photos of the patient go; the coded measures stay, without the notes.
    clinic_photos = ClinicPhoto.objects.filter(booking__patient=patient)
    clinic_photo_ids = list(clinic_photos.values_list("pk", flat=True))
    files += photo_file_names(clinic_photos)
    clinic_photos.delete()
    ClinicPhoto.history.filter(id__in=clinic_photo_ids).delete()
    measures = VisitMeasures.objects.filter(booking__patient=patient)
    measure_ids = list(measures.values_list("pk", flat=True))
    measures.update(notes="", shared_with_patient=False)
    VisitMeasures.history.filter(id__in=measure_ids).update(notes="")
    # The patient's own ratings are their answers, like the intake: they go (the clinic's
    # anonymous outcome records keep what the figures need).
    SelfRating.objects.filter(booking__patient=patient).delete()
    # Keep the coded findings and recommendations for the clinic's figures; drop the words.
    assessments = Assessment.objects.filter(booking__patient=patient)
    assessment_ids = list(assessments.values_list("pk", flat=True))
    assessments.update(rationale="", patient_summary="")
    Assessment.history.filter(id__in=assessment_ids).update(rationale="", patient_summary="")

    Patient.history.filter(id=patient.pk).delete()
    patient.first_name = "Erased"
    patient.last_name = f"patient {patient.pk}"
    patient.email = f"erased-{patient.pk}@erased.invalid"
    patient.phone = ""
    patient.pending_email = ""  # a new address asked for from their home, not yet confirmed
    patient.date_of_birth = ERASED_BIRTH_DATE
    patient.erased_at = now
    patient._change_reason = ERASURE_REASON
    patient.save()
    return files
