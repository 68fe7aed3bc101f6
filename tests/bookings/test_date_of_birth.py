"""The date of birth's messages say what is wrong, to the patient on the booking form and of
the patient on reception's phone-booking form."""

from datetime import date

import pytest

from bookings.forms import PatientDetailsForm
from staff.forms import PhoneBookingForm
from tests.factories import valid_form

NEXT_YEAR = str(date.today().year + 1)


YEAR_MESSAGE = (
    "Please check the year of {whose} date of birth: all four digits, from 1900 on (e.g. 1985)."
)


@pytest.mark.parametrize(
    ("parts", "patient_sees", "reception_sees"),
    [
        (
            ("31", "2", "1980"),
            "Please check your date of birth: that day does not exist.",
            "Please check the patient's date of birth: that day does not exist.",
        ),
        (
            ("1", "1", "1850"),
            YEAR_MESSAGE.format(whose="your"),
            YEAR_MESSAGE.format(whose="the patient's"),
        ),
        (
            ("1", "1", "85"),
            YEAR_MESSAGE.format(whose="your"),
            YEAR_MESSAGE.format(whose="the patient's"),
        ),
        (
            ("1", "13", "1980"),
            "Please check the month: from 1 to 12.",
            "Please check the month: from 1 to 12.",
        ),
        (
            ("1", "1", NEXT_YEAR),
            "That date of birth is in the future: please check the year.",
            "That date of birth is in the future: please check the year with the patient.",
        ),
        (
            ("", "", ""),
            "Please enter your date of birth: day, month and year.",
            "Please enter the patient's date of birth: day, month and year.",
        ),
    ],
)
def test_a_wrong_date_of_birth_is_explained(parts, patient_sees, reception_sees):
    data = valid_form(date_of_birth_0=parts[0], date_of_birth_1=parts[1], date_of_birth_2=parts[2])
    for form, expected in (
        (PatientDetailsForm(data), patient_sees),
        (PhoneBookingForm({**data, "consent_care": "on"}), reception_sees),
    ):
        assert not form.is_valid()
        assert form.errors["date_of_birth"] == [expected]


def test_reception_is_told_who_arranges_a_consultation_for_someone_under_18():
    young = str(date.today().year - 10)
    data = {**valid_form(date_of_birth_2=young), "consent_care": "on"}
    form = PhoneBookingForm(data)
    assert not form.is_valid()
    assert "ask the clinic admin to arrange it" in form.errors["date_of_birth"][0]
    assert "please call the clinic" in PatientDetailsForm(data).errors["date_of_birth"][0]
