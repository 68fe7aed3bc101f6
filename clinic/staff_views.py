"""The staff home: a day's consultations at every location (today unless another day is asked
for), the week view, and the actions on one booking, for staff signed in with two factors."""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View
from django.views.generic import TemplateView

from bookings.models import Booking, Location
from bookings.services import BookingError, booking_cancel, booking_check_in, booking_close
from clinic.charts import weekly_figures
from clinic.staff_auth import StaffRequiredMixin

# How far from today the day and week views go: a year either way.
DAYS_SHOWN_EITHER_WAY = 366


def chosen_day(request, today: date, parameter: str = "day") -> date:
    """The day asked for in the query (an ISO date), within a year of today; else today."""
    try:
        wanted = date.fromisoformat(request.GET.get(parameter, ""))
    except ValueError:
        return today
    limit = timedelta(days=DAYS_SHOWN_EITHER_WAY)
    return min(max(wanted, today - limit), today + limit)


class StaffHomeView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Each location's consultations of one day, in the location's own time, with actions."""

    permission_required = "bookings.view_booking"
    raise_exception = True
    template_name = "clinic/staff/home.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        locations = list(Location.objects.all())
        # "Today" is each location's own date: Dubai's day may have begun while London's
        # has not. Another day, once chosen, is that calendar date at every location.
        reference = now.astimezone(locations[0].zone).date() if locations else now.date()
        day = chosen_day(self.request, reference)
        is_today = day == reference
        days = {}
        for location in locations:
            local_day = now.astimezone(location.zone).date() if is_today else day
            start = datetime.combine(local_day, time(0), tzinfo=location.zone)
            days[location.pk] = (local_day, start, start + timedelta(days=1))
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
            schedule=schedule,
            can_act=can_act,
            now=now,
            day=day,
            is_today=is_today,
            previous_day=(day - timedelta(days=1)).isoformat(),
            next_day=(day + timedelta(days=1)).isoformat(),
            chart=weekly_figures(now),
            **kwargs,
        )


class BookingActionView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Check in, complete, mark a no-show or cancel one booking, from the Today page."""

    permission_required = "bookings.change_booking"
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request, pk, action):
        booking = get_object_or_404(Booking.objects.select_related("location", "patient"), pk=pk)
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
        # Back to the day the booking is on, so that staff working through another day's
        # list stay on it.
        zone = booking.location.zone
        local_day = booking.starts_at.astimezone(zone).date()
        if local_day == timezone.now().astimezone(zone).date():
            return redirect("staff_home")
        return redirect(reverse("staff_home") + "?" + urlencode({"day": local_day.isoformat()}))


class WeekView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """A location's week: one row per practitioner, one column per day, with each booking."""

    permission_required = "bookings.view_booking"
    raise_exception = True
    template_name = "clinic/staff/week.html"

    def get_context_data(self, **kwargs):
        locations = list(Location.objects.all())
        wanted = self.request.GET.get("location", "")
        location = next((loc for loc in locations if str(loc.pk) == wanted), None)
        location = location or (locations[0] if locations else None)
        if location is None:
            return super().get_context_data(location=None, **kwargs)
        today = timezone.now().astimezone(location.zone).date()
        chosen = chosen_day(self.request, today, parameter="week")
        monday = chosen - timedelta(days=chosen.weekday())
        days = [monday + timedelta(days=n) for n in range(7)]
        start = datetime.combine(monday, time(0), tzinfo=location.zone)
        end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=location.zone)
        practitioners = list(location.practitioners.filter(is_active=True).select_related("user"))
        cells = {(p.pk, day): [] for p in practitioners for day in days}
        bookings = (
            Booking.objects.filter(location=location, starts_at__gte=start, starts_at__lt=end)
            .exclude(status=Booking.Status.CANCELLED)
            .select_related("patient", "consultation_type")
            .order_by("starts_at")
        )
        for booking in bookings:
            key = (booking.practitioner_id, booking.starts_at.astimezone(location.zone).date())
            cells.setdefault(key, []).append(booking)
        rows = [(p, [cells[(p.pk, day)] for day in days]) for p in practitioners]
        return super().get_context_data(
            location=location,
            locations=locations,
            days=days,
            rows=rows,
            now=timezone.now(),
            can_move=self.request.user.has_perm("bookings.change_booking"),
            previous_week=(monday - timedelta(days=7)).isoformat(),
            next_week=(monday + timedelta(days=7)).isoformat(),
            **kwargs,
        )
