"""The practitioner's assessment and recommendation, the follow-up, and what the patient sees."""

from datetime import timedelta

import pytest
from django.urls import reverse

from bookings.models import Booking
from clinic import roles as role_names
from clinic.models import ClinicalRead
from patients.models import Assessment
from tests.factories import (
    UserFactory,
    bookable_clinic,
    booking_with_intake,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(client, roles, screening_rules):
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    sign_in_with_second_factor(client, practitioner.user)
    return booking


def assessment_form(**overrides):
    data = {
        "pattern": "male_pattern",
        "stage": "nh3",
        "likely_cause": "androgenetic",
        "recommendations": ["prp", "medication"],
        "rationale": "Early androgenetic loss; no contraindication to PRP.",
        "patient_summary": "Your hair loss is the common inherited kind. We suggest PRP, tablets.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_practitioner_records_a_recommendation_and_books_the_follow_up(client, consultation):
    url = reverse("staff:assessment", args=[consultation.pk])
    form = assessment_form(
        follow_up_type=consultation.consultation_type.pk, follow_up_weeks="12", sign_off="on"
    )
    page = client.post(url, form, follow=True)
    assert "Follow-up booked for" in page.content.decode()
    assessment = Assessment.objects.get(booking=consultation)
    assert assessment.recommendations == ["prp", "medication"] and assessment.signed_off_at
    follow_up = Booking.objects.exclude(pk=consultation.pk).get()
    assert follow_up.patient == consultation.patient
    assert follow_up.practitioner == consultation.practitioner
    # The first free time from the day twelve weeks on: beyond the online booking horizon,
    # which holds patients, not staff.
    assert follow_up.starts_at.date() >= (consultation.starts_at + timedelta(weeks=12)).date()
    assert follow_up.starts_at - consultation.starts_at > timedelta(
        days=consultation.consultation_type.horizon_days
    )
    assert assessment.history.count() == 1


def test_the_patient_sees_the_summary_only_once_signed_off(client, consultation):
    url = reverse("staff:assessment", args=[consultation.pk])
    client.post(url, assessment_form())
    manage = reverse("bookings:manage", args=[consultation.token])
    from django.test import Client

    patient = Client()
    assert "We suggest PRP" not in patient.get(manage).content.decode()
    client.post(url, assessment_form(sign_off="on"))
    assert "We suggest PRP" in patient.get(manage).content.decode()
    assert Assessment.objects.get().history.count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"recommendations": ["no_treatment", "prp"]}, "cannot be chosen with other options"),
        ({"likely_cause": "scarring"}, "needs a specialist referral"),
        ({"follow_up_weeks": "6"}, "Choose both the follow-up"),
        ({"rationale": None}, "This field is required"),
    ],
)
def test_bad_assessments_are_refused_and_the_typing_kept(client, consultation, overrides, message):
    form = assessment_form(**overrides)
    response = client.post(reverse("staff:assessment", args=[consultation.pk]), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "common inherited kind" in html
    assert not Assessment.objects.exists()


def test_a_follow_up_that_cannot_be_booked_saves_nothing(client, consultation):
    # The practitioner stops working at this location: no time for the follow-up.
    consultation.practitioner.working_hours.all().delete()
    form = assessment_form(follow_up_type=consultation.consultation_type.pk, follow_up_weeks="4")
    response = client.post(reverse("staff:assessment", args=[consultation.pk]), form)
    assert response.status_code == 400
    assert "No free time for that follow-up" in response.content.decode()
    assert not Assessment.objects.exists()
    assert Booking.objects.count() == 1


def test_saving_again_with_the_follow_up_chosen_books_no_second_visit(client, consultation):
    url = reverse("staff:assessment", args=[consultation.pk])
    form = assessment_form(follow_up_type=consultation.consultation_type.pk, follow_up_weeks="6")
    assert client.post(url, form).status_code == 302
    follow_up = Booking.objects.exclude(pk=consultation.pk).get()

    edited = {**form, "rationale": "Second look: still androgenetic."}
    response = client.post(url, edited)

    assert response.status_code == 400
    page = response.content.decode()
    assert "already has a consultation booked after this one" in page
    assert "Second look: still androgenetic." in page  # the typing is kept
    assert list(Booking.objects.exclude(pk=consultation.pk)) == [follow_up]
    # Nothing of the refused save was written: the assessment is as first saved.
    assert Assessment.objects.get().rationale == form["rationale"]
    # Without the follow-up, the edit is saved.
    del edited["follow_up_type"], edited["follow_up_weeks"]
    assert client.post(url, edited).status_code == 302
    assert Assessment.objects.get().rationale == "Second look: still androgenetic."
    assert Booking.objects.count() == 2


def test_opening_a_saved_assessment_is_a_recorded_read(client, consultation):
    client.post(reverse("staff:assessment", args=[consultation.pk]), assessment_form())
    client.get(reverse("staff:assessment", args=[consultation.pk]))
    assert ClinicalRead.objects.filter(what="assessment").count() == 1


def test_reception_cannot_record_or_read_an_assessment(client, consultation, roles):
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    sign_in_with_second_factor(client, rosa)
    url = reverse("staff:assessment", args=[consultation.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, assessment_form()).status_code == 403
    assert not Assessment.objects.exists()


def test_a_reviewed_consultation_leaves_the_queue(client, consultation):
    assert (
        consultation.patient.full_name in client.get(reverse("staff:review_queue")).content.decode()
    )
    client.post(reverse("staff:assessment", args=[consultation.pk]), assessment_form())
    assert (
        consultation.patient.full_name
        not in client.get(reverse("staff:review_queue")).content.decode()
    )
