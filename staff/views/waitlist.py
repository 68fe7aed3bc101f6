"""The waitlist of one day: who waits for a time that day, at each location, and the times
freed that day with what became of them. Linked from the day list. A patient who phones to come
off the waitlist is taken off here, as their own link would."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from bookings.models import Booking, Location, WaitlistEntry, WaitlistOpening
from bookings.waitlist import waitlist_leave
from staff.auth import StaffRequiredMixin
from staff.forms import clinic_today, diary_day


class WaitlistView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Entries whose range covers the day, oldest first (the order offers go out in), and the
    times freed that day: claimed, or still open, with how many patients were offered each."""

    permission_required = "bookings.view_waitlistentry"
    raise_exception = True
    template_name = "staff/waitlist.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        locations = list(Location.objects.all())
        reference = clinic_today(locations, now)
        day = diary_day(self.request.GET, today=reference, request=self.request)
        entries = (
            WaitlistEntry.objects.filter(first_day__lte=day, last_day__gte=day)
            .select_related("consultation_type", "practitioner__user", "booking")
            .order_by("created_at", "pk")
        )
        # The day at every location, in UTC: from the earliest midnight to the latest.
        bounds = [
            datetime.combine(day, time(), tzinfo=location.zone) for location in locations
        ] or [datetime.combine(day, time(), tzinfo=timezone.get_current_timezone())]
        openings = (
            WaitlistOpening.objects.filter(
                starts_at__gte=min(bounds), starts_at__lt=max(bounds) + timedelta(days=1)
            )
            .select_related("practitioner__user", "booking__patient")
            .annotate(
                offered=Count("offers"),
                # Booked since by other means (a phone call, the booking pages): no longer
                # free, though nobody claimed it from the waitlist.
                taken=Exists(
                    Booking.objects.active().filter(
                        practitioner_id=OuterRef("practitioner_id"),
                        starts_at=OuterRef("starts_at"),
                    )
                ),
            )
        )
        by_location = {location.pk: ([], []) for location in locations}
        for entry in entries:
            by_location[entry.location_id][0].append(entry)
        zones = {location.pk: location.zone for location in locations}
        for opening in openings:
            if opening.starts_at.astimezone(zones[opening.location_id]).date() == day:
                by_location[opening.location_id][1].append(opening)
        return super().get_context_data(
            day=day,
            is_today=day == reference,
            previous_day=(day - timedelta(days=1)).isoformat(),
            next_day=(day + timedelta(days=1)).isoformat(),
            sections=[(location, *by_location[location.pk]) for location in locations],
            **kwargs,
        )


class WaitlistRemoveView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Take a patient off the waitlist at their request: the entry and its offers go, with
    their name and e-mail, as when they leave through their own link. A booking made from it
    stays. Back to the day's waitlist the button was on."""

    permission_required = "bookings.delete_waitlistentry"
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request, pk):
        entry = WaitlistEntry.objects.filter(pk=pk).first()
        if entry is None:
            # Sent twice, or taken off meanwhile through the patient's link.
            messages.info(request, "That patient is no longer on the waitlist.")
        else:
            waitlist_leave(entry=entry)
            messages.success(request, f"{entry.full_name} is off the waitlist.")
        # Back to the day it was taken off from, as the waitlist page reckons days.
        today = clinic_today(list(Location.objects.all()[:1]), timezone.now())
        day = diary_day(request.POST, today=today)
        return redirect(f"{reverse('staff:waitlist')}?day={day.isoformat()}")
