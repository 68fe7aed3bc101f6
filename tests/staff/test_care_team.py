"""A care team, not a silo: a practitioner with an upcoming or past consultation with a patient
reads that patient's whole clinical history (every read audited); one with none reads nothing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from clinic import roles as role_names
from clinic.models import ClinicalRead
from tests.factories import (
    BookingFactory,
    PractitionerFactory,
    VisitMeasuresFactory,
    assessed,
    bookable_clinic,
    booking_with_intake,
    clinic_photo,
    next_slot,
    sign_in_with_second_factor,
)
from tests.html import without_addresses

pytestmark = pytest.mark.django_db

SECRET_FINDING = "Miniaturisation at the crown, seen by Dr First"


@pytest.fixture
def history(roles, screening_rules):
    """Dr First's assessed consultation of a patient, with measures and a clinic photo; Dr Next
    has an upcoming consultation with the same patient; Dr Other has none."""
    location, (first, following, other), consultation_type = bookable_clinic(practitioners=3)
    for practitioner in (first, following, other):
        practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    earlier = booking_with_intake(location, consultation_type, first, 2)
    start = timezone.now() - timedelta(days=60)
    Booking.objects.filter(pk=earlier.pk).update(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=30),
        status=Booking.Status.COMPLETED,
    )
    earlier.refresh_from_db()
    assessment = assessed(earlier, first.user)
    assessment.rationale = SECRET_FINDING
    assessment.save()
    VisitMeasuresFactory(booking=earlier, frontal_density=121)
    photo = clinic_photo(earlier, "crown")
    upcoming = BookingFactory(
        patient=earlier.patient,
        practitioner=following,
        location=location,
        consultation_type=consultation_type,
    )
    return {
        "earlier": earlier,
        "upcoming": upcoming,
        "photo": photo,
        "users": {"first": first.user, "next": following.user, "other": other.user},
    }


def client_for(user):
    return sign_in_with_second_factor(Client(), user)


def pages(history):
    earlier, patient = history["earlier"], history["earlier"].patient_id
    return {
        "review": reverse("staff:review", args=[earlier.pk]),
        "intake photo": reverse("staff:photo", args=[earlier.intake.photos.get().pk]),
        "clinic photo": reverse("staff:clinic_photo", args=[history["photo"].pk]),
    }, {
        "patient": reverse("staff:patient", args=[patient]),
        "timeline": reverse("staff:timeline", args=[patient]),
    }


def test_a_practitioner_with_an_upcoming_consultation_reads_the_earlier_history(history):
    client = client_for(history["users"]["next"])
    direct, listing = pages(history)
    for name, url in direct.items():
        assert client.get(url).status_code == 200, name
    patient_page = client.get(listing["patient"]).content.decode()
    assert "Recommended: PRP" in patient_page  # the colleague's assessment
    timeline = client.get(listing["timeline"]).content.decode()
    assert (
        "121" in timeline and reverse("staff:clinic_photo", args=[history["photo"].pk]) in timeline
    )
    review = client.get(direct["review"]).content.decode()
    assert "Androgenetic alopecia" in review
    reads = set(
        ClinicalRead.objects.filter(user=history["users"]["next"]).values_list("what", flat=True)
    )
    assert {"intake", "assessment", "photo", "clinic photo", "measures"} <= reads


def test_a_practitioner_with_only_a_past_consultation_reads_it_too(history):
    start = timezone.now() - timedelta(days=400)
    Booking.objects.filter(pk=history["upcoming"].pk).update(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=30),
        status=Booking.Status.COMPLETED,
    )
    client = client_for(history["users"]["next"])
    direct, _ = pages(history)
    assert client.get(direct["review"]).status_code == 200


@pytest.mark.parametrize("who", ["other", "cancelled"])
def test_a_practitioner_with_no_consultation_with_the_patient_reads_nothing(history, who):
    if who == "cancelled":
        # A cancelled consultation makes no care relationship.
        Booking.objects.filter(pk=history["upcoming"].pk).update(status=Booking.Status.CANCELLED)
        user = history["users"]["next"]
    else:
        user = history["users"]["other"]
    client = client_for(user)
    direct, listing = pages(history)
    for name, url in direct.items():
        assert client.get(url).status_code == 404, name
    patient_page = client.get(listing["patient"]).content.decode()
    assert "Recommended:" not in patient_page and "Screening flags" not in patient_page
    timeline = client.get(listing["timeline"]).content.decode()
    assert "has no visit with measures or clinic photos that you may see" in timeline
    assert "121" not in without_addresses(timeline)
    assert not ClinicalRead.objects.filter(user=user).exists()


def test_reading_the_history_gives_no_right_to_change_a_colleagues_records(history):
    client = client_for(history["users"]["next"])
    earlier = history["earlier"]
    assert client.get(reverse("staff:assessment", args=[earlier.pk])).status_code == 404
    assert client.get(reverse("staff:visit_measures", args=[earlier.pk])).status_code == 404
    assert client.get(reverse("staff:visit_photos", args=[earlier.pk])).status_code == 404
    # Nor does the colleague's consultation join their review queue.
    queue = client.get(reverse("staff:review_queue")).content.decode()
    assert reverse("staff:review", args=[earlier.pk]) not in queue


def test_a_new_practitioner_joins_the_care_team_when_booked(history):
    newcomer = PractitionerFactory()
    newcomer.user.groups.add(history["users"]["other"].groups.get())
    client = client_for(newcomer.user)
    direct, _ = pages(history)
    assert client.get(direct["review"]).status_code == 404
    BookingFactory(
        patient=history["earlier"].patient, practitioner=newcomer, starts_at=next_slot(days=6)
    )
    assert client.get(direct["review"]).status_code == 200
