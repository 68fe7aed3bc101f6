"""The confirmation worth keeping: what, who, where and how to get there, how long, the price
and when it is paid, what to prepare, and adding it to a calendar."""

from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from icalendar import Calendar

from bookings.models import Booking
from tests.factories import bookable_clinic, details_url, next_slot, valid_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(client):
    location, _, consultation_type = bookable_clinic()
    location.address = "14 Harrow Lane, London NW3 2QP"
    location.directions = "Four minutes from Hampstead station; step-free entrance."
    location.save()
    consultation_type.price = Decimal("95.00")
    consultation_type.preparation = "Bring your <b>blood test</b> results."
    consultation_type.save()
    review = client.post(details_url(consultation_type, location, next_slot(days=4)), valid_form())
    done = client.post(review.url)
    return Booking.objects.get(), client.get(done.url)


def test_the_confirmation_says_what_who_where_how_long_the_price_and_what_to_prepare(booked):
    booking, response = booked
    page = response.content.decode()
    assert booking.consultation_type.name in page
    assert f"{booking.practitioner.display_name}, Trichologist" in page
    assert "14 Harrow Lane, London NW3 2QP" in page
    assert "Four minutes from Hampstead station" in page
    assert "30 minutes" in page
    assert "£95.00, paid at the clinic on the day" in page
    assert "Bring your &lt;b&gt;blood test&lt;/b&gt; results." in page  # escaped
    assert "Tell us about your hair loss – 5 minutes" in page
    assert reverse("bookings:intake", args=[booking.token]) in page


def test_calendar_links_fill_in_the_exact_times_in_discreet_words(booked):
    booking, response = booked
    links = response.context["calendar_links"]
    google = parse_qs(urlparse(links["google"]).query)
    start = booking.starts_at.strftime("%Y%m%dT%H%M%SZ")
    end = booking.ends_at.strftime("%Y%m%dT%H%M%SZ")
    assert google["dates"] == [f"{start}/{end}"]
    assert google["text"][0].startswith("Consultation at ")
    outlook = parse_qs(urlparse(links["outlook"]).query)
    assert outlook["startdt"] == [booking.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")]
    for link in links.values():
        assert booking.token not in link  # calendars are shared: no private link in them
        assert booking.consultation_type.name not in link


def test_the_downloaded_calendar_file_publishes_the_event_without_an_invitation(client, booked):
    booking, _ = booked
    response = client.get(reverse("bookings:calendar", args=[booking.token]))
    assert response["Content-Type"] == "text/calendar; method=PUBLISH"
    calendar = Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    event = calendar.walk("VEVENT")[0]
    assert "ATTENDEE" not in event and "ORGANIZER" not in event
    assert event["DTSTART"].dt == booking.starts_at
