"""The patient's plan, through the private link of the consultation it came from: read it,
accept it by signing the consent, decline it or ask to talk, then book the course in one go.

The link's token opens that consultation's latest plan alone; the link of one of the plan's
sessions opens that plan too, since a session moves here (where its windows are kept) and not
on its booking's own page. It keeps working while the plan is open, and some days after it ends.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Case, Q, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from bookings import selectors as booking_selectors
from bookings.drafts import format_start, parse_start
from bookings.forms import DayForm, posted_sequence
from bookings.models import Booking
from bookings.services import CHANGED_SINCE
from clinic import ratelimit
from clinic.times import format_local
from treatments import picking, selectors
from treatments.documents import PdfUnavailable, plan_pdf_response
from treatments.forms import DeclineForm, RescreenForm, SignForm, course_choices
from treatments.models import ConsentText, Plan
from treatments.rescreens import rescreen_open, rescreen_submit
from treatments.services import (
    OPEN_STATUSES,
    PlanError,
    course_book,
    plan_accept,
    plan_ask_to_talk,
    plan_decline,
    session_move,
    session_move_plan,
)

# The patient's words for ``CHANGED_SINCE``.
CHANGED_IN_ANOTHER_TAB = (
    "This visit was changed in another tab or window while this page was open, so it was not "
    "moved again. It is now on {when}: choose another time if it should still move."
)


class PlanLinkView(View):
    """Load the plan of the consultation named by the link's token (rate-limited)."""

    def dispatch(self, request, token, **kwargs):
        if not ratelimit.allow(request, "private-link", settings.PRIVATE_LINK_LOOKUPS_PER_HOUR):
            return ratelimit.too_many(request, "bookings/too_many_link.html")
        booking = Booking.objects.for_private_link(token)
        plan = None
        if booking is not None:
            # Of several plans made from one consultation, an open one before any declined,
            # stopped or completed since, and the newest first.
            plan = (
                selectors.plan_with_steps(
                    Plan.objects.filter(Q(consultation=booking) | Q(steps__booking=booking))
                )
                .annotate(closed=Case(When(status__in=OPEN_STATUSES, then=0), default=1))
                .order_by("closed", "-created_at")
                .first()
            )
        if plan is None:
            raise Http404("No plan has this link.")
        # No end date, like the booking's own link: erasure revokes it with a new token.
        self.plan, self.token, self.now = plan, token, timezone.now()
        return super().dispatch(request, token, **kwargs)

    def page(self, request, status=200, **extra):
        plan = self.plan
        today = self.now.astimezone(plan.location.zone).date()
        steps = selectors.step_views(plan, today)
        treatments = {p.treatment for p in plan.protocols.all()}
        latest = {}  # the newest text of each treatment (the model orders them newest first)
        for text in ConsentText.objects.filter(treatment__in=treatments):
            latest.setdefault(text.treatment, text)
        context = {
            "plan": plan,
            "token": self.token,
            "steps": steps,
            "quote": selectors.quote(plan.steps.all()),
            "judging": selectors.judge_window(plan),
            "consents": [latest[t] for t in sorted(latest)],
            "sign_form": SignForm(),
            "decline_form": DeclineForm(),
            "checks_open": {s.step.order for s in steps if rescreen_open(s.step, self.now)},
            "pick_now": picking.pick_now(plan),
            "to_book": any(selectors.is_unbooked(s.step) for s in steps),
            **extra,
        }
        return render(request, "treatments/plan.html", context, status=status)


class PlanView(PlanLinkView):
    def get(self, request, token):
        return self.page(request)


class AcceptView(PlanLinkView):
    def post(self, request, token):
        form = SignForm(request.POST)
        if form.is_valid():
            address = ratelimit.client_address(request)
            try:
                plan_accept(
                    plan=self.plan,
                    signed_name=form.cleaned_data["full_name"],
                    ip_address=None if address == "unknown" else address,
                    now=self.now,
                )
            except PlanError as error:
                if self.plan.status != Plan.Status.PROPOSED:  # signed already: say so there
                    messages.info(request, error.message)
                    return redirect("treatments:plan", token=token)
                form.add_error("full_name", error.message)
            else:
                messages.success(
                    request, "Thank you: your plan is accepted. Now choose when to come."
                )
                return redirect("treatments:book_course", token=token)
        return self.page(request, status=400, sign_form=form)


class DeclineView(PlanLinkView):
    def post(self, request, token):
        form = DeclineForm(request.POST)
        if form.is_valid():
            try:
                plan_decline(plan=self.plan, reason=form.cleaned_data["reason"])
            except PlanError as error:
                form.add_error("reason", error.message)
            else:
                messages.success(request, "You have declined this plan. Thank you for telling us.")
                return redirect("treatments:plan", token=token)
        return self.page(request, status=400, decline_form=form)


class TalkView(PlanLinkView):
    def post(self, request, token):
        try:
            plan_ask_to_talk(plan=self.plan, now=self.now)
        except PlanError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, "We will call you to talk it through. Your plan stays here meanwhile."
            )
        return redirect("treatments:plan", token=token)


class PlanPdfView(PlanLinkView):
    """The plan and the consent signed, as a PDF to keep."""

    def get(self, request, token):
        try:
            return plan_pdf_response(self.plan, self.now)
        except PdfUnavailable as error:
            messages.error(request, error.message)
            return self.page(request, status=503)


class BookCourseView(PlanLinkView):
    """Propose a time for every session inside its window, then book them all at once."""

    def proposal_page(self, request, status=200):
        proposal = selectors.course_proposal(self.plan, now=self.now)
        rows = [
            (step, offer, proposal.practitioners.get(who), f"{format_start(offer.start)}|{who}")
            for step, offer, who in proposal.choices
        ]
        context = {
            "plan": self.plan,
            "token": self.token,
            "rows": rows,
            "missing": proposal.missing,
        }
        return render(request, "treatments/book_course.html", context, status=status)

    def get(self, request, token):
        if self.plan.status not in (Plan.Status.ACCEPTED, Plan.Status.IN_PROGRESS):
            return redirect("treatments:plan", token=token)
        return self.proposal_page(request)

    def post(self, request, token):
        orders = [
            int(key.removeprefix("step-"))
            for key in request.POST
            if key.startswith("step-") and key.removeprefix("step-").isdigit()
        ]
        choices = course_choices(request.POST, orders)
        if not choices:
            messages.error(request, "Those times could not be read. Here is a new proposal.")
            return self.proposal_page(request, status=400)
        try:
            made = course_book(plan=self.plan, choices=choices, now=self.now)
        except PlanError as error:
            messages.error(request, error.message)
            return self.proposal_page(request, status=409)
        messages.success(
            request,
            f"Your course is booked: {len(made)} visit{'s' if len(made) != 1 else ''}. "
            "We have sent you an e-mail for each.",
        )
        return redirect("treatments:plan", token=token)


class MoveSessionView(PlanLinkView):
    """Move one booked session to a free time inside its window; the later sessions of its
    course move too when they must, after the patient has seen where to."""

    DAYS_SHOWN = 7

    def dispatch(self, request, token, order, **kwargs):
        self.order = order
        return super().dispatch(request, token, order=order, **kwargs)

    def step_or_404(self):
        step = next((s for s in self.plan.steps.all() if s.order == self.order), None)
        if step is None or not selectors.is_held(step) or step.booking.status != "confirmed":
            raise Http404("No booked session to move.")
        return step

    def get(self, request, token, order):
        step = self.step_or_404()
        zone = self.plan.location.zone
        today = self.now.astimezone(zone).date()
        window = {v.step.order: v.window for v in selectors.step_views(self.plan, today)}[order]
        chosen = parse_start(request.GET.get("start", ""))
        if chosen is not None:
            return self.confirm(request, step, chosen)
        if window.latest < today:
            messages.error(request, f"{step.name}'s window has passed: please call us to move it.")
            return redirect("treatments:plan", token=token)
        first_allowed = max(window.earliest, today)
        first = DayForm(
            request.GET, first=first_allowed, last=window.latest, default=first_allowed
        ).chosen()
        last = min(first + timedelta(days=self.DAYS_SHOWN - 1), window.latest)
        result = booking_selectors.available_slots(
            consultation_type=step.consultation_type,
            location=self.plan.location,
            first_day=first,
            last_day=last,
            practitioner=step.booking.practitioner,
            exclude_booking_id=step.booking_id,
        )
        week = result.days(first, (last - first).days + 1)

        def url(day):
            return reverse("treatments:move", args=[token, order]) + "?" + urlencode({"day": day})

        context = {
            "plan": self.plan,
            "token": token,
            "step": step,
            "booking": step.booking,
            "window": window,
            "week": week,
            "previous_week": url(first - timedelta(days=7)) if first > first_allowed else None,
            "next_week": url(first + timedelta(days=7)) if last < window.latest else None,
        }
        return render(request, "treatments/move.html", context)

    def confirm(self, request, step, chosen, status=200, error=None):
        """Show what the move does, the later sessions it shifts included, before doing it."""
        shifts, nearest = [], []
        try:
            shifts = session_move_plan(plan=self.plan, step=step, starts_at=chosen, now=self.now)
        except PlanError as refused:
            error = error or refused.message
            nearest = refused.nearest
        context = {
            "plan": self.plan,
            "token": self.token,
            "step": step,
            "new_start": chosen,
            "start_value": format_start(chosen),
            "shifts": shifts,
            "error": error,
            "nearest": nearest,
        }
        return render(request, "treatments/move_confirm.html", context, status=status)

    def post(self, request, token, order):
        step = self.step_or_404()
        chosen = parse_start(request.POST.get("start", ""))
        if chosen is None:
            messages.error(request, "That time could not be read. Please choose again.")
            return redirect("treatments:move", token=token, order=order)
        booking = step.booking
        seen = posted_sequence(request.POST)
        if booking is not None and booking_selectors.move_changes_nothing(
            booking, chosen, seen=seen
        ):
            # The time it has already (the page again, say, from the browser's Back): nothing
            # to move, and nobody to e-mail.
            when = format_local(booking.starts_at, self.plan.location.zone, "l j F, H:i")
            messages.info(
                request, f"{step.name} is booked for {when} already: nothing was changed."
            )
            return redirect("treatments:plan", token=token)
        try:
            shifts = session_move(
                plan=self.plan,
                step_order=order,
                starts_at=chosen,
                shift_following=request.POST.get("shift") == "yes",
                now=self.now,
                expected_sequence=seen,
            )
        except PlanError as error:
            # Changed in another tab meanwhile: the page now shows the visit as it is.
            message = error.message
            if message == CHANGED_SINCE:
                when = format_local(step.booking.starts_at, self.plan.location.zone, "l j F, H:i")
                message = CHANGED_IN_ANOTHER_TAB.format(when=when)
            return self.confirm(request, step, chosen, status=409, error=message)
        moved = 1 + len(shifts)
        messages.success(
            request,
            f"Moved: {moved} visit{'s' if moved > 1 else ''}. We have sent you an e-mail for each.",
        )
        return redirect("treatments:plan", token=token)


class PickSessionView(PlanLinkView):
    """Choose one session's time inside its window, instead of booking the whole course."""

    DAYS_SHOWN = 7

    def dispatch(self, request, token, order, **kwargs):
        self.order = order
        return super().dispatch(request, token, order=order, **kwargs)

    def step_and_window(self, request):
        step = next((s for s in self.plan.steps.all() if s.order == self.order), None)
        if step is None:
            raise Http404("This plan has no such visit.")
        try:
            return step, picking.pick_window(self.plan, step)
        except PlanError as error:
            messages.info(request, error.message)
            return step, None

    def get(self, request, token, order):
        step, window = self.step_and_window(request)
        if window is None:
            return redirect("treatments:plan", token=token)
        chosen = parse_start(request.GET.get("start", ""))
        if chosen is not None:
            return self.confirm(request, step, window, chosen)
        today = self.now.astimezone(self.plan.location.zone).date()
        if window.latest < today:
            messages.error(request, f"{step.name}'s window has passed: please call us to book it.")
            return redirect("treatments:plan", token=token)
        first_allowed = max(window.earliest, today)
        first = DayForm(
            request.GET, first=first_allowed, last=window.latest, default=first_allowed
        ).chosen()
        last = min(first + timedelta(days=self.DAYS_SHOWN - 1), window.latest)
        offers = picking.session_offers(self.plan, step, window, first, last, self.now)

        def url(day):
            return reverse("treatments:pick", args=[token, order]) + "?" + urlencode({"day": day})

        context = {
            "plan": self.plan,
            "token": token,
            "step": step,
            "window": window,
            "week": offers.days(first, (last - first).days + 1),
            "previous_week": url(first - timedelta(days=7)) if first > first_allowed else None,
            "next_week": url(first + timedelta(days=7)) if last < window.latest else None,
        }
        return render(request, "treatments/pick.html", context)

    def confirm(self, request, step, window, chosen, status=200, error=None):
        """Show the time and who takes it before booking; or why not, with the nearest times."""
        day = chosen.astimezone(self.plan.location.zone).date()
        offers = picking.session_offers(self.plan, step, window, day, day, self.now)
        who = picking.who_takes(self.plan, offers, chosen)
        if error is None and who is None:
            error = picking.refusal(
                f"{step.name} cannot be booked then: that time is not free inside its window.",
                step,
                window,
                chosen,
                self.now,
                False,
            )
        context = {
            "plan": self.plan,
            "token": self.token,
            "step": step,
            "window": window,
            "new_start": chosen,
            "start_value": format_start(chosen),
            "who": who,
            "error": error,
        }
        return render(request, "treatments/pick_confirm.html", context, status=status)

    def post(self, request, token, order):
        step, window = self.step_and_window(request)
        if window is None:
            return redirect("treatments:plan", token=token)
        chosen = parse_start(request.POST.get("start", ""))
        who = request.POST.get("who", "")
        if chosen is None or not who.isdigit():
            messages.error(request, "That time could not be read. Please choose again.")
            return redirect("treatments:pick", token=token, order=order)
        try:
            picking.session_pick(
                plan=self.plan,
                step_order=order,
                starts_at=chosen,
                practitioner_id=int(who),
                now=self.now,
            )
        except PlanError as error:
            return self.confirm(request, step, window, chosen, status=409, error=error)
        messages.success(request, f"{step.name} is booked. We have sent you an e-mail.")
        return redirect("treatments:plan", token=token)


class RescreenView(PlanLinkView):
    """The short health check before a procedure session."""

    def dispatch(self, request, token, order, **kwargs):
        self.order = order
        return super().dispatch(request, token, order=order, **kwargs)

    def render_form(self, request, step, form, status=200):
        context = {"plan": self.plan, "token": self.token, "step": step, "form": form}
        return render(request, "treatments/rescreen.html", context, status=status)

    def step_or_404(self):
        step = next((s for s in self.plan.steps.all() if s.order == self.order), None)
        if step is None or not rescreen_open(step, self.now):
            raise Http404("No health check is open for this visit.")
        return step

    def get(self, request, token, order):
        step = self.step_or_404()
        existing = getattr(step.booking, "rescreen", None)
        initial = {**existing.answers, "details": existing.details} if existing else None
        return self.render_form(request, step, RescreenForm(initial=initial))

    def post(self, request, token, order):
        step = self.step_or_404()
        form = RescreenForm(request.POST)
        if form.is_valid():
            try:
                rescreen = rescreen_submit(
                    step=step,
                    answers=form.answers(),
                    details=form.cleaned_data["details"],
                    now=self.now,
                )
            except PlanError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    "Thank you. Your practitioner will look at your answers before your visit "
                    "and call you if anything needs to change."
                    if rescreen.flags
                    else "Thank you: see you at your visit.",
                )
                return redirect("treatments:plan", token=token)
        return self.render_form(request, step, form, status=400)
