"""Recording what was done at a procedure of a plan: audited, escaped, refused before it
begins, in the patient's export, its words gone after erasure."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from bookings.privacy import patient_erase, patient_export
from clinic.models import ClinicalRead
from clinic.roles import PRACTITIONER
from tests.factories import plan_session, proposed_plan, sign_in_with_second_factor
from treatments.models import SessionRecord

pytestmark = pytest.mark.django_db
HOSTILE = "<b>bold</b><script>alert(1)</script>"
RECORD = {
    "product": "PRP kit A",
    "lot": "LOT-2026-11",
    "volume_or_dose": "6 ml",
    "sites": f"Crown and vertex {HOSTILE}",
    "device_settings": "Centrifuge 1500 g, 10 min",
    "unexpected": "",
}


@pytest.fixture
def practitioner(client, roles, treatments_setup):
    user = treatments_setup["practitioners"][0].user
    user.groups.add(roles[PRACTITIONER])
    return sign_in_with_second_factor(client, user)


def test_a_practitioner_records_a_session_and_reads_it_back_escaped(practitioner, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    booking = plan_session(plan)
    url = reverse("staff:session_record", args=[booking.pk])
    response = practitioner.post(url, RECORD)
    assert response.status_code == 302
    record = SessionRecord.objects.get()
    assert (record.lot, record.recorded_by) == (
        "LOT-2026-11",
        treatments_setup["practitioners"][0].user,
    )
    assert record.history.count() == 1
    page = practitioner.get(url).content.decode()
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert ClinicalRead.objects.filter(what="session record", object_id=str(record.pk)).exists()
    plan_page = practitioner.get(reverse("staff:plan", args=[plan.pk])).content.decode()
    assert "Session record" in plan_page


def test_a_session_not_begun_is_not_recorded_and_the_typing_is_kept(practitioner, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    booking = plan_session(plan, hours_ago=-48)
    response = practitioner.post(reverse("staff:session_record", args=[booking.pk]), RECORD)
    assert response.status_code == 400
    page = response.content.decode()
    assert "once it has begun" in page and "LOT-2026-11" in page
    assert page.count("A session is recorded once it has begun.") == 1  # said once
    assert not SessionRecord.objects.exists()
    # And said before anything is typed.
    opened = practitioner.get(reverse("staff:session_record", args=[booking.pk]))
    assert "This session has not begun yet" in opened.content.decode()


def test_the_free_texts_have_limits_too(practitioner, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    booking = plan_session(plan)
    url = reverse("staff:session_record", args=[booking.pk])
    response = practitioner.post(url, {**RECORD, "unexpected": "x" * 200_000})
    assert response.status_code == 400
    assert "at most 5000 characters" in response.content.decode()
    assert not SessionRecord.objects.exists()


@pytest.mark.parametrize(
    ("volume", "taken"),
    [
        ("-5 ml", False),
        ("\u22124 ml", False),
        ("4 ml (-2 ml lost)", False),
        ("2-3 ml", True),
        ("2 - 3 ml", True),
        ("0.5 -1 ml", True),
        ("0.5 ml", True),
        ("1 mg", True),
    ],
)
def test_a_volume_below_zero_is_refused(practitioner, treatments_setup, volume, taken):
    plan = proposed_plan(treatments_setup["consultation"])
    url = reverse("staff:session_record", args=[plan_session(plan).pk])
    response = practitioner.post(url, {**RECORD, "volume_or_dose": volume})
    assert SessionRecord.objects.exists() == taken
    if not taken:
        assert response.status_code == 400
        page = response.content.decode()
        assert "A volume or dose cannot be below zero." in page and "LOT-2026-11" in page


def test_a_review_is_not_a_session_to_record(practitioner, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    booking = plan_session(plan, order=4)  # Review at 3 months
    response = practitioner.post(reverse("staff:session_record", args=[booking.pk]), RECORD)
    assert response.status_code == 400
    assert "procedures of a treatment plan" in response.content.decode()


def test_the_record_is_exported_and_its_words_erased(practitioner, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    booking = plan_session(plan)
    practitioner.post(reverse("staff:session_record", args=[booking.pk]), RECORD)
    _, content = patient_export(patient=plan.patient)
    document = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("patient.json"))
    exported = document["treatment_plans"][0]["steps"][0]["session_record"]
    assert exported["lot"] == "LOT-2026-11" and exported["sites"] == RECORD["sites"]
    patient_erase(patient=plan.patient)
    record = SessionRecord.objects.get()
    assert (record.sites, record.device_settings, record.lot) == ("", "", "LOT-2026-11")
    assert not record.history.exclude(sites="").exists()
