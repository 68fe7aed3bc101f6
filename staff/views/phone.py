"""Reception books a consultation for a patient who phones: the same services and rules as the
public flow, without the online notice and horizon."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from bookings import drafts, selectors
from bookings.models import ConsultationType, Location
from bookings.services import BookingError, phone_booking_create
from clinic.times import format_local
from staff.auth import StaffRequiredMixin
from staff.forms import PhoneBookingForm, bookable_day


def _choice(params):
    """Read the consultation, location, practitioner and day chosen, with safe defaults."""
    types = list(ConsultationType.objects.filter(is_active=True))
    consultation_type = next(
        (t for t in types if t.slug == params.get("type")), types[0] if types else None
    )
    locations = list(Location.objects.all())
    location = next(
        (loc for loc in locations if str(loc.pk) == params.get("location")),
        locations[0] if locations else None,
    )
    practitioners = (
        list(selectors.eligible_practitioners(consultation_type, location))
        if consultation_type and location
        else []
    )
    practitioner = next((p for p in practitioners if str(p.pk) == params.get("practitioner")), None)
    today = timezone.now().astimezone(location.zone).date() if location else date.today()
    day = bookable_day(params, today=today, horizon=selectors.STAFF_HORIZON)
    return {
        "types": types,
        "consultation_type": consultation_type,
        "locations": locations,
        "location": location,
        "practitioners": practitioners,
        "practitioner": practitioner,
        "day": day,
    }


class PhoneBookingView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.add_booking"
    raise_exception = True
    template_name = "staff/phone_booking.html"

    def render_page(self, request, choice, form, status=200, alternatives=()):
        slots = []
        if choice["consultation_type"] and choice["location"]:
            slots = selectors.available_slots(
                consultation_type=choice["consultation_type"],
                location=choice["location"],
                first_day=choice["day"],
                last_day=choice["day"],
                practitioner=choice["practitioner"],
                by_staff=True,
            ).slots
        context = {**choice, "form": form, "slots": slots, "alternatives": alternatives}
        context["previous_day"] = choice["day"] - timedelta(days=1)
        context["next_day"] = choice["day"] + timedelta(days=1)
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(request, _choice(request.GET), PhoneBookingForm())

    def post(self, request):
        choice = _choice(request.POST)
        form = PhoneBookingForm(request.POST)
        starts_at = drafts.parse_start(request.POST.get("start", ""))
        chosen_type = choice["consultation_type"]
        if chosen_type is None or chosen_type.slug != request.POST.get("type"):
            form.add_error(None, "Choose the consultation again: that one is not offered.")
        if starts_at is None:
            form.add_error(None, "Choose a time for the consultation.")
        if not form.is_valid():
            return self.render_page(request, choice, form, status=400)
        try:
            booking = phone_booking_create(
                details=form.cleaned_data,
                consultation_type=choice["consultation_type"],
                location=choice["location"],
                starts_at=starts_at,
                practitioner=choice["practitioner"],
            )
        except BookingError as error:
            form.add_error(None, error.message)
            return self.render_page(
                request, choice, form, status=409, alternatives=error.alternatives
            )
        when = format_local(booking.starts_at, booking.location.zone, "l j F, H:i")
        messages.success(
            request,
            f"Booked {booking.patient.full_name} with {booking.practitioner.display_name}, "
            f"{when}. Their confirmation e-mail and private link are on the way.",
        )
        return redirect("staff:home")
