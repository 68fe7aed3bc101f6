"""Staff find patients and see their consultations; clinical pages only where the role allows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic import roles as role_names
from clinic.models import ClinicalRead
from tests.conftest import sign_in_with_second_factor
from tests.factories import PatientFactory, UserFactory
from tests.patients.test_review import booking_with_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def reception(client, roles):
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    return sign_in_with_second_factor(client, rosa)


@pytest.mark.parametrize(
    "query", ["Lovelace", "ada@ex", "0770", "1985-06-01", "01/06/1985", "ada lovelace"]
)
def test_search_by_name_email_phone_or_birth_date(reception, query):
    PatientFactory(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", phone="07700 900123"
    )
    PatientFactory(first_name="Grace", last_name="Hopper", date_of_birth="1970-01-01", phone="")
    html = reception.get(reverse("patient_search"), {"q": query}).content.decode()
    assert "Ada Lovelace" in html and "Grace Hopper" not in html


def test_search_costs_the_same_for_many_matches(reception):
    def count():
        with CaptureQueriesContext(connection) as queries:
            reception.get(reverse("patient_search"), {"q": "Smith"})
        return len(queries)

    PatientFactory(last_name="Smith")
    before = count()
    PatientFactory.create_batch(30, last_name="Smith")
    assert count() == before


def test_hostile_search_text_is_shown_escaped(reception):
    html = reception.get(reverse("patient_search"), {"q": "<b>x</b>" * 30}).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_reception_sees_the_timeline_but_no_link_into_clinical_pages(
    reception, roles, screening_rules
):
    from tests.bookings.flow_helpers import bookable_clinic

    location, (practitioner,), consultation_type = bookable_clinic()
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    html = reception.get(reverse("patient", args=[booking.patient_id])).content.decode()
    assert booking.consultation_type.name in html and "Intake received" in html
    assert reverse("review", args=[booking.pk]) not in html
    assert not ClinicalRead.objects.exists()


def test_the_practitioner_gets_a_link_to_review_their_consultation(client, roles, screening_rules):
    from tests.bookings.flow_helpers import bookable_clinic

    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    sign_in_with_second_factor(client, practitioner.user)
    html = client.get(reverse("patient", args=[booking.patient_id])).content.decode()
    assert reverse("review", args=[booking.pk]) in html
