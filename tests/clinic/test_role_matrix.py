"""Every staff URL against every role, an anonymous visitor and a patient's private link."""

import pytest
from django.test import Client
from django.urls import reverse

from clinic import roles as role_names
from tests.conftest import sign_in_with_second_factor
from tests.factories import UserFactory
from tests.patients.test_review import booking_with_intake

pytestmark = pytest.mark.django_db

# (url name, needs a booking id, what each role gets: 200 allowed, 403 refused)
STAFF_PAGES = [
    ("staff_home", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("review_queue", False, {"reception": 403, "practitioner": 200, "admin": 200}),
    ("review", True, {"reception": 403, "practitioner": 200, "admin": 200}),
    ("assessment", True, {"reception": 403, "practitioner": 200, "admin": 200}),
    ("staff_photo", "photo", {"reception": 403, "practitioner": 200, "admin": 200}),
    ("patient_search", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("phone_booking", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff_week", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("staff_reschedule", True, {"reception": 200, "practitioner": 200, "admin": 200}),
    ("patient", "patient", {"reception": 200, "practitioner": 200, "admin": 200}),
    ("patient_erase", "patient", {"reception": 403, "practitioner": 403, "admin": 200}),
    # Export is a POST (a download that is recorded); a GET is refused by method.
    ("patient_export", "patient", {"reception": 403, "practitioner": 403, "admin": 405}),
    ("admin:index", False, {"reception": 200, "practitioner": 200, "admin": 200}),
    (
        "admin:bookings_consultationtype_changelist",
        False,
        {"reception": 200, "practitioner": 200, "admin": 200},
    ),
    (
        "admin:bookings_consultationtype_add",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:patients_screeningrule_changelist",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:bookings_historicalbooking_changelist",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
    (
        "admin:clinic_clinicalread_changelist",
        False,
        {"reception": 403, "practitioner": 403, "admin": 200},
    ),
]


@pytest.fixture
def world(roles, screening_rules):
    from tests.bookings.flow_helpers import bookable_clinic

    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    reception = UserFactory(username="rosa")
    reception.groups.add(roles[role_names.RECEPTION])
    admin = UserFactory(username="chief")
    admin.groups.add(roles[role_names.CLINIC_ADMIN])
    users = {"reception": reception, "practitioner": practitioner.user, "admin": admin}
    return booking, users


def url_for(name, needs, booking):
    if needs == "photo":
        return reverse(name, args=[booking.intake.photos.get().pk])
    if needs == "patient":
        return reverse(name, args=[booking.patient_id])
    return reverse(name, args=[booking.pk]) if needs else reverse(name)


@pytest.mark.parametrize(
    ("name", "needs", "expected"), STAFF_PAGES, ids=[p[0] for p in STAFF_PAGES]
)
def test_each_role_gets_what_the_matrix_says(world, name, needs, expected):
    booking, users = world
    address = url_for(name, needs, booking)
    for role, user in users.items():
        client = sign_in_with_second_factor(Client(), user)
        assert client.get(address).status_code == expected[role], (role, name)


@pytest.mark.parametrize(
    ("name", "needs", "expected"), STAFF_PAGES, ids=[p[0] for p in STAFF_PAGES]
)
def test_anonymous_visitors_and_private_links_open_no_staff_page(world, name, needs, expected):
    booking, _ = world
    address = url_for(name, needs, booking)
    visitor = Client()
    visitor.get(reverse("bookings:manage", args=[booking.token]))  # holding a private link
    response = visitor.get(address, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain and response.request["PATH_INFO"] == reverse("login")
