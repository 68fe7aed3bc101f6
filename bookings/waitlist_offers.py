"""Offering a freed time to the waitlist, and the waitlist's e-mails. Run by the task worker,
after the cancel or move that freed the time has committed.

An entry matches a freed time when it is still waiting, at that location, for that practitioner
or any, its range covers the day, and the time is one the slot engine offers for the entry's
consultation type right now (notice, horizon, hours, buffers and every booking included). The
matching patients are e-mailed oldest entry first, each with a claim link of their own. Each
e-mail is marked sent in the transaction that sends it, so a task run twice sends it once.
"""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bookings import selectors
from bookings.models import (
    Booking,
    ConsultationType,
    Location,
    Practitioner,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
)
from bookings.notifications import consultation_title
from clinic.text import header_safe
from clinic.times import format_local


def matching_entries(*, practitioner: Practitioner, location: Location, starts_at: datetime, now):
    """The waiting entries a time freed with ``practitioner`` at ``starts_at`` suits, oldest
    first, one an e-mail address and consultation type."""
    day = starts_at.astimezone(location.zone).date()
    entries = list(
        WaitlistEntry.objects.waiting(day)
        .filter(location=location, consultation_type__in=ConsultationType.bookable_online())
        .filter(Q(practitioner__isnull=True) | Q(practitioner=practitioner))
        .filter(consultation_type__practitioners=practitioner)
        .select_related("consultation_type")
        .order_by("created_at", "pk")
    )
    fits = {}
    for entry in entries:
        kind = entry.consultation_type
        if kind.pk not in fits:
            free = selectors.available_slots(
                consultation_type=kind,
                location=location,
                first_day=day,
                last_day=day,
                practitioner=practitioner,
                now=now,
            )
            fits[kind.pk] = free.slot_at(starts_at) is not None
    # One offer to an address, from its oldest entry the time suits: someone who joined twice
    # (the form sent again, or a second range) is not told twice, nor told "gone" of a time
    # they claimed through the other. Nor is anyone who has booked, from the waitlist, that
    # consultation still to come.
    offered = {
        (email.lower(), kind)
        for email, kind in WaitlistEntry.objects.filter(
            email__in={entry.email for entry in entries},
            booking__status=Booking.Status.CONFIRMED,
            booking__starts_at__gt=now,
        ).values_list("email", "consultation_type_id")
    }
    found = []
    for entry in entries:
        key = (entry.email.lower(), entry.consultation_type_id)
        if fits[entry.consultation_type_id] and key not in offered:
            offered.add(key)
            found.append(entry)
    return found


def offer_freed_time(
    *, booking_id: int, practitioner_id: int, starts_at: datetime, sequence: int, now=None
) -> int:
    """Offer the time a booking freed to the matching waitlist entries; return how many
    e-mails went out."""
    now = now or timezone.now()
    freed = Booking.objects.select_related("location").get(pk=booking_id)
    practitioner = Practitioner.objects.get(pk=practitioner_id)
    if starts_at <= now:
        return 0
    entries = matching_entries(
        practitioner=practitioner, location=freed.location, starts_at=starts_at, now=now
    )
    if not entries:
        return 0
    with transaction.atomic():
        opening, _ = WaitlistOpening.objects.get_or_create(
            freed_by=freed,
            freed_sequence=sequence,
            starts_at=starts_at,
            defaults={"practitioner": practitioner, "location": freed.location},
        )
        for entry in entries:
            WaitlistOffer.objects.get_or_create(opening=opening, entry=entry)
    sent = 0
    unsent = opening.offers.filter(sent_at__isnull=True).order_by("entry__created_at", "entry")
    for offer_id in unsent.values_list("pk", flat=True):
        with transaction.atomic():
            offer = (
                WaitlistOffer.objects.select_for_update(of=("self",))
                .select_related("entry", "opening__location", "opening__practitioner__user")
                .filter(pk=offer_id, sent_at__isnull=True)
                .first()
            )
            if offer is None or offer.opening.booking_id is not None:
                continue  # sent by another run, or claimed already
            offer.sent_at = timezone.now()
            offer.save(update_fields=["sent_at"])
            send_offer_email(offer)
            sent += 1
    return sent


def _link(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(name, args=[token])


def _send(*, to: str, subject: str, template: str, context: dict) -> None:
    context = {**context, "title": consultation_title(), "clinic": settings.CLINIC}
    EmailMultiAlternatives(
        subject=header_safe(subject),
        body=render_to_string(template, context),
        to=[to],
    ).send()


def send_offer_email(offer: WaitlistOffer) -> None:
    """Tell a waitlisted patient that a time has come free, with their claim link. Discreet, as
    every e-mail: "Consultation at <clinic>", no consultation or treatment name."""
    opening = offer.opening
    when = format_local(opening.starts_at, opening.location.zone, "l j F Y, H:i")
    _send(
        to=offer.entry.email,
        subject=f"A time has come free: {consultation_title()}, {when}",
        template="bookings/email/waitlist_offer.txt",
        context={
            "entry": offer.entry,
            "opening": opening,
            "when": when,
            "claim_link": _link("bookings:waitlist_claim", offer.token),
            "entry_link": _link("bookings:waitlist_entry", offer.entry.token),
        },
    )


def send_joined_email(entry: WaitlistEntry) -> None:
    """Confirm a place on the waitlist, with the link to see it or leave."""
    _send(
        to=entry.email,
        subject=f"On the waitlist: {consultation_title()}",
        template="bookings/email/waitlist_joined.txt",
        context={"entry": entry, "entry_link": _link("bookings:waitlist_entry", entry.token)},
    )
