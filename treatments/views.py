"""The patient's plan, through the private link of the consultation it came from: read it,
accept it by signing the consent, decline it or ask to talk, then book the course in one go.

The link's token opens that consultation's latest plan alone. It keeps working while the plan
is open, and some days after it ends.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from bookings.drafts import format_start
from bookings.models import Booking
from clinic import ratelimit
from treatments import selectors
from treatments.forms import DeclineForm, SignForm, course_choices
from treatments.models import ConsentText, Plan
from treatments.services import (
    PlanError,
    course_book,
    plan_accept,
    plan_ask_to_talk,
    plan_decline,
)


class PlanLinkView(View):
    """Load the plan of the consultation named by the link's token (rate-limited)."""

    def dispatch(self, request, token, **kwargs):
        if not ratelimit.allow(request, "private-link", settings.PRIVATE_LINK_LOOKUPS_PER_HOUR):
            return ratelimit.too_many(request, "bookings/too_many_link.html")
        booking = Booking.objects.for_private_link(token)
        plan = None
        if booking is not None:
            plan = (
                selectors.plan_with_steps(Plan.objects.filter(consultation=booking))
                .order_by("-created_at")
                .first()
            )
        if plan is None:
            raise Http404("No plan has this link.")
        now = timezone.now()
        if not plan.is_open and now > plan.updated_at + timedelta(
            days=settings.PRIVATE_LINK_DAYS_AFTER
        ):
            return render(request, "bookings/link_expired.html", status=410)
        self.plan, self.token, self.now = plan, token, now
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
            "to_book": any(
                s.step.status == s.step.Status.PLANNED and not selectors.is_held(s.step)
                for s in steps
            ),
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
