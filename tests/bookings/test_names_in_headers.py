"""A name goes into the clinic's e-mail subject: line breaks and other control characters are
refused where names are typed, and a name stored with one never stops the e-mail."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from icalendar import Calendar

from bookings.drafts import format_start
from bookings.forms import PatientDetailsForm
from bookings.models import Booking
from bookings.services import booking_create
from bookings.tasks import send_booking_emails
from clinic import roles as role_names
from clinic.text import SINGLE_LINE_MESSAGE, header_safe
from patients.models import Patient
from tests.factories import (
    PatientFactory,
    UserFactory,
    bookable_clinic,
    details_url,
    next_slot,
    sign_in_with_second_factor,
    valid_form,
)

pytestmark = pytest.mark.django_db

HOSTILE_NAMES = [
    "Ada\r\nBcc: everyone@example.com",
    "Ada\nLovelace",
    "Ada\rLovelace",
    "Ada\tLovelace",
    "Ada\x0bLovelace",
    "Ada\x85Lovelace",  # NEL, a line break to Python's e-mail package
    "Ada\u2028Lovelace",  # line separator
    "\u202eecalevoL",  # right-to-left override: reads backwards
    "Ada\ufeff",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_the_details_form_refuses_control_characters_in_names(field, name):
    form = PatientDetailsForm(valid_form(**{field: name}))
    assert not form.is_valid()
    assert form.errors[field] == [SINGLE_LINE_MESSAGE]


@pytest.mark.parametrize("name", ["Zoë O'Brien-Smith", "José María", "Nguyễn", "مریم", "می‌خواهم"])
def test_names_in_any_script_are_accepted(name):
    # The last holds a zero-width non-joiner, which Persian needs inside words.
    form = PatientDetailsForm(valid_form(first_name=name))
    assert form.is_valid(), form.errors


def test_a_name_with_a_line_break_is_refused_on_the_page_with_the_typing_kept(client):
    location, _, consultation_type = bookable_clinic()
    response = client.post(
        details_url(consultation_type, location, next_slot()),
        valid_form(first_name="Ada\r\nBcc: everyone@example.com"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "without line breaks" in page
    assert "Lovelace" in page  # everything else typed is still there
    assert not Patient.objects.exists()


def test_reception_cannot_type_a_line_break_into_a_name_either(client, roles):
    location, _, consultation_type = bookable_clinic()
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    reception = sign_in_with_second_factor(client, rosa)
    response = reception.post(
        reverse("staff:phone_booking"),
        {
            "type": consultation_type.slug,
            "location": location.pk,
            "practitioner": "any",
            "start": format_start(next_slot()),
            "first_name": "Tom",
            "last_name": "Becker\nBcc: everyone@example.com",
            "email": "tom@example.com",
            "phone": "07400 900789",
            "date_of_birth": "1990-04-02",
            "consent_care": "on",
        },
    )
    assert response.status_code in (400, 409)
    assert "without line breaks" in response.content.decode()
    assert not Booking.objects.exists()


def test_the_patient_record_refuses_them_too(db):
    """The admin's patient form validates the model's fields."""
    patient = PatientFactory.build(first_name="Ada\r\nLovelace", phone="0770\n0900123")
    with pytest.raises(ValidationError) as refused:
        patient.full_clean()
    assert set(refused.value.message_dict) == {"first_name", "phone"}


def test_a_name_stored_with_a_line_break_does_not_stop_the_e_mails(db):
    """Names stored before they were refused: the clinic still hears of the booking."""
    location, (practitioner,), consultation_type = bookable_clinic()
    patient = PatientFactory(
        first_name="Ada\r\nBcc: everyone@example.com", last_name="Love\u2028lace"
    )
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    booking = booking_create(
        patient=patient,
        consultation_type=consultation_type,
        location=location,
        starts_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
        practitioner=practitioner,
        notify=False,
    )
    assert send_booking_emails.call(booking.pk, "confirmed", booking.sequence) == "sent"
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "\r" not in message.subject and "\n" not in message.subject
        message.message()  # the headers as sent: no BadHeaderError
    clinic_mail = next(m for m in mail.outbox if m.to == [settings.CLINIC_INBOX_EMAIL])
    assert "Ada Bcc: everyone@example.com Love lace" in clinic_mail.subject
    assert clinic_mail.bcc == []
    calendar = Calendar.from_ical(mail.outbox[0].attachments[0][1]).walk("VEVENT")[0]
    assert calendar["ATTENDEE"].params["CN"] == "Ada Bcc: everyone@example.com Love lace"


def test_header_safe_keeps_ordinary_text_and_joins_the_rest_with_spaces():
    assert header_safe("Zoë O'Brien") == "Zoë O'Brien"
    assert header_safe("Ada\r\n\tLovelace") == "Ada Lovelace"
    assert header_safe("\u202eAda\x00") == "Ada"
