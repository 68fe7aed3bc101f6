"""The private link's token: found by its digest, compared in constant time, and of no use once
the booking is over."""

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_cancel
from tests.factories import bookable_clinic, booking_with_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(screening_rules):
    location, (practitioner,), consultation_type = bookable_clinic()
    return booking_with_intake(location, consultation_type, practitioner, 3)


def manage(booking, token=None):
    return reverse("bookings:manage", args=[token or booking.token])


def move_to(booking, start):
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=30),
    )


def test_tokens_are_long_random_and_stored_with_their_digest(booking):
    assert len(booking.token) >= 43  # 256 bits, URL-safe
    assert booking.token_digest == hashlib.sha256(booking.token.encode()).hexdigest()
    other = Booking.objects.create(
        **{name: getattr(booking, name) for name in ("patient", "practitioner", "location")},
        consultation_type=booking.consultation_type,
        starts_at=booking.starts_at + timedelta(days=1),
        ends_at=booking.ends_at + timedelta(days=1),
        blocked_from=booking.starts_at + timedelta(days=1),
        blocked_until=booking.ends_at + timedelta(days=1),
    )
    assert other.token != booking.token


def test_the_database_is_searched_by_digest_never_by_the_token(client, booking):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(manage(booking)).status_code == 200
    lookup = next(q["sql"] for q in queries if "token_digest" in q["sql"])
    assert booking.token not in lookup and booking.token_digest in lookup


def test_a_token_one_character_off_or_matching_only_by_digest_opens_nothing(client, booking):
    near = booking.token[:-1] + ("A" if booking.token[-1] != "A" else "B")
    assert client.get(manage(booking, near)).status_code == 404
    # Even were a digest to collide, the token itself is compared before anything is shown.
    forged = "x" * 43
    Booking.objects.filter(pk=booking.pk).update(
        token_digest=hashlib.sha256(forged.encode()).hexdigest()
    )
    assert client.get(manage(booking, forged)).status_code == 404


def test_after_the_consultation_the_link_shows_no_answers_or_photos(client, booking):
    photo = booking.intake.photos.get()
    photo_url = reverse("bookings:photo", args=[booking.token, photo.pk])
    assert client.get(photo_url).status_code == 200
    move_to(booking, timezone.now() - timedelta(days=2))
    page = client.get(manage(booking))
    assert page.status_code == 200 and "has taken place" in page.content.decode()
    assert client.get(photo_url).status_code == 302  # sent back to the booking page, no photo
    assert client.get(reverse("bookings:intake", args=[booking.token])).status_code == 302


def test_the_link_keeps_working_long_after_the_consultation(client, booking):
    """No end date any more: a year on, the link still opens its booking and calendar file
    (nothing to change, no answers), and a new token (erasure) is what revokes it."""
    move_to(booking, timezone.now() - timedelta(days=366))
    page = client.get(manage(booking))
    assert page.status_code == 200 and "has taken place" in page.content.decode()
    assert client.get(reverse("bookings:calendar", args=[booking.token])).status_code == 200
    for name in ("cancel", "reschedule", "intake"):
        response = client.get(reverse(f"bookings:{name}", args=[booking.token]))
        assert response.status_code == 302, name  # back to the booking: nothing to change
    old = booking.token
    Booking.objects.filter(pk=booking.pk).update(token="y" * 43, token_digest="0" * 64)
    assert client.get(manage(booking, old)).status_code == 404


def test_a_cancelled_booking_link_keeps_showing_the_cancellation(client, booking):
    booking_cancel(booking=booking, notify=False)
    page = client.get(manage(booking))
    assert "This booking was cancelled" in page.content.decode()
    photo = booking.intake.photos.get()
    assert client.get(reverse("bookings:photo", args=[booking.token, photo.pk])).status_code == 302
    Booking.objects.filter(pk=booking.pk).update(cancelled_at=timezone.now() - timedelta(days=400))
    page = client.get(manage(booking))
    assert page.status_code == 200 and "This booking was cancelled" in page.content.decode()


def test_too_many_link_lookups_from_one_address_get_a_friendly_page(client, booking, settings):
    """Guessing tokens costs an address its lookups for the hour, right or wrong ones alike;
    another address is not affected."""
    settings.PRIVATE_LINK_LOOKUPS_PER_HOUR = 3
    # A name found on no page by chance (a random one such as "Ho" is in "Home").
    booking.patient.last_name = "Quillfeather"
    booking.patient.save()
    guesses = [client.get(manage(booking, "x" * 43)).status_code for _ in range(2)]
    assert guesses == [404, 404]
    assert client.get(manage(booking)).status_code == 200  # the third lookup: still allowed
    refused = client.get(manage(booking))
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Please try your booking link again later" in page
    assert "Your booking itself is unchanged" in page
    assert booking.patient.last_name not in page  # nothing of the booking is shown
    # Changing the booking through the link counts too, and is refused the same way.
    cancel = client.post(reverse("bookings:cancel", args=[booking.token]), {"reason": "x"})
    assert cancel.status_code == 429
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    other = client.get(manage(booking), REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200
