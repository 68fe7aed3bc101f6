"""Staff find patients and see their consultations; clinical pages only where the role allows."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic import roles as role_names
from clinic.models import ClinicalRead
from tests.factories import (
    PatientFactory,
    UserFactory,
    booking_with_intake,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query", ["Lovelace", "ada@ex", "0740", "1985-06-01", "01/06/1985", "ada lovelace"]
)
def test_search_by_name_email_phone_or_birth_date(reception, query):
    PatientFactory(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", phone="07400 900123"
    )
    PatientFactory(first_name="Grace", last_name="Hopper", date_of_birth="1970-01-01", phone="")
    html = reception.get(reverse("staff:patient_search"), {"q": query}).content.decode()
    assert "Ada Lovelace" in html and "Grace Hopper" not in html


@pytest.mark.parametrize(
    "query",
    [
        "050 123 4567",
        "050 1234567",
        "+971 50 123 4567",
        "50 123 4567",
        "Zoe 050 123 4567",
        "050-123-4567",
        "(050) 123 4567",
    ],
)
def test_a_phone_number_typed_in_groups_finds_its_patient(reception, query):
    """Numbers are said and typed in groups, and stored in one piece (+971501234567)."""
    PatientFactory(first_name="Zoe", last_name="Obrien", phone="+971501234567")
    PatientFactory(first_name="Omar", last_name="Said", phone="+971501239999")
    html = reception.get(reverse("staff:patient_search"), {"q": query}).content.decode()
    assert "Zoe Obrien" in html and "Omar Said" not in html


@pytest.mark.parametrize(
    "query", ["nunez", "Núñez", "NUNEZ", "Zoe Nunez-O", "Nunez, Zoë", "Łukasz", "lukasz"]
)
def test_a_name_is_found_whatever_its_accents_and_commas(reception, query):
    if query.lower().startswith(("łukasz", "lukasz")):
        PatientFactory(first_name="Łukasz", last_name="Strauß", email="l@example.com")
        expected = "Łukasz Strauß"
    else:
        PatientFactory(first_name="Zoë", last_name="Ñúñez-O'Brien", email="z@example.com")
        expected = "Ñúñez-O&#x27;Brien"
    other = PatientFactory(first_name="Zoe", last_name="Smith", email="s@example.com")
    html = reception.get(reverse("staff:patient_search"), {"q": query}).content.decode()
    # The other patient's page, not the name: the signed-in staff member's random name may
    # be Smith too.
    other_page = reverse("staff:patient", args=[other.pk])
    assert expected in html and f'href="{other_page}"' not in html


def test_search_costs_the_same_for_many_matches(reception):
    def count():
        with CaptureQueriesContext(connection) as queries:
            reception.get(reverse("staff:patient_search"), {"q": "Smith"})
        return len(queries)

    PatientFactory(last_name="Smith")
    before = count()
    PatientFactory.create_batch(30, last_name="Smith")
    assert count() == before


def test_hostile_search_text_is_shown_escaped(reception):
    html = reception.get(reverse("staff:patient_search"), {"q": "<b>x</b>" * 30}).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_reception_sees_the_timeline_but_no_link_into_clinical_pages(
    reception, roles, screening_rules
):
    from tests.factories import bookable_clinic

    location, (practitioner,), consultation_type = bookable_clinic()
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    html = reception.get(reverse("staff:patient", args=[booking.patient_id])).content.decode()
    assert booking.consultation_type.name in html and "Intake received" in html
    assert reverse("staff:review", args=[booking.pk]) not in html
    photo = booking.intake.photos.get()
    assert "Screening flags" not in html and reverse("staff:photo", args=[photo.pk]) not in html
    assert not ClinicalRead.objects.exists()


def test_the_practitioner_gets_a_link_to_review_their_consultation(client, roles, screening_rules):
    from tests.factories import bookable_clinic

    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    sign_in_with_second_factor(client, practitioner.user)
    html = client.get(reverse("staff:patient", args=[booking.patient_id])).content.decode()
    assert reverse("staff:review", args=[booking.pk]) in html


@pytest.fixture
def two_practitioners(roles, screening_rules):
    from tests.factories import bookable_clinic

    location, staff, consultation_type = bookable_clinic(practitioners=2)
    for practitioner in staff:
        practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    return location, staff, consultation_type


def test_the_practitioner_sees_the_whole_history_of_the_patients_they_see(
    client, two_practitioners
):
    from tests.factories import assessed, same_patient

    location, (mine, other), consultation_type = two_practitioners
    seen = booking_with_intake(location, consultation_type, mine, 2, screen_bleeding_disorder="yes")
    assessed(seen, mine.user, ["prp", "micro_needling"])
    theirs = same_patient(booking_with_intake(location, consultation_type, other, 4), seen)
    assessed(theirs, other.user, ["transplant"])
    sign_in_with_second_factor(client, mine.user)

    html = client.get(reverse("staff:patient", args=[seen.patient_id])).content.decode()

    assert "PRP is contraindicated" in html  # the flag and its reason
    assert "Recommended: PRP, Micro-needling" in html
    assert reverse("staff:photo", args=[seen.intake.photos.get().pk]) in html
    # A care team: the other practitioner's consultation of this patient is read in full.
    assert theirs.starts_at.astimezone(location.zone).strftime("%-d %b %Y") in html
    assert "Hair transplant" in html
    assert reverse("staff:photo", args=[theirs.intake.photos.get().pk]) in html
    reads = ClinicalRead.objects.filter(user=mine.user, patient_id=seen.patient_id)
    assert (
        sorted(reads.values_list("what", flat=True)) == ["assessment"] * 2 + ["screening flags"] * 2
    )
    # A patient they have never seen stays closed to them.
    stranger = booking_with_intake(location, consultation_type, other, 5)
    assessed(stranger, other.user, ["exosomes"])
    html = client.get(reverse("staff:patient", args=[stranger.patient_id])).content.decode()
    assert "Exosomes" not in html and "Screening flags" not in html


def test_the_patient_page_costs_the_same_queries_for_a_longer_history(client, two_practitioners):
    from tests.factories import assessed, same_patient

    location, (mine, _), consultation_type = two_practitioners
    first = booking_with_intake(location, consultation_type, mine, 2)
    assessed(first, mine.user)
    sign_in_with_second_factor(client, mine.user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("staff:patient", args=[first.patient_id])).status_code == 200
        return len(queries)

    before = count()
    for days in (3, 4, 5):
        visit = same_patient(booking_with_intake(location, consultation_type, mine, days), first)
        assessed(visit, mine.user)
    assert count() == before


def test_hostile_answers_show_escaped_on_the_patient_page(client, two_practitioners):
    location, (mine, _), consultation_type = two_practitioners
    booking = booking_with_intake(location, consultation_type, mine, 2)
    from patients.models import Patient

    Patient.objects.filter(pk=booking.patient_id).update(last_name="<img src=x onerror=alert(1)>")
    sign_in_with_second_factor(client, mine.user)
    html = client.get(reverse("staff:patient", args=[booking.patient_id])).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html


def test_the_patient_page_makes_the_phone_number_a_link_to_call(reception):
    patient = PatientFactory(phone="07400 900123")
    page = reception.get(reverse("staff:patient", args=[patient.pk])).content.decode()
    assert '<a href="tel:+447400900123">+44 7400 900123</a>' in page


def test_reception_is_led_to_correct_a_patients_details(reception, roles):
    """Reception may correct details (in the admin) but had no way there from the patient."""
    patient = PatientFactory(first_name="Priya", phone="")
    change = reverse("admin:patients_patient_change", args=[patient.pk])
    page = reception.get(reverse("staff:patient", args=[patient.pk])).content.decode()
    assert f'href="{change}">Correct Priya\'s details</a>' in page
    assert reception.get(change).status_code == 200
    # A practitioner reads the details, and corrects none.
    practitioner = UserFactory()
    practitioner.groups.add(roles[role_names.PRACTITIONER])
    other = sign_in_with_second_factor(Client(), practitioner)
    page = other.get(reverse("staff:patient", args=[patient.pk])).content.decode()
    assert change not in page


@pytest.fixture
def visits(db):
    """A patient with an upcoming consultation, a past one and a cancelled one."""
    from datetime import timedelta

    from django.utils import timezone

    from bookings.models import Booking
    from tests.factories import BookingFactory, bookable_clinic

    location, (practitioner,), consultation_type = bookable_clinic()
    patient = PatientFactory(first_name="Ada", last_name="Moss", email="ada@example.com")
    made = {
        name: BookingFactory(
            patient=patient,
            practitioner=practitioner,
            consultation_type=consultation_type,
            location=location,
            starts_at=timezone.now().replace(microsecond=0) + timedelta(days=days),
            status=status,
        )
        for name, days, status in [
            ("upcoming", 3, Booking.Status.CONFIRMED),
            ("past", -20, Booking.Status.COMPLETED),
            ("cancelled", 5, Booking.Status.CANCELLED),
        ]
    }
    return patient, made


def test_the_patient_page_offers_booking_moving_and_cancelling(reception, visits):
    patient, made = visits
    html = reception.get(reverse("staff:patient", args=[patient.pk])).content.decode()
    booking_link = f"{reverse('staff:phone_booking')}?patient={patient.pk}"
    assert f'href="{booking_link}&amp;location={made["upcoming"].location_id}"' in html
    assert 'href="mailto:ada@example.com"' in html
    upcoming = made["upcoming"]
    assert reverse("staff:reschedule", args=[upcoming.pk]) in html
    assert reverse("staff:booking_action", args=[upcoming.pk, "cancel"]) in html
    for other in (made["past"], made["cancelled"]):
        assert reverse("staff:reschedule", args=[other.pk]) not in html
        assert reverse("staff:booking_action", args=[other.pk, "cancel"]) not in html


def test_cancelling_from_the_patient_page_uses_the_diarys_action(reception, visits):
    from bookings.models import Booking

    patient, made = visits
    upcoming = made["upcoming"]
    reception.post(reverse("staff:booking_action", args=[upcoming.pk, "cancel"]))
    upcoming.refresh_from_db()
    assert upcoming.status == Booking.Status.CANCELLED
    html = reception.get(reverse("staff:patient", args=[patient.pk])).content.decode()
    assert reverse("staff:booking_action", args=[upcoming.pk, "cancel"]) not in html


def test_an_erased_patient_cannot_be_booked_from_their_page(reception, visits):
    from django.utils import timezone

    from patients.models import Patient

    patient, _ = visits
    Patient.objects.filter(pk=patient.pk).update(erased_at=timezone.now())
    html = reception.get(reverse("staff:patient", args=[patient.pk])).content.decode()
    assert f"?patient={patient.pk}" not in html


def test_the_patient_page_with_actions_costs_a_fixed_number_of_queries(
    reception, visits, django_assert_num_queries
):
    from datetime import timedelta

    from tests.factories import BookingFactory

    patient, made = visits
    # Session, the user with their permissions, roles and second factor (one query); the
    # patient; their consultations; their plans whose visits reception books (no session save:
    # the idle stamp is rewritten at most once a minute).
    with django_assert_num_queries(5):
        assert reception.get(reverse("staff:patient", args=[patient.pk])).status_code == 200
    upcoming = made["upcoming"]
    for days in (1, 2, 3):
        BookingFactory(
            patient=patient,
            practitioner=upcoming.practitioner,
            consultation_type=upcoming.consultation_type,
            location=upcoming.location,
            starts_at=upcoming.starts_at + timedelta(days=days),
        )
    with django_assert_num_queries(5):
        html = reception.get(reverse("staff:patient", args=[patient.pk])).content.decode()
    assert html.count(">Move<") == 4


def test_a_request_to_erase_made_from_home_shows_on_the_patient_page_at_no_query_more(
    reception, visits, django_assert_num_queries
):
    from django.utils import timezone

    from patients.home import erasure_request_make

    patient, _ = visits
    url = reverse("staff:patient", args=[patient.pk])
    assert "their data be erased" not in reception.get(url).content.decode()
    erasure_request_make(patient=patient, now=timezone.now())
    with django_assert_num_queries(5):  # as without a request: the patient's row joins it
        html = reception.get(url).content.decode()
    assert "from their own page, that their data be erased" in html


def test_an_erased_patients_page_shows_no_placeholder_as_their_details(clinic_admin, visits):
    from bookings.privacy import patient_erase

    patient, _ = visits
    patient_erase(patient=patient)
    patient.refresh_from_db()
    html = clinic_admin.get(reverse("staff:patient", args=[patient.pk])).content.decode()
    assert "Personal data erased at the patient's request" in html
    assert "Date of birth" not in html and f"mailto:{patient.email}" not in html
    assert patient.email not in html
