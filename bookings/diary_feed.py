"""A practitioner's private diary feed: an iCalendar address their calendar app subscribes to.

The feed names each consultation's type and the patient's initials, and nothing else about
the patient: no full name, no contact details, no answers, flags or assessment. Calendars are
synced to phones and shared with assistants and family more readily than the clinic's pages.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.crypto import constant_time_compare
from icalendar import Calendar, Event

from bookings.models import Booking, CalendarFeed, Practitioner, new_booking_token, token_digest

# The feed lists consultations from this far back (so that a week's notes can be written
# against the diary) to this far ahead.
FEED_DAYS_BEFORE = 30
FEED_DAYS_AHEAD = 366


def calendar_feed_renew(*, practitioner: Practitioner, now: datetime) -> str:
    """Make a new feed address for ``practitioner`` and return its token, which is shown to
    them once. Any earlier address stops working in the same transaction."""
    token = new_booking_token()
    with transaction.atomic():
        CalendarFeed.objects.update_or_create(
            practitioner=practitioner,
            defaults={"token_digest": token_digest(token), "created_at": now},
        )
    return token


def calendar_feed_stop(*, practitioner: Practitioner) -> None:
    """Turn the practitioner's feed off: its address opens nothing any more."""
    CalendarFeed.objects.filter(practitioner=practitioner).delete()


def feed_practitioner(token: str) -> Practitioner | None:
    """The practitioner whose feed address carries ``token``, or None.

    Found by the token's digest, then the digests are compared again in constant time, so that
    neither the lookup nor the check says how much of a guessed token is right.
    """
    digest = token_digest(token)
    feed = (
        CalendarFeed.objects.select_related("practitioner__user")
        .filter(token_digest=digest)
        .first()
    )
    if feed is None or not constant_time_compare(feed.token_digest, digest):
        return None
    return feed.practitioner


def initials(patient) -> str:
    """ "A. M." for Ada Moss: enough for a practitioner to tell two patients of a day apart."""
    letters = [name.strip()[:1].upper() for name in (patient.first_name, patient.last_name)]
    return " ".join(f"{letter}." for letter in letters if letter)


def diary_feed(*, practitioner: Practitioner, now: datetime) -> bytes:
    """Return the practitioner's consultations, recent and upcoming, as an iCalendar file."""
    bookings = (
        Booking.objects.filter(
            practitioner=practitioner,
            starts_at__gte=now - timedelta(days=FEED_DAYS_BEFORE),
            starts_at__lt=now + timedelta(days=FEED_DAYS_AHEAD),
        )
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("patient", "consultation_type", "location")
        .order_by("starts_at")
    )
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.CLINIC['name']}//Practitioner diary//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{settings.CLINIC['name']}: {practitioner.display_name}")
    # Calendar apps that honour it poll every hour.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for booking in bookings:
        event = Event()
        event.add("uid", f"diary-{booking.pk}-{booking.created_at:%Y%m%d%H%M%S}@clinic")
        event.add("dtstamp", booking.updated_at.astimezone(UTC))
        # In UTC, the exact instant, as in the patient's calendar file.
        event.add("dtstart", booking.starts_at.astimezone(UTC))
        event.add("dtend", booking.ends_at.astimezone(UTC))
        event.add("summary", f"{booking.consultation_type.name} · {initials(booking.patient)}")
        if booking.consultation_type.mode == booking.consultation_type.Mode.VIDEO:
            event.add("location", "Video call")
        else:
            event.add("location", booking.location.name)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
