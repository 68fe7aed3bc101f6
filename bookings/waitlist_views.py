"""The patient's waitlist pages: join (where no time suits), see or leave an entry through its
link, and claim a freed time through the link e-mailed with it.

Links carry unguessable tokens, looked up by digest and rate-limited like a private booking
link; no database id appears in any of them.
"""

import functools
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from bookings import selectors
from bookings.forms import DayForm
from bookings.models import ConsultationType, WaitlistEntry, WaitlistOffer
from bookings.refusals import closed_on
from bookings.services import BookingError
from bookings.views import _choice
from bookings.waitlist import (
    WaitlistGone,
    local_today,
    offer_state,
    waitlist_claim,
    waitlist_join,
    waitlist_leave,
)
from bookings.waitlist_forms import WaitlistClaimForm, WaitlistJoinForm, default_range
from clinic import ratelimit
from clinic.views import error_page


class WaitlistJoinView(View):
    """Ask to be told when a time frees up: the consultation chosen, a practitioner or any, a
    date range, a name, an e-mail and the care consent."""

    template_name = "bookings/waitlist_join.html"

    def setup_form(self, request, slug, data=None):
        self.consultation_type = get_object_or_404(ConsultationType.bookable_online(), slug=slug)
        source = request.POST if data is not None else request.GET
        _, self.location, practitioners, practitioner = _choice(
            _QueryOf(request, source), self.consultation_type
        )
        today = local_today(self.location)
        last_bookable = today + timedelta(days=self.consultation_type.horizon_days)
        first, last = default_range(today, last_bookable)
        # From the day the patient was looking at, when the picker sent one.
        asked = DayForm(request.GET, first=today, last=last_bookable).chosen()
        if asked is not None:
            first, last = asked, min(max(last, asked + timedelta(days=7)), last_bookable)
        initial = {
            "practitioner": str(practitioner.pk) if practitioner else "any",
            "first_day": first,
            "last_day": last,
        }
        return WaitlistJoinForm(
            data,
            initial=initial,
            practitioners=practitioners,
            today=today,
            last_bookable=last_bookable,
            closed_days=functools.partial(selectors.closed_days, self.location),
        )

    def render_form(self, request, form, status=200, paused=False):
        context = {
            "consultation_type": self.consultation_type,
            "location": self.location,
            "form": form,
            "paused": paused,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, slug):
        return self.render_form(request, self.setup_form(request, slug))

    def post(self, request, slug):
        form = self.setup_form(request, slug, request.POST)
        if not ratelimit.allow(request, "booking-form", settings.BOOKING_SUBMISSIONS_PER_HOUR):
            # The form again with what was typed, saying why it was not sent.
            return self.render_form(request, form, status=429, paused=True)
        if not form.is_valid():
            return self.render_form(request, form, status=400)
        data = form.cleaned_data
        entry = waitlist_join(
            consultation_type=self.consultation_type,
            location=self.location,
            practitioner=data["chosen_practitioner"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
        )
        messages.success(
            request,
            "You are on the waitlist. We have e-mailed you this page's link, to see or leave it.",
        )
        return redirect("bookings:waitlist_entry", token=entry.token)


class _QueryOf:
    """The location and practitioner chosen, read from the form posted as from a query."""

    def __init__(self, request, source):
        self.GET = source


class WaitlistEntryView(View):
    """A waitlist entry through its link: what was asked for, and leaving."""

    def get(self, request, token):
        entry = _lookup(
            request,
            WaitlistEntry.objects.select_related(
                "consultation_type", "location", "practitioner__user", "booking"
            ),
            token,
        )
        if not isinstance(entry, WaitlistEntry):
            return entry
        context = {
            "entry": entry,
            "ended": entry.last_day < local_today(entry.location),
        }
        return render(request, "bookings/waitlist_entry.html", context)


class WaitlistLeaveView(View):
    http_method_names = ["post"]

    def post(self, request, token):
        entry = _lookup(request, WaitlistEntry.objects.all(), token)
        if not isinstance(entry, WaitlistEntry):
            return entry
        waitlist_leave(entry=entry)
        return render(request, "bookings/waitlist_left.html")


class WaitlistClaimView(View):
    """A freed time offered to one waitlisted patient: claim it with a phone number and date
    of birth, or learn that it has gone."""

    template_name = "bookings/waitlist_claim.html"

    def load(self, request, token):
        offer = _lookup(
            request,
            WaitlistOffer.objects.select_related(
                "entry__consultation_type",
                "entry__location",
                "opening__location",
                "opening__practitioner__user",
                "opening__booking__patient",
            ),
            token,
        )
        return offer

    def render_page(self, request, offer, form=None, status=200, error=""):
        state = offer_state(offer)
        message = getattr(error, "message", "")
        opening = offer.opening
        day = opening.starts_at.astimezone(opening.location.zone).date()
        refused = state == "open" and bool(error)
        if state == "open" and not error and request.method == "GET":
            # Booked meanwhile by other means: say so before the patient types anything.
            free = selectors.available_slots(
                consultation_type=offer.entry.consultation_type,
                location=opening.location,
                first_day=day,
                last_day=day,
                practitioner=opening.practitioner,
            )
            refused = free.slot_at(opening.starts_at) is None
            if refused:
                state = "gone"
        if isinstance(error, WaitlistGone):
            state = "gone"
        # The clinic closed that day since the offer was sent: the time has gone for good, and
        # the patient is told why (not to choose another day, as a booking's refusal says).
        if refused and (closed := selectors.closed_days(opening.location, day, day)):
            state = "gone"
            message = _closed_message(opening, day, closed[day])
        context = {
            "offer": offer,
            "entry": offer.entry,
            "opening": opening,
            "state": state,
            "error": message,
            "form": form or WaitlistClaimForm(region=offer.opening.location.country),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, token):
        offer = self.load(request, token)
        if not isinstance(offer, WaitlistOffer):
            return offer
        return self.render_page(request, offer)

    def post(self, request, token):
        if not ratelimit.allow(request, "booking-confirm", settings.BOOKING_SUBMISSIONS_PER_HOUR):
            return ratelimit.too_many(request)
        offer = self.load(request, token)
        if not isinstance(offer, WaitlistOffer):
            return offer
        form = WaitlistClaimForm(request.POST, region=offer.opening.location.country)
        if not form.is_valid():
            return self.render_page(request, offer, form, status=400)
        try:
            booking = waitlist_claim(
                offer=offer,
                phone=form.cleaned_data["phone"],
                date_of_birth=form.cleaned_data["date_of_birth"],
                photos_beyond_care=form.cleaned_data["consent_photos"],
                now=timezone.now(),
            )
        except BookingError as error:
            offer.entry.refresh_from_db()
            offer.opening.refresh_from_db()
            return self.render_page(request, offer, form, status=409, error=error)
        messages.success(request, "The time is yours: your booking is confirmed.")
        return redirect("bookings:manage", token=booking.token)


def _closed_message(opening, day, closure: str) -> str:
    """Why a freed time cannot be claimed when its day has since been closed."""
    return f"{closed_on(opening.location, day, closure)}, so this time can no longer be booked."


def _lookup(request, queryset, token):
    """The entry or offer whose link carries ``token`` (rate-limited against guessing, as a
    private booking link), or the page refusing too many lookups, or saying (404) that no place
    has this link."""
    if not ratelimit.allow(request, "private-link", settings.PRIVATE_LINK_LOOKUPS_PER_HOUR):
        return ratelimit.too_many(request, "bookings/too_many_link.html")
    found = queryset.for_link(token)
    if found is None:
        # Mostly a place that has ended, and been deleted with its offers: its dates passed,
        # a time was booked from it, or it was left (through its link, or by asking the
        # clinic). Which, nothing is kept to tell.
        return error_page(
            request,
            404,
            "This waitlist link no longer works",
            "The place on the waitlist it was for has ended: its dates have passed, a time was "
            "booked from it, or it was left. To wait for a time again, join the waitlist from "
            "the booking pages.",
        )
    return found
