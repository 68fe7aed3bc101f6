"""Rows read by written-out SQL, built as the ORM builds them (clinic/sql_values.py)."""

import pytest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from bookings.models import Booking
from clinic.sql_values import instance_by_pk
from tests.factories import BookingFactory, UserFactory

pytestmark = pytest.mark.django_db


def fields_of(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.mark.parametrize("make", ["totp", "static", "booking"])
def test_a_row_by_its_key_equals_the_orms(make):
    # Instants, booleans, binary-as-hex keys, JSON-free and nullable columns, on both databases.
    if make == "totp":
        row = TOTPDevice.objects.create(
            user=UserFactory(),
            name="Phone",
            confirmed=False,
            throttling_failure_timestamp=timezone.now(),
        )
    elif make == "static":
        row = StaticDevice.objects.create(user=UserFactory(), name="Codes")
    else:
        row = BookingFactory()
    model = type(row)
    read = instance_by_pk(model, row.pk)

    assert type(read) is model
    assert fields_of(read) == fields_of(model.objects.get(pk=row.pk))
    assert read._state.db == "default" and not read._state.adding


def test_no_row_for_an_unknown_key():
    assert instance_by_pk(Booking, 987654321) is None
