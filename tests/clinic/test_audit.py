"""The audit trail of changes: who, what, when, from which address; read-only for everyone."""

import pytest
from django.urls import reverse

from bookings.drafts import format_start
from bookings.models import Booking
from bookings.services import booking_create
from clinic import roles as role_names
from tests.bookings.flow_helpers import bookable_clinic, next_slot
from tests.conftest import sign_in_with_second_factor
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    location, _, consultation_type = bookable_clinic()
    return booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=5),
        notify=False,
    )


def test_a_patient_moving_their_booking_is_recorded_with_the_address(client, booking):
    client.post(
        reverse("bookings:reschedule", args=[booking.token]),
        {"start": format_start(booking.starts_at.replace(hour=14))},
        REMOTE_ADDR="203.0.113.9",
    )
    latest = booking.history.order_by("-history_date").first()
    assert latest.history_type == "~"
    assert latest.history_user is None  # the patient has no account
    assert latest.history_ip_address == "203.0.113.9"
    assert latest.starts_at.hour == 14
    assert booking.history.count() == 2  # created, then moved


def test_the_private_link_secret_is_not_kept_in_the_history(booking):
    field_names = {f.name for f in Booking.history.model._meta.get_fields()}
    assert "token" not in field_names


def test_clinic_admins_browse_the_trail_and_nobody_can_change_it(client, booking, roles):
    admin_user = UserFactory(username="chief")
    admin_user.groups.add(roles[role_names.CLINIC_ADMIN])
    sign_in_with_second_factor(client, admin_user)
    trail = reverse("admin:bookings_historicalbooking_changelist")
    assert client.get(trail).status_code == 200
    record = booking.history.first()
    change = reverse("admin:bookings_historicalbooking_change", args=[record.pk])
    assert client.get(change).status_code == 200  # view only
    assert client.post(change, {}).status_code == 403
    delete = reverse("admin:bookings_historicalbooking_delete", args=[record.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert booking.history.count() == 1


def test_reception_cannot_open_the_audit_trail(client, roles):
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    sign_in_with_second_factor(client, rosa)
    assert client.get(reverse("admin:bookings_historicalbooking_changelist")).status_code == 403
    assert (
        client.get(reverse("admin:patients_historicalhairlossintake_changelist")).status_code == 403
    )
