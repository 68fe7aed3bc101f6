"""A plan's visits booked one by one from the staff side: reception with the patient on the
phone, or the practitioner. Each visit is offered only the times inside its window as the
visits before it stand; the booking goes through ``treatments.picking.session_pick``.

The page shows a plan's schedule (visit names, windows, bookings), not its clinical content, so
reception may open it: it needs ``treatments.view_planstep`` and ``bookings.add_booking``. The
read is recorded all the same, since the visits name the treatment.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from bookings.drafts import format_start, parse_start
from bookings.forms import DayForm
from clinic.audit import record_read
from clinic.roles import CLINIC_ADMIN, RECEPTION, roles_of
from staff.auth import StaffRequiredMixin
from staff.views.plans import visible_plans
from treatments import picking, selectors
from treatments.models import Plan
from treatments.services import PlanError

DAYS_SHOWN = 7


def bookable_plans(user):
    """Plans whose visits this user may book: every plan for reception and clinic admins, who
    run the whole diary; the plans of their own consultations for a practitioner."""
    if {RECEPTION, CLINIC_ADMIN} & set(roles_of(user)):
        return Plan.objects.all()
    return visible_plans(user)


class PlanVisitsView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """The plan's visits with their windows; for the visit chosen, a week of free times inside
    its window, then a check before booking, or why not with the nearest times that keep it."""

    permission_required = ("treatments.view_planstep", "bookings.add_booking")
    raise_exception = True
    template_name = "staff/plan_visits.html"

    def load(self, request, pk):
        try:
            self.plan = selectors.plan_with_steps(bookable_plans(request.user)).get(pk=pk)
        except Plan.DoesNotExist:
            raise Http404("No plan whose visits you book.") from None
        record_read(request, "treatment plan visits", self.plan, self.plan.patient_id)
        self.now = timezone.now()
        self.today = self.now.astimezone(self.plan.location.zone).date()
        self.pick_now = picking.pick_now(self.plan)

    def render_page(self, request, status=200, **extra):
        context = {
            "plan": self.plan,
            "steps": selectors.step_views(self.plan, self.today),
            "pick_now": self.pick_now,
            **extra,
        }
        return render(request, self.template_name, context, status=status)

    def chosen_step(self, request, order):
        step = next((s for s in self.plan.steps.all() if s.order == order), None)
        if step is None:
            raise Http404("This plan has no such visit.")
        try:
            return step, picking.pick_window(self.plan, step)
        except PlanError as error:
            return step, error

    def get(self, request, pk, order=None):
        self.load(request, pk)
        if order is None:
            if not self.pick_now:
                return self.render_page(request)
            order = min(self.pick_now)
        step, window = self.chosen_step(request, order)
        if isinstance(window, PlanError):
            return self.render_page(request, step=step, error=window)
        chosen = parse_start(request.GET.get("start", ""))
        if chosen is not None:
            return self.confirm(request, step, window, chosen)
        first_allowed = max(window.earliest, self.today)
        if window.latest < first_allowed:
            error = PlanError(f"{step.name}'s window has passed: only a new plan can book it.")
            return self.render_page(request, step=step, error=error)
        first = DayForm(
            request.GET, first=first_allowed, last=window.latest, default=first_allowed
        ).chosen()
        last = min(first + timedelta(days=DAYS_SHOWN - 1), window.latest)
        offers = picking.session_offers(
            self.plan, step, window, first, last, self.now, by_staff=True
        )

        def url(day):
            address = reverse("staff:plan_visit", args=[pk, order])
            return address + "?" + urlencode({"day": day})

        return self.render_page(
            request,
            step=step,
            window=window,
            week=offers.days(first, (last - first).days + 1),
            previous_week=url(first - timedelta(days=7)) if first > first_allowed else None,
            next_week=url(first + timedelta(days=7)) if last < window.latest else None,
        )

    def confirm(self, request, step, window, chosen, status=200, error=None):
        day = chosen.astimezone(self.plan.location.zone).date()
        offers = picking.session_offers(self.plan, step, window, day, day, self.now, by_staff=True)
        who = picking.who_takes(self.plan, offers, chosen)
        if error is None and who is None:
            error = picking.refusal(
                f"{step.name} cannot be booked then: that time is not free inside its window.",
                step,
                window,
                chosen,
                self.now,
                True,
            )
        return self.render_page(
            request,
            status=status,
            step=step,
            window=window,
            new_start=chosen,
            start_value=format_start(chosen),
            who=who,
            error=error,
        )

    def post(self, request, pk, order=None):
        if order is None:
            # The plan's list of visits takes no POST: a time is booked for one visit.
            return self.http_method_not_allowed(request, pk)
        self.load(request, pk)
        step, window = self.chosen_step(request, order)
        if isinstance(window, PlanError):
            return self.render_page(request, status=409, step=step, error=window)
        chosen = parse_start(request.POST.get("start", ""))
        who = request.POST.get("who", "")
        if chosen is None or not who.isdigit():
            messages.error(request, "That time could not be read. Please choose again.")
            return redirect("staff:plan_visit", pk=pk, order=order)
        try:
            booking = picking.session_pick(
                plan=self.plan,
                step_order=order,
                starts_at=chosen,
                practitioner_id=int(who),
                now=self.now,
                by_staff=True,
            )
        except PlanError as error:
            return self.confirm(request, step, window, chosen, status=409, error=error)
        messages.success(
            request,
            f"{step.name} booked with {booking.practitioner.display_name}; the patient is "
            "sent an e-mail.",
        )
        return redirect("staff:plan_visits", pk=pk)
