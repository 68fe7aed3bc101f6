"""The review queue names upcoming consultations whose patients have not sent the questions."""

from datetime import timedelta

import pytest
from django.urls import reverse

from bookings.services import booking_create
from clinic import roles as role_names
from tests.factories import (
    PatientFactory,
    bookable_clinic,
    booking_with_intake,
    next_slot,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db


def test_the_queue_shows_intake_missing_for_the_practitioners_own_upcoming_consultations(
    client, roles
):
    location, staff, consultation_type = bookable_clinic(practitioners=2)
    for practitioner in staff:
        practitioner.user.groups.add(roles[role_names.PRACTITIONER])

    def book(practitioner, days, **patient):
        return booking_create(
            patient=PatientFactory(**patient),
            consultation_type=consultation_type,
            location=location,
            starts_at=next_slot(days=days),
            practitioner=practitioner,
            notify=False,
        )

    missing = book(staff[0], 3, last_name="Missingworth")
    book(staff[1], 3, last_name="Otherpractice")  # not this practitioner's
    answered = booking_with_intake(location, consultation_type, staff[0], 4)
    sign_in_with_second_factor(client, staff[0].user)

    page = client.get(reverse("staff:review_queue"))
    html = page.content.decode()
    assert [row.pk for row in page.context["intake_missing"]] == [missing.pk]
    assert "Intake missing" in html and "Missingworth" in html
    assert "Otherpractice" not in html
    assert answered.patient.last_name in html  # still in the queue above

    consultation_type.intake_required = False
    consultation_type.save()
    assert client.get(reverse("staff:review_queue")).context["intake_missing"] == []


def test_a_past_consultation_is_no_longer_listed_as_missing(client, roles):
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=3),
        notify=False,
    )
    shift = timedelta(days=5)
    type(booking).objects.filter(pk=booking.pk).update(
        starts_at=booking.starts_at - shift,
        ends_at=booking.ends_at - shift,
        blocked_from=booking.blocked_from - shift,
        blocked_until=booking.blocked_until - shift,
    )
    sign_in_with_second_factor(client, practitioner.user)
    assert client.get(reverse("staff:review_queue")).context["intake_missing"] == []
