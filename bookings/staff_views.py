"""Reception books a consultation for a patient who phones: the same services and rules as the
public flow, without the online notice and horizon."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from bookings import drafts, selectors
from bookings.forms import PhoneBookingForm
from bookings.models import Booking, ConsultationType, Location
from bookings.services import BookingError, booking_create, booking_reschedule
from clinic.staff_auth import StaffRequiredMixin
from patients.services import consents_record, patient_match_or_create


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
    try:
        day = date.fromisoformat(params.get("day", ""))
    except ValueError:
        day = today
    day = min(max(day, today), today + selectors.STAFF_HORIZON)
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
    template_name = "bookings/staff/phone_booking.html"

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
        details = form.cleaned_data
        try:
            with transaction.atomic():
                patient = patient_match_or_create(
                    first_name=details["first_name"],
                    last_name=details["last_name"],
                    email=details["email"],
                    phone=details["phone"],
                    date_of_birth=details["date_of_birth"],
                )
                booking = booking_create(
                    patient=patient,
                    consultation_type=choice["consultation_type"],
                    location=choice["location"],
                    starts_at=starts_at,
                    practitioner=choice["practitioner"],
                    by_staff=True,
                )
                consents_record(
                    patient=patient, booking=booking, photos_beyond_care=False, now=timezone.now()
                )
        except BookingError as error:
            form.add_error(None, error.message)
            return self.render_page(
                request, choice, form, status=409, alternatives=error.alternatives
            )
        local = booking.starts_at.astimezone(booking.location.zone)
        messages.success(
            request,
            f"Booked {patient.full_name} with {booking.practitioner.display_name}, "
            f"{local:%A %-d %B, %H:%M}. Their confirmation e-mail and private link are on the way.",
        )
        return redirect("staff_home")


class StaffRescheduleView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Move a confirmed booking to another free time, with the same or another practitioner.

    Staff are held to the booking rules but not to the online notice, horizon or late-change
    cutoff; the patient is e-mailed the new time and keeps their private link.
    """

    permission_required = "bookings.change_booking"
    raise_exception = True
    template_name = "bookings/staff/reschedule.html"

    def choice(self, booking, params):
        location = booking.location
        practitioners = list(
            selectors.eligible_practitioners(booking.consultation_type, location).select_related(
                "user"
            )
        )
        wanted = params.get("practitioner", str(booking.practitioner_id))
        practitioner = next((p for p in practitioners if str(p.pk) == wanted), None)
        today = timezone.now().astimezone(location.zone).date()
        try:
            day = date.fromisoformat(params.get("day", ""))
        except ValueError:
            day = booking.starts_at.astimezone(location.zone).date()
        day = min(max(day, today), today + selectors.STAFF_HORIZON)
        return {"practitioners": practitioners, "practitioner": practitioner, "day": day}

    def render_page(self, request, booking, choice, status=200, error="", alternatives=()):
        slots = []
        if choice["practitioner"] is not None:
            slots = selectors.available_slots(
                consultation_type=booking.consultation_type,
                location=booking.location,
                first_day=choice["day"],
                last_day=choice["day"],
                practitioner=choice["practitioner"],
                exclude_booking_id=booking.pk,
                by_staff=True,
            ).slots
        context = {
            **choice,
            "booking": booking,
            "started": booking.starts_at <= timezone.now(),
            "slots": slots,
            "error": error,
            "alternatives": alternatives,
            "previous_day": choice["day"] - timedelta(days=1),
            "next_day": choice["day"] + timedelta(days=1),
        }
        return render(request, self.template_name, context, status=status)

    def get_booking(self, pk):
        return get_object_or_404(
            Booking.objects.select_related(
                "patient", "practitioner__user", "consultation_type", "location"
            ),
            pk=pk,
        )

    def get(self, request, pk):
        booking = self.get_booking(pk)
        return self.render_page(request, booking, self.choice(booking, request.GET))

    def post(self, request, pk):
        booking = self.get_booking(pk)
        choice = self.choice(booking, request.POST)
        starts_at = drafts.parse_start(request.POST.get("start", ""))
        if choice["practitioner"] is None or starts_at is None:
            error = "Choose a practitioner and a free time to move the booking to."
            return self.render_page(request, booking, choice, status=400, error=error)
        try:
            moved = booking_reschedule(
                booking=booking,
                starts_at=starts_at,
                practitioner=choice["practitioner"],
                by_staff=True,
            )
        except BookingError as error:
            return self.render_page(
                request,
                booking,
                choice,
                status=409,
                error=error.message,
                alternatives=error.alternatives,
            )
        local = moved.starts_at.astimezone(moved.location.zone)
        messages.success(
            request,
            f"{booking.patient.full_name} moved to {local:%A %-d %B, %H:%M} with "
            f"{choice['practitioner'].display_name}. The patient is e-mailed the new time.",
        )
        return redirect("staff_home")
