"""Treatment plans in the patient's export and erasure."""

import io
import json
import zipfile

import pytest

from bookings.privacy import patient_erase, patient_export
from tests.factories import accepted_plan, proposed_plan
from treatments.models import Plan, PlanConsent
from treatments.seed import CONSENT_VERSION
from treatments.services import plan_decline

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_plans_with_steps_and_the_signed_consent(treatments_setup):
    plan = accepted_plan(treatments_setup["consultation"])
    _, content = patient_export(patient=plan.patient)
    document = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("patient.json"))
    (exported,) = document["treatment_plans"]
    assert exported["protocols"] == ["PRP course"] and exported["status"] == "Accepted"
    assert [s["name"] for s in exported["steps"]][:2] == ["PRP session 1", "PRP session 2"]
    (consent,) = exported["consents"]
    assert consent["signed_name"] == plan.patient.full_name
    assert consent["text"].startswith("I agree to the treatment described in this plan: PRP")


def test_erasure_stops_open_plans_and_drops_the_words_and_the_signature(treatments_setup):
    plan = accepted_plan(treatments_setup["consultation"])
    Plan.objects.filter(pk=plan.pk).update(patient_note="Private words")
    plan.patient_note = "Private words"
    plan.save()  # a history row with the words
    patient_erase(patient=plan.patient)
    plan.refresh_from_db()
    assert plan.status == "stopped" and plan.patient_note == ""
    assert "erased" in plan.reason
    assert not plan.history.filter(patient_note="Private words").exists()
    consent = PlanConsent.objects.get(plan=plan)
    assert consent.signed_name == "" and consent.ip_address is None
    assert consent.version == CONSENT_VERSION  # which text was agreed stays


def test_erasure_keeps_a_finished_plan_s_facts(treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    plan_decline(plan=plan, reason="My own reasons, in my words")
    patient_erase(patient=plan.patient)
    plan.refresh_from_db()
    assert plan.status == "declined"
    assert "My own reasons" not in plan.reason
    assert plan.steps.count() == 6
