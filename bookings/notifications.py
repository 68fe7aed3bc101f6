"""E-mails and calendar files for patients and the clinic inbox.

Wording is discreet by default: "Consultation at <clinic>" ("Visit at <clinic>" for a treatment
session), with no diagnosis and no treatment name in any subject, body or calendar entry, since
e-mail and calendars are often shared.
"""

from datetime import UTC

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from icalendar import Calendar, Event, vCalAddress, vText

from bookings.models import Booking
from clinic.text import header_safe
from clinic.times import format_local

SUBJECTS = {
    "confirmed": "Booked: {title}, {when}",
    "rescheduled": "Moved: {title}, now {when}",
    "cancelled": "Cancelled: {title}, {when}",
    "reminder": "Reminder: {title}, {when}",
}


def consultation_title() -> str:
    return f"Consultation at {settings.CLINIC['name']}"


def visit_title(booking: Booking) -> str:
    """What the booking is called in its e-mails and calendar entries: a consultation, or for a
    treatment session, as discreetly but truly, a visit."""
    if booking.consultation_type.is_procedure:
        return f"Visit at {settings.CLINIC['name']}"
    return consultation_title()


def private_link(booking: Booking) -> str:
    return settings.SITE_URL + reverse("bookings:manage", args=[booking.token])


def calendar_file(booking: Booking, *, publish: bool = False) -> bytes:
    """Return an iCalendar file for the booking: a request, or a cancellation once cancelled.

    With ``publish``, the file a patient downloads to add the booking to their own calendar:
    METHOD:PUBLISH, without organiser or attendee, since an invitation (REQUEST) makes some
    calendar programs offer to reply to the clinic instead of simply adding the event.
    """
    cancelled = booking.status == Booking.Status.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.CLINIC['name']}//Consultation booking//EN")
    calendar.add("version", "2.0")
    # REQUEST/CANCEL with an organiser and an attendee, so that calendar programs update or
    # remove the event they already hold (matched by UID, ordered by SEQUENCE).
    calendar.add("method", "PUBLISH" if publish else "CANCEL" if cancelled else "REQUEST")
    event = Event()
    # Stable across every change of this booking, and free of anything secret.
    event.add("uid", f"booking-{booking.pk}-{booking.created_at:%Y%m%d%H%M%S}@clinic")
    event.add("sequence", booking.sequence)
    event.add("dtstamp", booking.updated_at)
    # In UTC, the exact instant. A local time with a TZID cannot name the second 01:30 of the
    # night clocks go back (RFC 5545 reads it as the first), so such a booking would show an
    # hour early; calendar programs show a UTC time in their own user's zone.
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", visit_title(booking))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("location", calendar_location(booking))
    if not publish:
        organizer = vCalAddress(f"mailto:{settings.CLINIC['email']}")
        organizer.params["cn"] = vText(settings.CLINIC["name"])
        event.add("organizer", organizer)
        attendee = vCalAddress(f"mailto:{booking.patient.email}")
        attendee.params["cn"] = vText(header_safe(booking.patient.full_name))
        attendee.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", attendee)
    event.add("description", calendar_description(booking))
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_location(booking: Booking) -> str:
    if booking.is_video:
        # Not the room's address: calendars are shared more widely than e-mail, and the
        # address lets whoever holds it join the call.
        return "Video call: the link is in your confirmation e-mail and on your booking page"
    return f"{settings.CLINIC['name']}, {booking.location.address}"


def calendar_description(booking) -> str:
    # No private link here: calendars are shared and synced more widely than e-mail, and the
    # link opens the patient's answers.
    return (
        "To view, move or cancel this booking, use the link in your confirmation e-mail, "
        f"or call {booking.location.contact_phone}."
    )


def calendar_links(booking: Booking) -> dict:
    """Links that open Google's and Outlook's "new event" pages filled in with the booking, in
    the same discreet words as the calendar file."""
    start, end = booking.starts_at.astimezone(UTC), booking.ends_at.astimezone(UTC)
    title, where, about = (
        visit_title(booking),
        calendar_location(booking),
        calendar_description(booking),
    )
    google = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}",
        "location": where,
        "details": about,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "startdt": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "location": where,
        "body": about,
    }
    return {
        "google": "https://calendar.google.com/calendar/render?" + urlencode(google),
        "outlook": "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(outlook),
    }


def _local_when(booking: Booking) -> str:
    return format_local(booking.starts_at, booking.location.zone, "l j F Y, H:i")


def send_patient_email(booking: Booking, kind: str) -> None:
    """Send the patient the e-mail for ``kind`` (confirmed, rescheduled, cancelled, reminder)."""
    context = {
        "booking": booking,
        "kind": kind,
        "title": visit_title(booking),
        "when": _local_when(booking),
        "link": private_link(booking),
        "home_link": settings.SITE_URL + reverse("bookings:home_sign_in"),
        "clinic": settings.CLINIC,
    }
    subject = header_safe(SUBJECTS[kind].format(title=context["title"], when=context["when"]))
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("bookings/email/patient.txt", context),
        to=[booking.patient.email],
    )
    message.attach_alternative(
        render_to_string("bookings/email/patient.html", context), "text/html"
    )
    method = "CANCEL" if kind == "cancelled" else "REQUEST"
    message.attach("consultation.ics", calendar_file(booking), f"text/calendar; method={method}")
    message.send()


def intake_link(booking: Booking) -> str:
    return settings.SITE_URL + reverse("bookings:intake", args=[booking.token])


def send_intake_reminder(booking: Booking) -> None:
    """Ask the patient to finish the questions before their visit (discreet, like the rest)."""
    context = {
        "booking": booking,
        "title": visit_title(booking),
        "when": _local_when(booking),
        "link": intake_link(booking),
        "clinic": settings.CLINIC,
    }
    subject = header_safe(f"Before your visit: a few questions, {context['when']}")
    EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("bookings/email/intake_reminder.txt", context),
        to=[booking.patient.email],
    ).send()


def send_clinic_email(booking: Booking, kind: str) -> None:
    """Tell the clinic inbox about a new, moved or cancelled booking (no clinical detail)."""
    context = {
        "booking": booking,
        "kind": kind,
        "when": _local_when(booking),
        "admin_link": settings.SITE_URL
        + reverse("admin:bookings_booking_change", args=[booking.pk]),
    }
    # A name stored before line breaks were refused must not stop the e-mail (BadHeaderError).
    subject = header_safe(f"{kind.capitalize()}: {booking.patient.full_name}, {context['when']}")
    EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("bookings/email/clinic.txt", context),
        to=[settings.CLINIC_INBOX_EMAIL],
    ).send()
