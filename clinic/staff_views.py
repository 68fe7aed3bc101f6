"""The staff home: today's consultations at every location, for staff signed in with two factors."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from bookings.models import Booking, Location
from bookings.services import BookingError, booking_cancel, booking_check_in, booking_close
from clinic.charts import weekly_figures
from clinic.staff_auth import StaffRequiredMixin


class StaffHomeView(StaffRequiredMixin, TemplateView):
    template_name = "clinic/staff/home.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        locations = list(Location.objects.all())
        days = {}
        for location in locations:
            today = now.astimezone(location.zone).date()
            start = datetime.combine(today, time(0), tzinfo=location.zone)
            days[location.pk] = (today, start, start + timedelta(days=1))
        bookings = []
        if locations:
            earliest = min(start for _, start, _ in days.values())
            latest = max(end for _, _, end in days.values())
            bookings = Booking.objects.filter(
                starts_at__gte=earliest, starts_at__lt=latest
            ).select_related("patient", "practitioner__user", "consultation_type", "location")
        by_location = {location.pk: [] for location in locations}
        for booking in bookings:
            _, start, end = days[booking.location_id]
            if start <= booking.starts_at < end:
                by_location[booking.location_id].append(booking)
        schedule = [(loc, days[loc.pk][0], by_location[loc.pk]) for loc in locations]
        can_act = self.request.user.has_perm("bookings.change_booking")
        return super().get_context_data(
            schedule=schedule, can_act=can_act, now=now, chart=weekly_figures(now), **kwargs
        )


class BookingActionView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Check in, complete, mark a no-show or cancel one booking, from the Today page."""

    permission_required = "bookings.change_booking"
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request, pk, action):
        booking = get_object_or_404(Booking, pk=pk)
        try:
            if action == "check-in":
                booking_check_in(booking=booking)
                done = "checked in"
            elif action == "complete":
                booking_close(booking=booking, status=Booking.Status.COMPLETED)
                done = "marked completed"
            elif action == "no-show":
                booking_close(booking=booking, status=Booking.Status.NO_SHOW)
                done = "marked as a no-show"
            elif action == "cancel":
                booking_cancel(booking=booking, by_staff=True, reason="Cancelled by the clinic")
                done = "cancelled; the patient is e-mailed"
            else:
                raise Http404("No such action.")
        except BookingError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{booking.patient.full_name}: {done}.")
        return redirect("staff_home")
