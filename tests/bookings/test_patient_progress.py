"""The patient's own progress through their private link: only the visits a practitioner shared,
only their own photos, in plain words, for as long as the link holds."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from patients.models import VisitMeasures
from patients.services import consents_record
from tests.factories import (
    BookingFactory,
    PatientFactory,
    clinic_photo,
    past_visit,
    self_rating,
)
from tests.html import without_addresses

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    """A patient's three visits, the first and last shared, each photographed; their link is
    the latest visit's."""
    patient = PatientFactory()
    first = past_visit(patient, *_place(), 180, crown_density=96, shedding=5)
    practitioner, location, consultation_type = (
        first.practitioner,
        first.location,
        first.consultation_type,
    )
    middle = past_visit(patient, practitioner, location, consultation_type, 90, crown_density=101)
    last = past_visit(
        patient, practitioner, location, consultation_type, 5, crown_density=121, shedding=2
    )
    VisitMeasures.objects.filter(booking__in=[first, last]).update(shared_with_patient=True)
    photos = {visit.pk: clinic_photo(visit, "crown") for visit in (first, middle, last)}
    consents_record(patient=patient, booking=first, photos_beyond_care=False, now=timezone.now())
    return {"visits": (first, middle, last), "photos": photos}


def _place():
    booking = BookingFactory()
    return booking.practitioner, booking.location, booking.consultation_type


def progress_url(booking):
    return reverse("bookings:progress", args=[booking.token])


def test_the_patient_sees_the_shared_visits_in_plain_words(client, course):
    first, middle, last = course["visits"]
    response = client.get(progress_url(last))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "2 visits your practitioner has shared with you" in html
    assert "More hairs at the crown: 121 per square centimetre, up from 96." in html
    assert "You are shedding less hair than at the start." in html
    shown = [course["photos"][v.pk] for v in (first, last)]
    for photo in shown:
        url = reverse("bookings:progress_photo", args=[last.token, photo.pk])
        assert url in html
        served = client.get(url)
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    hidden = course["photos"][middle.pk]
    assert (
        client.get(reverse("bookings:progress_photo", args=[last.token, hidden.pk])).status_code
        == 404
    )
    assert "Hairs per square centimetre" in html  # the chart's title


def test_another_patients_photo_never_opens_through_this_link(client, course):
    last = course["visits"][2]
    stranger = past_visit(PatientFactory(), *_place(), 10, crown_density=187)
    VisitMeasures.objects.filter(booking=stranger).update(shared_with_patient=True)
    photo = clinic_photo(stranger, "front")
    assert (
        client.get(reverse("bookings:progress_photo", args=[last.token, photo.pk])).status_code
        == 404
    )
    assert "187" not in without_addresses(client.get(progress_url(last)).content.decode())


def test_nothing_is_shown_before_a_practitioner_shares_a_visit(client, course):
    VisitMeasures.objects.update(shared_with_patient=False)
    html = client.get(progress_url(course["visits"][2])).content.decode()
    assert "has not shared any visit with you yet" in html
    assert "progress/photos/" not in html


def test_progress_stays_open_through_the_link_long_after_the_visit(client, course):
    """Private links no longer die 30 days after a visit: two months on, the patient still
    reads their progress and sees their photos."""
    last = course["visits"][2]
    Booking.objects.filter(pk=last.pk).update(
        starts_at=last.starts_at - timedelta(days=60),
        ends_at=last.ends_at - timedelta(days=60),
        blocked_from=last.blocked_from - timedelta(days=60),
        blocked_until=last.blocked_until - timedelta(days=60),
    )
    assert client.get(progress_url(last)).status_code == 200
    photo = course["photos"][last.pk]
    assert (
        client.get(reverse("bookings:progress_photo", args=[last.token, photo.pk])).status_code
        == 200
    )


def test_the_patient_sees_their_own_ratings_beside_the_figures(client, course):
    _, middle, last = course["visits"]
    self_rating(middle, 5, satisfaction=3)
    self_rating(last, 7, satisfaction=4)
    html = client.get(progress_url(last)).content.decode()
    assert "Your own view" in html
    assert "5 out of 10 · neither happy nor unhappy" in html and "7 out of 10 · happy" in html
    assert "How you rated your hair" in html  # the chart, with two answers to draw


def test_the_booking_page_leads_to_the_progress_once_there_is_something_to_see(client, course):
    last = course["visits"][2]
    link = progress_url(last)
    assert link in client.get(reverse("bookings:manage", args=[last.token])).content.decode()
    VisitMeasures.objects.update(shared_with_patient=False)
    assert link not in client.get(reverse("bookings:manage", args=[last.token])).content.decode()
    # The patient's own rating is theirs to see, shared or not.
    self_rating(last, 6)
    assert link in client.get(reverse("bookings:manage", args=[last.token])).content.decode()


def test_the_booking_page_leads_nowhere_for_a_cancelled_bookings_rating(client, course):
    _, middle, last = course["visits"]
    VisitMeasures.objects.update(shared_with_patient=False)
    self_rating(middle, 6)
    Booking.objects.filter(pk=middle.pk).update(status=Booking.Status.CANCELLED)
    page = client.get(reverse("bookings:manage", args=[last.token])).content.decode()
    assert progress_url(last) not in page
