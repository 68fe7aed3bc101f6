"""Treatment plans in a patient's export and erasure, joined through the signals of
``bookings.privacy`` so that the lower layer never imports this one.

Erasure drops what the patient or the practitioner wrote about them (the note, a reason, the
name typed to sign, the address it came from, a session's sites and surprises), stops a plan
still open, and keeps the anonymous facts: which protocol, which steps, when, at what price,
and which product and lot were given.
"""

from django.db.models import Prefetch
from django.dispatch import receiver

from bookings.privacy import patient_erasing, patient_exporting
from patients.privacy import ERASURE_REASON
from treatments.models import (
    OutcomeRecord,
    Plan,
    PlanConsent,
    PlanStep,
    RatingInvitation,
    Rescreen,
    SessionRecord,
)
from treatments.services import RECORD_FIELDS


@receiver(patient_exporting, dispatch_uid="treatments-export")
def plans_export(sender, *, patient, document, **kwargs):
    plans = (
        Plan.objects.filter(patient=patient)
        .select_related("practitioner__user", "location")
        .prefetch_related(
            "protocols",
            Prefetch(
                "steps",
                queryset=PlanStep.objects.select_related(
                    "booking__session_record", "booking__rescreen"
                ),
            ),
            "consents",
        )
        .order_by("created_at")
    )
    document["treatment_plans"] = [
        {
            "reference": plan.pk,
            "from_consultation": plan.consultation_id,
            "protocols": [protocol.name for protocol in plan.protocols.all()],
            "practitioner": plan.practitioner.display_name,
            "location": plan.location.name,
            "starts_on": plan.starts_on,
            "status": plan.get_status_display(),
            "reason": plan.reason,
            "note_for_patient": plan.patient_note,
            "proposed_at": plan.created_at,
            "steps": [
                {
                    "name": step.name,
                    "kind": step.get_kind_display(),
                    "earliest": step.earliest,
                    "latest": step.latest,
                    "status": step.get_status_display(),
                    "booking": step.booking_id,
                    "price": step.price,
                    "currency": step.currency,
                    "session_record": _record_document(step),
                    "health_check": _check_document(step),
                }
                for step in plan.steps.all()
            ],
            "consents": [
                {
                    "version": consent.version,
                    "text": consent.text,
                    "signed_name": consent.signed_name,
                    "signed_at": consent.signed_at,
                    "ip_address": consent.ip_address,
                }
                for consent in plan.consents.all()
            ],
        }
        for plan in plans
    ]


def _record_document(step):
    record = getattr(step.booking, "session_record", None) if step.booking else None
    if record is None:
        return None
    return {
        **{name: getattr(record, name) for name in RECORD_FIELDS},
        "recorded_at": record.recorded_at,
    }


def _check_document(step):
    check = getattr(step.booking, "rescreen", None) if step.booking else None
    if check is None:
        return None
    return {
        "answers": check.answers,
        "details": check.details,
        "submitted_at": check.submitted_at,
        "reviewed_at": check.cleared_at,
        "review_note": check.cleared_note,
    }


@receiver(patient_erasing, dispatch_uid="treatments-erase")
def plans_erase(sender, *, patient, now, **kwargs):
    plans = list(Plan.objects.select_for_update().filter(patient=patient).order_by("pk"))
    # The anonymous outcomes of the patient's courses stay, for the clinic's figures; only
    # their link to the plan goes, so nothing leads from them back to the patient.
    OutcomeRecord.objects.filter(plan__in=plans).update(plan=None)
    RatingInvitation.objects.filter(booking__patient=patient).delete()
    for plan in plans:
        if plan.is_open:
            plan.status = Plan.Status.STOPPED
        if plan.status in (Plan.Status.STOPPED, Plan.Status.DECLINED):
            plan.reason = ERASURE_REASON  # the database wants a reason for these
        else:
            plan.reason = ""
        plan.patient_note = ""
        plan._change_reason = ERASURE_REASON
        plan.save()
    ids = [plan.pk for plan in plans]
    # Earlier history rows hold the words too.
    Plan.history.filter(id__in=ids).update(patient_note="", reason="")
    PlanConsent.objects.filter(plan_id__in=ids).update(signed_name="", ip_address=None)
    # Keep what was given (product, lot, dose: a recall still finds it); drop the words.
    records = SessionRecord.objects.filter(booking__patient=patient)
    record_ids = list(records.values_list("pk", flat=True))
    words = {"sites": "", "device_settings": "", "unexpected": ""}
    records.update(**words)
    SessionRecord.history.filter(id__in=record_ids).update(**words)
    # Health checks are the patient's own answers, like the intake: they go.
    checks = Rescreen.objects.filter(booking__patient=patient)
    check_ids = list(checks.values_list("pk", flat=True))
    checks.delete()
    Rescreen.history.filter(id__in=check_ids).delete()
