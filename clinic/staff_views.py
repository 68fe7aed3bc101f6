"""The staff home: today's consultations at every location, for staff signed in with two factors."""

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.views.generic import TemplateView

from bookings.models import Booking, Location
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
        return super().get_context_data(schedule=schedule, **kwargs)
