"""Finding a returning patient from a booking form's details (``patient_match_or_create``):
the e-mail and names compared ignoring case, the birth date exactly, the oldest record first."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import Patient
from patients.services import patient_match_or_create
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

DETAILS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "",
    "date_of_birth": date(1985, 12, 10),
}


def test_the_email_and_names_are_matched_ignoring_case_and_spaces_round_the_names():
    known = PatientFactory(
        first_name="ADA", last_name="lovelace", email="Ada@Example.COM", date_of_birth="1985-12-10"
    )
    found = patient_match_or_create(**{**DETAILS, "first_name": " ada ", "last_name": "LoveLace"})
    assert found == known
    assert found.date_of_birth == date(1985, 12, 10) and found.email == "Ada@Example.COM"
    assert Patient.objects.count() == 1


def test_the_oldest_of_two_matching_records_is_the_one_found():
    first = PatientFactory(**{**DETAILS, "date_of_birth": "1985-12-10"})
    PatientFactory(**{**DETAILS, "date_of_birth": "1985-12-10"})
    assert patient_match_or_create(**DETAILS) == first


@pytest.mark.parametrize(
    "other",
    [
        {"date_of_birth": date(1985, 12, 11)},
        {"first_name": "Augusta"},
        {"last_name": "Byron"},
        {"email": "ada@example.org"},
        # Wildcards are letters like any other, never patterns.
        {"email": "ada@example.co%"},
        {"first_name": "A_a"},
    ],
)
def test_a_near_match_is_a_new_patient(other):
    PatientFactory(**{**DETAILS, "date_of_birth": "1985-12-10"})
    found = patient_match_or_create(**{**DETAILS, **other})
    assert found.pk and Patient.objects.count() == 2


def test_a_returning_patient_is_found_in_one_query_after_the_lock():
    known = PatientFactory(**{**DETAILS, "date_of_birth": "1985-12-10", "phone": "+447400900123"})
    with CaptureQueriesContext(connection) as queries:
        found = patient_match_or_create(**DETAILS)
    # Every field as the ORM reads it.
    by_orm = Patient.objects.get(pk=known.pk)
    assert [(field.name, getattr(found, field.attname)) for field in Patient._meta.fields] == [
        (field.name, getattr(by_orm, field.attname)) for field in Patient._meta.fields
    ]
    # The lock on the person's identity (PostgreSQL) and the lookup after it, sent together;
    # nothing to complete.
    assert len(queries) == 1
