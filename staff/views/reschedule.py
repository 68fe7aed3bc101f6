"""Staff move a confirmed booking to another free time (the same or another practitioner), from
the day, the week or a plan's visits; a session of a treatment plan moves through the plan's own
move, which keeps the course's windows."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from bookings import drafts, selectors
from bookings.forms import posted_sequence
from bookings.models import Booking
from bookings.services import CHANGED_SINCE, BookingError, booking_reschedule
from clinic.times import format_local
from staff.auth import StaffRequiredMixin
from staff.forms import bookable_day
from staff.views.plan_visits import PlanVisitsView
from staff.views.today import back_to_day, day_url
from treatments import selectors as plan_selectors
from treatments.models import Plan, PlanStep
from treatments.services import PlanError, session_move
from treatments.tasks import rescreen_request_after_move


class StaffRescheduleView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Move a confirmed booking to another free time, with the same or another practitioner.

    Staff are held to the booking rules but not to the online notice, horizon or late-change
    cutoff; the patient is e-mailed the new time and keeps their private link.
    """

    permission_required = "bookings.change_booking"
    raise_exception = True
    template_name = "staff/reschedule.html"

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
        notes = []
        day = bookable_day(
            params,
            today=today,
            horizon=selectors.STAFF_HORIZON,
            default=booking.starts_at.astimezone(location.zone).date(),
            notes=notes,
        )
        return {
            "practitioners": practitioners,
            "practitioner": practitioner,
            "day": day,
            "day_notes": notes,
            "first_day": today,
            "last_day": today + selectors.STAFF_HORIZON,
        }

    @staticmethod
    def keep_url(request, booking, plan_step) -> str:
        """Where "Keep the booking as it is" leads: a plan's visit back to the plan's visits,
        any other booking to its day."""
        if plan_step is not None and request.user.has_perms(PlanVisitsView.permission_required):
            return reverse("staff:plan_visits", args=[plan_step.step.plan_id])
        return day_url(booking)

    def render_page(self, request, booking, choice, status=200, error="", alternatives=(), **extra):
        plan_step = plan_window(booking)
        slots, closed = [], ""
        if choice["practitioner"] is not None:
            free = selectors.available_slots(
                consultation_type=booking.consultation_type,
                location=booking.location,
                first_day=choice["day"],
                last_day=choice["day"],
                practitioner=choice["practitioner"],
                exclude_booking_id=booking.pk,
                by_staff=True,
            )
            slots, closed = free.slots, free.closed.get(choice["day"], "")
        outside_window = plan_step is not None and not plan_step.window.holds(choice["day"])
        if outside_window:
            # A visit of a plan is offered only the times that keep its window.
            slots = []
        # What the person's page showed, sent back after a refusal for another reason, so that a
        # move by someone else meanwhile is still caught; the booking's own once they have seen
        # it (``CHANGED_SINCE``) or on a fresh page.
        sequence = extra.pop("sequence", None)
        if sequence is None or error == CHANGED_SINCE:
            sequence = booking.sequence
        context = {
            **choice,
            "sequence": sequence,
            "keep_url": self.keep_url(request, booking, plan_step),
            "plan_step": plan_step,
            "outside_window": outside_window,
            "booking": booking,
            "started": booking.starts_at <= timezone.now(),
            "slots": slots,
            "closed": closed,
            "error": error,
            "alternatives": alternatives,
            "previous_day": choice["day"] - timedelta(days=1),
            "next_day": choice["day"] + timedelta(days=1),
            **extra,
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
        seen = posted_sequence(request.POST)
        if selectors.move_changes_nothing(
            booking, starts_at, seen=seen, practitioner_id=choice["practitioner"].pk
        ):
            # The time it has already: nothing to move, and nobody to e-mail.
            when = format_local(booking.starts_at, booking.location.zone, "l j F, H:i")
            messages.info(
                request,
                f"{booking.patient.full_name} is booked for {when} with "
                f"{booking.practitioner.display_name} already: nothing was changed.",
            )
            return back_to_day(booking)
        step = PlanStep.objects.select_related("plan").filter(booking=booking).first()
        if step is not None:
            return self.move_plan_session(request, booking, choice, step, starts_at, seen)
        try:
            moved = booking_reschedule(
                booking=booking,
                starts_at=starts_at,
                practitioner=choice["practitioner"],
                by_staff=True,
                expected_sequence=seen,
            )
        except BookingError as error:
            return self.render_page(
                request,
                booking,
                choice,
                status=409,
                error=error.message,
                alternatives=error.alternatives,
                sequence=seen,
            )
        rescreen_request_after_move(moved)
        when = format_local(moved.starts_at, moved.location.zone, "l j F, H:i")
        messages.success(
            request,
            f"{booking.patient.full_name} moved to {when} with "
            f"{choice['practitioner'].display_name}. The patient is e-mailed the new time.",
        )
        return back_to_day(moved)

    def move_plan_session(self, request, booking, choice, step, starts_at, seen):
        """A session of a treatment plan moves through the plan's own move, which keeps the
        course's windows: later sessions that must follow are shown first, then moved with it
        once confirmed; a time that breaks its window is refused with the nearest that keep it."""
        try:
            shifts = session_move(
                plan=step.plan,
                step_order=step.order,
                starts_at=starts_at,
                shift_following=request.POST.get("shift") == "yes",
                practitioner=choice["practitioner"],
                by_staff=True,
                expected_sequence=seen,
            )
        except PlanError as error:
            return self.render_page(
                request,
                booking,
                choice,
                status=409,
                error=error.message,
                alternatives=[NearestTime(start) for start in error.nearest],
                shifts=error.shifts,
                shift_start=drafts.format_start(starts_at),
                shift_to=starts_at,
                sequence=seen,
            )
        moved = 1 + len(shifts)
        messages.success(
            request,
            f"{booking.patient.full_name}: {step.name} moved"
            + (f" with {len(shifts)} later visit{'s' if len(shifts) > 1 else ''}" if shifts else "")
            + f". The patient is e-mailed the new time{'s' if moved > 1 else ''}.",
        )
        booking.refresh_from_db(fields=["starts_at"])
        return back_to_day(booking)


def plan_window(booking):
    """For a session of a treatment plan: its step and the window its move must keep (for the
    page to say so before staff choose); None for any other booking."""
    plans = plan_selectors.plan_with_steps(Plan.objects.filter(steps__booking=booking))
    plan = plans.first()
    if plan is None:
        return None
    today = timezone.now().astimezone(plan.location.zone).date()
    return next(
        (
            view
            for view in plan_selectors.step_views(plan, today)
            if view.step.booking_id == booking.pk
        ),
        None,
    )


@dataclass(frozen=True)
class NearestTime:
    """A free time offered after a refusal (the template reads ``start``, as of a slot)."""

    start: datetime
