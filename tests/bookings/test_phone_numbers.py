"""Phone numbers: read in the country of the booking's location, stored in international form,
and garbage refused with a message that says what to write."""

import importlib

import phonenumbers
import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from phonenumber_field.phonenumber import PhoneNumber

from bookings.forms import PatientDetailsForm
from bookings.models import Booking
from bookings.services import booking_create
from clinic.audit import insert_audited
from patients.models import Patient
from tests.factories import (
    LocationFactory,
    PatientFactory,
    bookable_clinic,
    details_url,
    next_slot,
    valid_form,
    weekly_hours,
)

pytestmark = pytest.mark.django_db


def details(phone, region):
    form = PatientDetailsForm(valid_form(phone=phone), region=region)
    return form


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("050 123 4567", "AE", "+971501234567"),  # Dubai mobile, written locally in Dubai
        ("+971 50 123 4567", "GB", "+971501234567"),  # Dubai, with its code, booked in London
        ("00971 50 123 4567", "GB", "+971501234567"),  # the international prefix, from the UK
        ("+90 532 123 45 67", "GB", "+905321234567"),  # Istanbul mobile
        ("0532 123 45 67", "TR", "+905321234567"),  # Istanbul, written locally in Turkey
        ("07400 900123", "GB", "+447400900123"),  # UK local form, location in the UK
        ("(020) 7946-0321", "GB", "+442079460321"),  # a London landline, with punctuation
    ],
)
def test_numbers_are_read_in_the_locations_country_and_kept_in_international_form(
    typed, region, stored
):
    form = details(typed, region)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"].as_e164 == stored


@pytest.mark.parametrize(
    "garbage",
    ["12", "not a number", "+44 1", "07400 900123 ext <script>", "+999 123 456 789", "٠٧٧٠٠"],
)
def test_garbage_is_refused_with_a_message_that_shows_what_to_write(garbage):
    form = details(garbage, "GB")
    assert not form.is_valid()
    (message,) = form.errors["phone"]
    assert message.startswith("Please enter a phone number we can call, e.g. 07")
    assert "+971 50 123 4567" in message


def test_the_example_is_a_local_number_of_the_locations_country():
    (message,) = details("nope", "AE").errors["phone"]
    assert "e.g. 050 123 4567" in message


def test_a_uk_local_number_is_not_valid_in_dubai():
    assert not details("07400 900123", "AE").is_valid()


def test_booking_in_dubai_stores_the_local_number_in_international_form(client):
    _, _, consultation_type = bookable_clinic()
    dubai = LocationFactory(name="Dubai", time_zone="Asia/Dubai", country="AE")
    practitioner = consultation_type.practitioners.get()
    practitioner.locations.add(dubai)
    weekly_hours(practitioner, dubai)
    start = next_slot(days=4, hour=8)  # 12:00 in Dubai
    url = details_url(consultation_type, dubai, start)
    review = client.post(url, valid_form(phone="050 123 4567"))
    assert review.status_code == 302, review.content.decode()[:2000]
    page = client.get(review.url).content.decode()
    assert "+971 50 123 4567" in page  # the patient sees how it was read before confirming
    assert client.post(review.url).status_code == 302
    patient = Booking.objects.get().patient
    assert patient.phone == PhoneNumber.from_string("+971501234567")
    assert str(patient.phone) == "+971 50 123 4567"


def test_a_refused_number_keeps_the_typing_on_the_details_page(client):
    location, _, consultation_type = bookable_clinic()
    url = details_url(consultation_type, location, next_slot())
    response = client.post(url, valid_form(phone="call me maybe"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="call me maybe"' in html
    assert "Please enter a phone number we can call" in html
    assert not Booking.objects.exists()
    assert reverse("bookings:times", args=[consultation_type.slug]) in html


def test_numbers_stored_before_are_rewritten_in_the_country_of_their_last_booking():
    _, (practitioner,), consultation_type = bookable_clinic()
    dubai = LocationFactory(name="Dubai", time_zone="Asia/Dubai", country="AE")
    practitioner.locations.add(dubai)
    weekly_hours(practitioner, dubai)
    in_dubai, in_london, garbled = PatientFactory(), PatientFactory(), PatientFactory()
    booking_create(
        patient=in_dubai,
        consultation_type=consultation_type,
        location=dubai,
        starts_at=next_slot(days=4, hour=8),
        notify=False,
    )
    typed = {in_dubai: "050 123 4567", in_london: "07400 900123", garbled: "ring the bell"}
    with connection.cursor() as cursor:  # as the old, hand-checked form stored them
        for patient, phone in typed.items():
            cursor.execute(
                "UPDATE patients_patient SET phone = %s WHERE id = %s", [phone, patient.pk]
            )

    migration = importlib.import_module("patients.migrations.0012_phone_international")
    migration.phones_to_international(apps, None)

    stored = dict(Patient.objects.values_list("pk", "phone"))
    assert stored[in_dubai.pk].as_e164 == "+971501234567"
    assert stored[in_london.pk].as_e164 == "+447400900123"  # no booking: the default region
    assert stored[garbled.pk].raw_input == "ring the bell"  # kept for staff to correct


def test_a_confirmed_number_is_checked_once_from_the_form_to_the_audit_row(monkeypatch):
    checks = []
    check = phonenumbers.is_valid_number

    def counted(number):
        checks.append(number)
        return check(number)

    monkeypatch.setattr(phonenumbers, "is_valid_number", counted)
    form = details("07400 900123", "GB")
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    names = ("first_name", "last_name", "email", "phone", "date_of_birth")
    patient = Patient(**{name: data[name] for name in names})
    insert_audited(patient)
    assert len(checks) == 1
    assert Patient.objects.get(pk=patient.pk).phone == "+447400900123"
    assert patient.history.get().phone == "+447400900123"
    # A number that is no number is refused, as before.
    assert "phone" in details("12", "GB").errors
