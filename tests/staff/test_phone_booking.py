"""Reception books for a patient who phones, under the booking rules but not the online limits."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.drafts import format_start
from bookings.models import Booking
from clinic import roles as role_names
from patients.models import Consent
from tests.factories import (
    BookingFactory,
    PatientFactory,
    UserFactory,
    bookable_clinic,
    next_slot,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db


def phone_form(clinic, when, **overrides):
    location, _, consultation_type = clinic
    data = {
        "type": consultation_type.slug,
        "location": location.pk,
        "practitioner": "any",
        "start": format_start(when),
        "first_name": "Tom",
        "last_name": "Becker",
        "email": "tom@example.com",
        "phone": "07400 900789",
        "date_of_birth": "1990-04-02",
        "consent_care": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_reception_books_a_caller_beyond_the_online_horizon(
    reception, django_capture_on_commit_callbacks
):
    clinic = bookable_clinic()
    far = next_slot(days=90)  # past the type's 60-day online horizon
    assert reception.get(reverse("staff:phone_booking")).status_code == 200
    with django_capture_on_commit_callbacks() as queued:
        response = reception.post(reverse("staff:phone_booking"), phone_form(clinic, far))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.starts_at == far and booking.patient.email == "tom@example.com"
    assert Consent.objects.get().kind == "care"
    assert queued  # confirmation e-mail and reminder queued for after the commit


def test_a_taken_time_is_refused_with_the_typing_kept_and_nearest_times(reception):
    clinic = bookable_clinic()
    location, _, consultation_type = clinic
    start = next_slot(days=3)
    BookingFactory(
        patient=PatientFactory(),
        practitioner=clinic[1][0],
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
    )
    response = reception.post(reverse("staff:phone_booking"), phone_form(clinic, start))
    assert response.status_code == 409
    html = response.content.decode()
    assert "just been taken" in html and 'value="Becker"' in html
    assert response.context["alternatives"]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    "overrides",
    [{"consent_care": None}, {"start": "garbage"}, {"email": "nope"}, {"type": "no-such"}],
)
def test_incomplete_or_tampered_phone_bookings_are_refused(reception, overrides):
    clinic = bookable_clinic()
    response = reception.post(
        reverse("staff:phone_booking"), phone_form(clinic, next_slot(), **overrides)
    )
    assert response.status_code in (400, 409)
    assert not Booking.objects.filter(patient__email="tom@example.com").exists()


def test_only_staff_with_the_right_to_add_bookings_book_by_phone(client, roles):
    bookable_clinic()
    doctor = UserFactory(username="doc")
    doctor.groups.add(roles[role_names.PRACTITIONER])  # practitioners may add bookings
    sign_in_with_second_factor(client, doctor)
    assert client.get(reverse("staff:phone_booking")).status_code == 200
    bystander = UserFactory(username="temp")
    from django.test import Client

    other = sign_in_with_second_factor(Client(), bystander)
    assert other.get(reverse("staff:phone_booking")).status_code == 403


def test_the_page_shows_free_times_of_the_day_chosen(reception):
    location, _, consultation_type = bookable_clinic()
    day = (timezone.now() + timedelta(days=5)).date()
    page = reception.get(
        reverse("staff:phone_booking"),
        {"type": consultation_type.slug, "location": location.pk, "day": day.isoformat()},
    )
    assert page.status_code == 200 and len(page.context["slots"]) > 10
    assert all(s.start.astimezone(location.zone).date() == day for s in page.context["slots"])
