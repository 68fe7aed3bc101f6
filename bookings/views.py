from datetime import timedelta

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import ListView, TemplateView

from bookings import selectors
from bookings.models import ConsultationType, Location, Practitioner

TIMES_DAYS_SHOWN = 7


class ConsultationTypeListView(ListView):
    """Step 1 of booking: the consultations on offer."""

    template_name = "bookings/consultation_types.html"
    context_object_name = "consultation_types"

    def get_queryset(self):
        return ConsultationType.objects.filter(is_active=True).prefetch_related(
            Prefetch(
                "practitioners",
                queryset=Practitioner.objects.filter(is_active=True).prefetch_related("locations"),
            )
        )


class ConsultationTimesView(TemplateView):
    """The next free times of one consultation at one location, with any practitioner."""

    template_name = "bookings/consultation_times.html"

    def get_context_data(self, **kwargs):
        consultation_type = get_object_or_404(
            ConsultationType, slug=self.kwargs["slug"], is_active=True
        )
        locations = list(
            Location.objects.filter(
                practitioners__consultation_types=consultation_type,
                practitioners__is_active=True,
            ).distinct()
        )
        if not locations:
            raise Http404("No location offers this consultation.")
        chosen = self.request.GET.get("location", "")
        location = next((loc for loc in locations if str(loc.pk) == chosen), locations[0])
        today = timezone.now().astimezone(location.zone).date()
        result = selectors.available_slots(
            consultation_type=consultation_type,
            location=location,
            first_day=today,
            last_day=today + timedelta(days=TIMES_DAYS_SHOWN - 1),
        )
        return super().get_context_data(
            consultation_type=consultation_type,
            locations=locations,
            location=location,
            days=result.slots_by_day(),
            days_shown=TIMES_DAYS_SHOWN,
            **kwargs,
        )
