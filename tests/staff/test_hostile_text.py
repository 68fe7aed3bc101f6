"""Hostile text typed by a patient (markup, script, long unicode) shows escaped and intact on
every staff page that shows it, and runs nowhere."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from bookings.models import Booking
from clinic import roles as role_names
from patients.models import Assessment, Patient
from tests.factories import (
    UserFactory,
    VisitMeasuresFactory,
    assessed,
    bookable_clinic,
    booking_with_intake,
    clinic_photo,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db

NAME = "<script>alert('n')</script>Ünïcødé 漢字 🧑‍⚕️"
LONG = "<img src=x onerror=alert('g')> ∑ ẞ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 漢字 ‮rtl‬ " * 30
RATIONALE = "</textarea><svg/onload=alert('r')> Δ rationale"
# Markup that would run if any page repeated it as it was typed.
LIVE = ["<script>alert(", "<img src=x onerror", "<svg/onload", "</textarea><svg"]


@pytest.fixture
def hostile(roles, screening_rules):
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(
        location,
        consultation_type,
        practitioner,
        2,
        goals=LONG,
        current_medicines=LONG,
        main_concern_detail=LONG[:500],
    )
    Patient.objects.filter(pk=booking.patient_id).update(last_name=NAME)
    Patient.objects.get(pk=booking.patient_id).save()  # into the change history too
    assessed(booking, practitioner.user)
    Assessment.objects.filter(booking=booking).update(
        rationale=RATIONALE, patient_summary=RATIONALE
    )
    VisitMeasuresFactory(booking=booking, notes=RATIONALE)
    clinic_photo(booking, "crown")
    chief = UserFactory(username="chief")
    chief.groups.add(roles[role_names.CLINIC_ADMIN])
    return booking, chief


def staff_pages(booking):
    """(address, what the page must show escaped) for every staff page a patient's text
    reaches."""
    day = booking.starts_at.astimezone(booking.location.zone).date().isoformat()
    patient = booking.patient_id
    admin = "admin:patients_"
    return [
        (reverse("staff:home") + f"?day={day}", [NAME]),
        (reverse("staff:week") + f"?location={booking.location_id}&week={day}", [NAME]),
        (reverse("staff:review_queue"), []),  # reviewed already: the queue no longer lists it
        (reverse("staff:review", args=[booking.pk]), [NAME, LONG.strip(), LONG[:500].strip()]),
        (reverse("staff:assessment", args=[booking.pk]), [RATIONALE]),
        (reverse("staff:patient_search") + "?q=Ünïcødé", [NAME]),
        (reverse("staff:patient", args=[patient]), [NAME]),
        (reverse("staff:timeline", args=[patient]), [NAME, RATIONALE]),
        (reverse("staff:compare", args=[patient]), [NAME]),
        (reverse("staff:visit_measures", args=[booking.pk]), [NAME, RATIONALE]),
        (reverse("staff:visit_photos", args=[booking.pk]), [NAME]),
        (reverse("staff:patient_erase", args=[patient]), [NAME]),
        (reverse("staff:outcomes"), []),  # anonymous figures: no patient's text at all
        (reverse("staff:reschedule", args=[booking.pk]), [NAME]),
        (reverse(f"{admin}patient_changelist"), [NAME]),
        (reverse(f"{admin}patient_change", args=[patient]), [NAME]),
        (reverse(f"{admin}historicalpatient_changelist"), []),
        (reverse(f"{admin}historicalhairlossintake_changelist"), []),
        (reverse(f"{admin}historicalassessment_changelist"), []),
        (reverse("admin:bookings_booking_changelist"), []),
        (reverse("admin:bookings_booking_change", args=[booking.pk]), []),
    ]


def test_hostile_answers_show_escaped_and_intact_on_every_staff_page(client, hostile):
    booking, chief = hostile
    sign_in_with_second_factor(client, chief)
    for address, shown in staff_pages(booking):
        response = client.get(address)
        assert response.status_code == 200, address
        html = response.content.decode()
        for live in LIVE:
            assert live not in html, (address, live)
        for text in shown:
            assert escape(text) in html, (address, text[:40])


def test_the_queue_lists_the_hostile_name_escaped_before_the_review(client, hostile):
    booking, chief = hostile
    Assessment.objects.filter(booking=booking).delete()
    sign_in_with_second_factor(client, chief)
    html = client.get(reverse("staff:review_queue")).content.decode()
    assert escape(NAME) in html and "<script>alert(" not in html
    assert Booking.objects.filter(pk=booking.pk, patient__last_name=NAME).exists()


def test_a_practitioners_own_day_and_the_month_show_hostile_names_escaped(client, hostile):
    booking, _ = hostile
    user = booking.practitioner.user
    user.last_name = NAME  # a name typed in the configuration, shown in the month
    user.save()
    sign_in_with_second_factor(client, user)
    day = booking.starts_at.astimezone(booking.location.zone).date().isoformat()
    for address in (
        reverse("staff:home") + f"?day={day}",
        reverse("staff:month") + f"?month={day}",
        reverse("staff:week") + f"?week={day}",
    ):
        html = client.get(address).content.decode()
        assert escape(NAME) in html, address
        assert "<script>alert(" not in html, address
