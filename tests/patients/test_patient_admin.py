"""Reception corrects a patient's contact details in the admin; what the patient's own flows
own (the erasure, an address waiting to be confirmed) is shown there, never edited."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def change_form(patient, **changes):
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "email": patient.email,
        "phone": "",
        "date_of_birth": patient.date_of_birth.isoformat(),
    }
    return {**data, **changes}


def test_reception_corrects_a_name_but_cannot_mark_the_patient_erased(reception):
    patient = PatientFactory(first_name="Ada", pending_email="")
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    page = reception.get(url).content.decode()
    assert 'name="first_name"' in page
    assert 'name="erased_at' not in page and 'name="pending_email"' not in page
    response = reception.post(
        url,
        change_form(
            patient,
            first_name="Adah",
            erased_at_0="06/12/2026",
            erased_at_1="10:00",
            pending_email="else@example.com",
        ),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.first_name == "Adah"
    assert patient.erased_at is None and patient.pending_email == ""


@pytest.mark.parametrize("born", [timezone.localdate() + timedelta(days=1), date(1850, 1, 1)])
def test_an_impossible_date_of_birth_is_refused(reception, born):
    patient = PatientFactory()
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    response = reception.post(url, change_form(patient, date_of_birth=born.isoformat()))
    assert response.status_code == 200
    assert "Check the date of birth" in response.content.decode()
    patient.refresh_from_db()
    assert patient.date_of_birth != born


def test_an_erased_patient_is_shown_not_changed(reception):
    patient = PatientFactory(erased_at=timezone.now())
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    page = reception.get(url)
    assert page.status_code == 200 and 'name="first_name"' not in page.content.decode()
    assert reception.post(url, change_form(patient, first_name="Back")).status_code == 403
    patient.refresh_from_db()
    assert patient.first_name != "Back"
