"""The PDF of a plan and its signed consent: a real PDF whose text holds the exact consent
version signed, the signer, the time and the address; hostile text kept as text; the staff
copy an audited read; a clear message where WeasyPrint cannot run; query counts fixed."""

import io

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ImageFile

from clinic.models import ClinicalRead
from clinic.roles import PRACTITIONER
from patients.photos import PhotoError, clean_photo
from tests.factories import (
    accepted_plan,
    jpeg_upload,
    proposed_plan,
    sign_in_with_second_factor,
)
from treatments import documents
from treatments.documents import PdfUnavailable
from treatments.services import plan_accept, plan_transition

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("x")</script>'


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="treatment-plan-')
    body = response.content
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    reader = pypdf.PdfReader(io.BytesIO(body))
    return " ".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def signed_plan(treatments_setup):
    """An accepted PRP plan, its patient and its note carrying markup."""
    patient = treatments_setup["consultation"].patient
    patient.last_name = "<b>Bold</b>"
    patient.save()
    plan = proposed_plan(treatments_setup["consultation"], note=f"Hello {HOSTILE}")
    return plan_accept(plan=plan, signed_name=patient.full_name, ip_address="127.0.0.1")


def test_the_patient_downloads_the_plan_with_the_exact_consent_they_signed(client, signed_plan):
    consent = signed_plan.consents.get()
    url = reverse("treatments:plan_pdf", args=[signed_plan.consultation.token])
    text = flat(pdf_text(client.get(url)))
    assert f"Signed by typing the name “{signed_plan.patient.full_name}”" in text
    assert "PRP consent, version 2026-12" in text
    assert flat(consent.text)[:80] in text  # the very text signed, from the signature's copy
    assert "from the address 127.0.0.1" in text
    assert "PRP session 1" in text and "Total: £1,800.00" in text
    # Markup typed into names and notes is printed as typed, never read as markup.
    assert "<b>Bold</b>" in text
    assert HOSTILE in text


def test_the_consent_printed_is_the_version_signed_even_after_a_new_wording(client, signed_plan):
    from treatments.models import ConsentText

    ConsentText.objects.create(treatment="prp", version="2027-01", text="A newer wording.")
    text = flat(
        pdf_text(client.get(reverse("treatments:plan_pdf", args=[signed_plan.consultation.token])))
    )
    assert "version 2026-12" in text
    assert "2027-01" not in text and "A newer wording." not in text


def test_the_plan_page_offers_the_pdf(client, signed_plan):
    token = signed_plan.consultation.token
    page = client.get(reverse("treatments:plan", args=[token])).content.decode()
    assert reverse("treatments:plan_pdf", args=[token]) in page
    assert "Download your plan and signed consent (PDF)" in page


def test_a_proposed_plan_prints_without_a_signature(client, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    text = flat(
        pdf_text(client.get(reverse("treatments:plan_pdf", args=[plan.consultation.token])))
    )
    assert "Not signed yet" in text and "Signed by typing" not in text


@pytest.mark.parametrize(
    "protocols", [("PRP course",), ("PRP course", "Medication with check-ins")]
)
def test_the_patients_pdf_costs_the_same_queries_whatever_the_plan_holds(
    client, treatments_setup, django_assert_num_queries, protocols
):
    plan = accepted_plan(treatments_setup["consultation"], *protocols)
    url = reverse("treatments:plan_pdf", args=[plan.consultation.token])
    client.get(url)  # the session and rate-limit counters settle
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


@pytest.fixture
def practitioner(client, roles, treatments_setup):
    user = treatments_setup["practitioners"][0].user
    user.groups.add(roles[PRACTITIONER])
    return sign_in_with_second_factor(client, user)


@pytest.mark.parametrize(
    "protocols", [("PRP course",), ("PRP course", "Medication with check-ins")]
)
def test_staff_download_the_pdf_as_an_audited_read(
    practitioner, treatments_setup, django_assert_num_queries, protocols
):
    plan = accepted_plan(treatments_setup["consultation"], *protocols)
    url = reverse("staff:plan_pdf", args=[plan.pk])
    assert url in practitioner.get(reverse("staff:plan", args=[plan.pk])).content.decode()
    practitioner.get(url)
    with django_assert_num_queries(8):
        text = flat(pdf_text(practitioner.get(url)))
    assert f"“{plan.patient.full_name}”" in text and "version 2026-12" in text
    reads = ClinicalRead.objects.filter(what="treatment plan PDF", object_id=str(plan.pk))
    assert reads.count() == 2 and reads.first().patient_id == plan.patient_id


def test_without_pango_the_pdf_is_refused_with_what_to_install(
    client, practitioner, signed_plan, monkeypatch
):
    def no_pango():
        raise PdfUnavailable()

    monkeypatch.setattr(documents, "_weasyprint", no_pango)
    response = client.get(reverse("treatments:plan_pdf", args=[signed_plan.consultation.token]))
    assert response.status_code == 503
    page = response.content.decode()
    assert "WeasyPrint needs Pango" in page and "libpango-1.0-0" in page
    assert "PRP session 1" in page  # the plan itself is still shown
    staff = practitioner.get(reverse("staff:plan_pdf", args=[signed_plan.pk]), follow=True)
    assert staff.status_code == 200 and "WeasyPrint needs Pango" in staff.content.decode()
    assert not ClinicalRead.objects.filter(what="treatment plan PDF").exists()


def test_making_a_pdf_leaves_truncated_photos_refused():
    """WeasyPrint's import tells Pillow to accept truncated images for the whole process: a
    worker that has drawn a PDF must still refuse a photo cut in half."""
    documents._weasyprint()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    honest = jpeg_upload(size=(400, 300)).read()
    with pytest.raises(PhotoError):
        clean_photo(SimpleUploadedFile("cut.jpg", honest[: len(honest) // 2], "image/jpeg"))


def test_a_stopped_plan_s_pdf_says_its_visits_are_not_taking_place(client, signed_plan):
    plan_transition(plan=signed_plan, to="stopped", reason="Moving abroad.")
    url = reverse("treatments:plan_pdf", args=[signed_plan.consultation.token])
    text = flat(pdf_text(client.get(url)))
    assert "Not taking place: this plan is stopped" in text and "Between " not in text


@pytest.mark.parametrize(
    ("protocols", "heading"),
    [
        (("PRP course",), "Procedure consent PRP consent"),
        (("PRP course", "Medication with check-ins"), "Procedure consents"),
    ],
)
def test_the_consent_heading_counts_the_consents_signed(
    client, treatments_setup, protocols, heading
):
    plan = accepted_plan(treatments_setup["consultation"], *protocols)
    assert plan.consents.count() == len(protocols)
    url = reverse("treatments:plan_pdf", args=[plan.consultation.token])
    assert heading in flat(pdf_text(client.get(url)))
