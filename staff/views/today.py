"""The diary: a day's consultations at every location (today unless another day is asked for),
a location's week and month, and what staff do to one booking from them: check in, complete, mark a
no-show, cancel. Moving one is staff/views/reschedule.py."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View
from django.views.generic import TemplateView

from bookings.arrivals import (
    booking_check_in,
    booking_check_in_undo,
    booking_close,
    booking_complete_undo,
    booking_no_show_undo,
)
from bookings.models import Booking, Location, Practitioner
from bookings.selectors import closed_days
from bookings.services import BookingError, booking_cancel
from clinic.audit import record_reads
from clinic.roles import CLINIC_ADMIN, PRACTITIONER, RECEPTION, roles_of
from patients.choices import CONTRAINDICATED, DEFER
from staff import queue_sql
from staff.auth import StaffRequiredMixin
from staff.charts import weekly_figures
from staff.day_list import day_schedule
from staff.day_rows import DayRowMaker
from staff.forms import clinic_today, diary_day
from staff.selectors import (
    RECENT_DAYS,
    month_load,
    sorted_flags,
    visible_bookings,
    week_grid,
)
from treatments import selectors as plan_selectors
from treatments.services import session_hold_message
from treatments.tasks import RESCREEN_DAYS_BEFORE

# Flags that should stop a consultation going ahead as booked until a practitioner has looked.
HOLDING_FLAGS = (CONTRAINDICATED, DEFER)


class StaffHomeView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """The landing page, shaped by role: a practitioner's own day with each intake's state and
    flags and their review queue; reception's arrivals by location, check-in first; a clinic
    admin's day at every location with the chart. Any day can be asked for (``?day=``), and a
    practitioner can see everyone's list (``?who=everyone``)."""

    permission_required = "bookings.view_booking"
    raise_exception = True
    template_name = "staff/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        now = timezone.now()
        locations = list(Location.objects.all())
        # "Today" is each location's own date; another day, once chosen, is that calendar
        # date at every location.
        reference = clinic_today(locations, now)
        day = diary_day(self.request.GET, today=reference, request=self.request)
        is_today = day == reference
        roles = roles_of(user)
        practitioner = (
            Practitioner.objects.select_related("user").filter(user=user).first()
            if PRACTITIONER in roles
            else None
        )
        wanted = self.request.GET.get("who", "")
        if practitioner and (wanted == "mine" or (CLINIC_ADMIN not in roles and wanted == "")):
            mode = "mine"
        elif CLINIC_ADMIN in roles:
            mode = "admin"
        elif RECEPTION in roles and is_today:
            mode = "arrivals"
        else:
            mode = "day"
        schedule = day_schedule(
            locations=locations,
            day=None if is_today else day,
            now=now,
            practitioner=practitioner if mode == "mine" else None,
        )
        flags = my_flags(self.request, schedule) if mode == "mine" else {}
        mark_session_checks(self.request, schedule, now)
        can_act = user.has_perm("bookings.change_booking")
        maker = DayRowMaker(
            now=now,
            is_today=is_today,
            can_act=can_act,
            can_view_patient=user.has_perm("patients.view_patient"),
            can_clear_checks=user.has_perm("treatments.change_plan"),
            csrf_token=get_token(self.request) if can_act else "",
        )

        def rows(bookings, check_in_first=False):
            return maker.rows(bookings, flags, mine=mode == "mine", check_in_first=check_in_first)

        context = {
            "mode": mode,
            "practitioner": practitioner,
            # Reception's arrivals show the same rows split three ways, and only those.
            "schedule": []
            if mode == "arrivals"
            else [
                (entry.location, entry.day, rows(entry.bookings), entry.closed, entry.to_move)
                for entry in schedule
            ],
            "has_bookings": any(entry.bookings for entry in schedule),
            "can_act": can_act,
            "now": now,
            "day": day,
            "is_today": is_today,
            # The day as links and the date picker write it, once rather than through the
            # date filter in each.
            "day_iso": day.isoformat(),
            "previous_day": (day - timedelta(days=1)).isoformat(),
            "next_day": (day + timedelta(days=1)).isoformat(),
        }
        if mode == "mine":
            context.update(review_counts(user, now))
            context["checks_held"] = plan_selectors.held_sessions(
                visible_bookings(user), now, timedelta(days=RECENT_DAYS)
            ).count()
        elif mode == "arrivals":
            context["arrivals"] = [
                (
                    entry.location,
                    entry.closed,
                    entry.to_move,
                    {
                        # Both lists of people expected today put their buttons first, so
                        # that the columns line up from one table to the next.
                        part: rows(b, check_in_first=part in ("to_arrive", "arrived"))
                        for part, b in arrivals(entry.bookings).items()
                    },
                )
                for entry in schedule
            ]
        elif mode == "admin":
            context["chart"] = weekly_figures(now)
        return super().get_context_data(**context, **kwargs)


def my_flags(request, schedule):
    """The screening flags of a practitioner's consultations, by booking, the most severe
    first; their reading is recorded in the audit trail."""
    answered = [
        booking for entry in schedule for booking in entry.bookings if booking.intake is not None
    ]
    record_reads(request, "screening flags", [(b.intake, b.patient_id) for b in answered])
    return {b.pk: sorted_flags(b.intake.flags.all()) for b in answered}


def mark_session_checks(request, schedule, now):
    """Mark each procedure session of the day held by a health check for review, or not
    answered although asked, as ``booking.session_check`` for its row (one query, none on a
    day without procedures); reading the held ones is recorded in the audit trail."""
    bookings = [booking for entry in schedule for booking in entry.bookings]
    sessions = {b.pk: b.starts_at for b in bookings if b.is_procedure_session}
    checks = plan_selectors.session_checks(
        sessions, now, asked_before=timedelta(days=RESCREEN_DAYS_BEFORE)
    )
    patients = {}
    for booking in bookings:
        booking.session_check = checks.get(booking.pk)
        patients[booking.pk] = booking.patient_id
    held = [check.rescreen for check in checks.values() if check.needs_review]
    record_reads(request, "health check", [(c, patients[c.booking_id]) for c in held])


def review_counts(user, now):
    """How many intakes wait for this practitioner's review, and how many of those hold a flag
    that stops the consultation going ahead as booked: one query."""
    waiting, held = queue_sql.waiting_counts(
        user=user, now=now, since=timedelta(days=RECENT_DAYS), severities=HOLDING_FLAGS
    )
    return {"queue_waiting": waiting, "queue_held": held}


def arrivals(bookings):
    """Split a location's day for reception: who is still to arrive (check-in first), who has
    arrived, and the rest (seen, no-shows, cancelled)."""
    to_arrive, arrived, other = [], [], []
    for booking in bookings:
        if booking.status != Booking.Status.CONFIRMED:
            other.append(booking)
        elif booking.checked_in_at:
            arrived.append(booking)
        else:
            to_arrive.append(booking)
    return {"to_arrive": to_arrive, "arrived": arrived, "other": other}


def day_url(booking) -> str:
    """The day list of the day the booking is on (today's is the plain address)."""
    zone = booking.location.zone
    local_day = booking.starts_at.astimezone(zone).date()
    if local_day == timezone.now().astimezone(zone).date():
        return reverse("staff:home")
    return reverse("staff:home") + "?" + urlencode({"day": local_day.isoformat()})


def back_to_day(booking):
    """Back to the day the booking is on, so that staff working through another day's list
    stay on it."""
    return redirect(day_url(booking))


class BookingActionView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Check in (or undo a check-in), complete (or undo it), mark a no-show (or undo it) or
    cancel one booking, from the Today page."""

    permission_required = "bookings.change_booking"
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request, pk, action):
        booking = get_object_or_404(Booking.objects.select_related("location", "patient"), pk=pk)
        try:
            if action == "check-in":
                booking_check_in(booking=booking)
                done = "checked in"
                # The patient has arrived, so arrival is recorded; the procedure itself waits
                # for the practitioner's review (completing and recording it are refused).
                if hold := session_hold_message(booking):
                    messages.warning(request, f"{booking.patient.full_name}: {hold}")
            elif action == "undo-check-in":
                booking_check_in_undo(booking=booking)
                done = "check-in undone"
            elif action == "complete":
                if hold := session_hold_message(booking):
                    raise BookingError(hold)
                booking_close(booking=booking, status=Booking.Status.COMPLETED)
                done = "marked completed"
            elif action == "undo-complete":
                booking_complete_undo(booking=booking)
                done = "completion undone; the visit is confirmed again"
            elif action == "no-show":
                booking_close(booking=booking, status=Booking.Status.NO_SHOW)
                done = "marked as a no-show (undo it today if they arrive after all)"
            elif action == "undo-no-show":
                booking_no_show_undo(booking=booking)
                done = "no-show undone; check them in when they arrive"
            elif action == "cancel":
                booking_cancel(booking=booking, by_staff=True, reason="Cancelled by the clinic")
                done = "cancelled; the patient is e-mailed"
            else:
                raise Http404("No such action.")
        except BookingError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{booking.patient.full_name}: {done}.")
        if request.POST.get("back") == "patient":
            # Sent from the patient's record: back to it.
            return redirect("staff:patient", pk=booking.patient_id)
        return back_to_day(booking)


class WeekView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """A location's week: one row per practitioner, one column per day, with each booking."""

    permission_required = "bookings.view_booking"
    raise_exception = True
    template_name = "staff/week.html"

    def get_context_data(self, **kwargs):
        locations = list(Location.objects.all())
        location = chosen_location(self.request, locations)
        if location is None:
            return super().get_context_data(location=None, **kwargs)
        today = timezone.now().astimezone(location.zone).date()
        chosen = diary_day(
            self.request.GET,
            today=today,
            field="week",
            request=self.request,
            page_of=lambda day: day - timedelta(days=day.weekday()),
        )
        monday = chosen - timedelta(days=chosen.weekday())
        now = timezone.now()
        days, rows = week_grid(location=location, monday=monday, now=now)
        closed = closed_days(location, days[0], days[-1])
        # A booking still confirmed on a day closed since it was made is to be moved: each says
        # so where it stands, as the day list does above its rows.
        for _, cells in rows:
            for n, day in enumerate(days):
                for booking in cells[n] if day in closed else ():
                    booking.on_closed_day = booking.status == Booking.Status.CONFIRMED
        # The same bookings day by day, for a phone: only practitioners with bookings that day.
        by_day = [
            (day, [(p, cells[n]) for p, cells in rows if cells[n]], closed.get(day, ""))
            for n, day in enumerate(days)
        ]
        return super().get_context_data(
            location=location,
            locations=locations,
            days=days,
            day_heads=[(day, closed.get(day, "")) for day in days],
            rows=rows,
            by_day=by_day,
            now=now,
            can_move=self.request.user.has_perm("bookings.change_booking"),
            previous_week=(monday - timedelta(days=7)).isoformat(),
            next_week=(monday + timedelta(days=7)).isoformat(),
            # After paging weeks away, one click back to the week holding today.
            is_this_week=monday == today - timedelta(days=today.weekday()),
            **kwargs,
        )


def chosen_location(request, locations):
    """The location asked for by ``?location=``, else the first."""
    wanted = request.GET.get("location", "")
    location = next((loc for loc in locations if str(loc.pk) == wanted), None)
    return location or (locations[0] if locations else None)


class MonthView(StaffRequiredMixin, PermissionRequiredMixin, TemplateView):
    """A location's month: each practitioner's load per day; each day leads to its list."""

    permission_required = "bookings.view_booking"
    raise_exception = True
    template_name = "staff/month.html"

    def get_context_data(self, **kwargs):
        locations = list(Location.objects.all())
        location = chosen_location(self.request, locations)
        if location is None:
            return super().get_context_data(location=None, **kwargs)
        today = timezone.now().astimezone(location.zone).date()
        first = diary_day(
            self.request.GET,
            today=today,
            field="month",
            request=self.request,
            page_of=lambda day: day.replace(day=1),
        ).replace(day=1)
        previous_month = (first - timedelta(days=1)).replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
        return super().get_context_data(
            location=location,
            locations=locations,
            first=first,
            today=today,
            weeks=month_load(location=location, first=first),
            previous_month=previous_month.isoformat(),
            next_month=next_month.isoformat(),
            is_this_month=first == today.replace(day=1),
            **kwargs,
        )
