"""Treatment plans: made from a completed, assessed consultation, followed on their own page and
on the Plans page (every plan by status, its next step, what is overdue).

Plans are clinical data: every page here records what it shows through ``clinic.audit``, and
every change goes through ``treatments.services``, whose models keep their history.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from bookings.forms import posted_number
from bookings.models import Booking
from clinic.audit import record_read, record_reads
from patients.models import Assessment, ScreeningFlag
from staff import selectors as staff_selectors
from staff.auth import StaffRequiredMixin
from staff.forms import PlanForm, SessionRecordForm, plan_step_rows
from treatments import picking, selectors, windows
from treatments.documents import PdfUnavailable, plan_pdf_response
from treatments.models import Plan, PlanStep, Protocol, SessionRecord
from treatments.rescreens import rescreen_clear
from treatments.services import (
    OPEN_STATUSES,
    PlanAddedSince,
    PlanError,
    StepChoice,
    plan_propose,
    plan_transition,
    session_record_save,
)


class PlanAccessMixin(StaffRequiredMixin, PermissionRequiredMixin):
    permission_required = "treatments.view_plan"
    raise_exception = True


def visible_plans(user):
    """Plans of the consultations this user reviews: their own, or all for clinic admins."""
    return Plan.objects.filter(consultation__in=staff_selectors.visible_bookings(user))


def _preview(rows, starts_on, location, protocols):
    """Each included step with its window from ``starts_on`` and its price, and the total."""
    chosen = [row for row in rows if row.include]
    rules = [
        windows.StepRule(n, row.step.protocol_id, row.min_days, row.max_days)
        for n, row in enumerate(chosen, 1)
    ]
    # A step refused (days out of range) leaves the windows after it unknown: none is shown
    # until it is corrected, rather than worked out from numbers the plan cannot hold.
    if starts_on and not any(row.error for row in chosen):
        found = windows.windows(starts_on, rules, {})
    else:
        found = {}
    prices = selectors.step_prices(protocols, location)
    lines = []
    for n, row in enumerate(chosen, 1):
        price = prices.get(row.step.pk)
        row.price = price.amount if price else None
        row.currency = price.currency if price else ""
        row.name = row.step.name
        row.window = found.get(n)
        lines.append(row)
    return selectors.quote(lines)


# The newest open plan the new-plan page showed (0 for none), sent back with the proposal.
NEWEST_PLAN = "newest_plan"


class PlanCreateView(PlanAccessMixin, View):
    """Choose protocols, adjust each step's spacing and the start, see the windows and the quote,
    write a note for the patient, and propose the plan."""

    permission_required = ("patients.view_hairlossintake", "treatments.add_plan")
    template_name = "staff/plan_new.html"

    def setup_page(self, request, pk):
        try:
            self.consultation = (
                staff_selectors.visible_bookings(request.user)
                .select_related("patient", "practitioner__user", "location", "consultation_type")
                .get(pk=pk)
            )
        except Booking.DoesNotExist:
            raise Http404("No consultation that you review.") from None
        self.assessment = Assessment.objects.filter(booking=self.consultation).first()
        if self.assessment:
            record_read(request, "assessment", self.assessment, self.consultation.patient_id)
        # The intake's screening flags, the most severe first, beside the plan being made: a
        # caution for PRP (a blood thinner, say) was on the review page only.
        self.flags = staff_selectors.sorted_flags(
            ScreeningFlag.objects.filter(intake__booking=self.consultation).select_related("intake")
        )
        if self.flags:
            record_read(
                request, "screening flags", self.flags[0].intake, self.consultation.patient_id
            )
        self.protocols = list(selectors.active_protocols())

    def render_page(self, request, form, rows, status=200, newest=None):
        consultation = self.consultation
        # A draft that leaves parts for later is not yet something to plan from.
        ready = (
            consultation.status == Booking.Status.COMPLETED
            and self.assessment is not None
            and self.assessment.is_complete
        )
        chosen = [p for p in self.protocols if p.pk in self.chosen_ids(form)]
        starts_on = (
            form.cleaned_data.get("starts_on") if form.is_bound else form.initial.get("starts_on")
        )
        quote = _preview(rows, starts_on, consultation.location, chosen)
        # Plans of this patient still open: a second one runs beside them, said before it is
        # proposed (a PRP course proposed twice from one consultation was e-mailed twice).
        open_plans = list(
            Plan.objects.filter(
                patient_id=consultation.patient_id,
                status__in=OPEN_STATUSES,
            )
            .prefetch_related("protocols")
            .order_by("created_at")
        )
        record_reads(
            request, "treatment plan", [(plan, consultation.patient_id) for plan in open_plans]
        )
        # The newest open plan the page shows, sent back with the proposal: a plan proposed
        # since (from a second tab) is caught. Sent back after a refusal for another reason; the
        # newest itself once the page has said so.
        if newest is None:
            newest = posted_number(request.POST, NEWEST_PLAN) if request.method == "POST" else None
        if newest is None:
            newest = max((plan.pk for plan in open_plans), default=0)
        context = {
            "newest_plan": newest,
            "open_plans": open_plans,
            "booking": consultation,
            "assessment": self.assessment,
            "flags": self.flags,
            "ready": ready,
            "form": form,
            "rows": rows,
            "quote": quote,
        }
        return render(request, self.template_name, context, status=status)

    def chosen_ids(self, form):
        if form.is_bound:
            return {p.pk for p in form.cleaned_data.get("protocols", [])}
        return {p.pk for p in form.initial["protocols"]}

    def get(self, request, pk):
        self.setup_page(request, pk)
        recommended = set(self.assessment.recommendations) if self.assessment else set()
        chosen = [p for p in self.protocols if p.treatment in recommended]
        today = timezone.now().astimezone(self.consultation.location.zone).date()
        form = PlanForm(
            initial={"protocols": chosen, "starts_on": today + timedelta(days=1)},
            protocols=Protocol.objects.filter(is_active=True),
        )
        return self.render_page(request, form, plan_step_rows(chosen))

    def post(self, request, pk):
        self.setup_page(request, pk)
        form = PlanForm(
            request.POST,
            protocols=Protocol.objects.filter(is_active=True),
        )
        valid = form.is_valid()
        ids = self.chosen_ids(form)
        chosen = [p for p in self.protocols if p.pk in ids]
        rows = plan_step_rows(chosen, request.POST)
        if not valid or request.POST.get("action") != "propose":
            return self.render_page(request, form, rows, status=400 if not valid else 200)
        if any(row.error for row in rows):
            form.add_error(None, "Check the spacing of the steps marked below.")
            return self.render_page(request, form, rows, status=400)
        try:
            plan = plan_propose(
                consultation=self.consultation,
                practitioner=self.consultation.practitioner,
                steps=[StepChoice(r.step, r.min_days, r.max_days) for r in rows if r.include],
                starts_on=form.cleaned_data["starts_on"],
                patient_note=form.cleaned_data["patient_note"],
                newest_seen=posted_number(request.POST, NEWEST_PLAN),
            )
        except PlanAddedSince as error:
            # The page now lists the new plan among the open ones; proposing again is a choice.
            form.add_error(None, error.message)
            return self.render_page(request, form, rows, status=409, newest=error.plan.pk)
        except PlanError as error:
            form.add_error(None, error.message)
            return self.render_page(request, form, rows, status=400)
        messages.success(request, "Plan proposed. The patient has been e-mailed a link to it.")
        return redirect("staff:plan", pk=plan.pk)


class PlanView(PlanAccessMixin, TemplateView):
    """One plan: its steps with their windows and bookings, the consent, the history."""

    template_name = "staff/plan.html"

    def get_context_data(self, **kwargs):
        try:
            plan = selectors.plan_with_steps(visible_plans(self.request.user)).get(
                pk=self.kwargs["pk"]
            )
        except Plan.DoesNotExist:
            raise Http404("No plan that you follow.") from None
        record_read(self.request, "treatment plan", plan, plan.patient_id)
        checks = [
            step.booking.rescreen
            for step in plan.steps.all()
            if step.booking and getattr(step.booking, "rescreen", None)
        ]
        record_reads(self.request, "health check", [(c, plan.patient_id) for c in checks])
        now = timezone.now()
        today = now.astimezone(plan.location.zone).date()
        history = list(plan.history.select_related("history_user").order_by("-history_date")[:20])
        return super().get_context_data(
            plan=plan,
            steps=selectors.step_views(plan, today),
            quote=selectors.quote(plan.steps.all()),
            pick_now=picking.pick_now(plan),
            history=history,
            now=now,
            **kwargs,
        )


class PlanPdfView(PlanAccessMixin, View):
    """The plan and its signed consents as a PDF, for the record: an audited read."""

    permission_required = ("treatments.view_plan", "treatments.view_planconsent")

    def get(self, request, pk):
        try:
            plan = selectors.plan_with_steps(visible_plans(request.user)).get(pk=pk)
        except Plan.DoesNotExist:
            raise Http404("No plan that you follow.") from None
        try:
            response = plan_pdf_response(plan)
        except PdfUnavailable as error:
            messages.error(request, error.message)
            return redirect("staff:plan", pk=pk)
        record_read(request, "treatment plan PDF", plan, plan.patient_id)
        return response


class PlanActionView(PlanAccessMixin, View):
    """Stop a plan (with a reason) or mark it completed."""

    permission_required = ("treatments.view_plan", "treatments.change_plan")
    http_method_names = ["post"]
    ACTIONS = {"stop": Plan.Status.STOPPED, "complete": Plan.Status.COMPLETED}

    def post(self, request, pk, action):
        if action not in self.ACTIONS:
            raise Http404("No such action.")
        try:
            plan = visible_plans(request.user).get(pk=pk)
        except Plan.DoesNotExist:
            raise Http404("No plan that you follow.") from None
        try:
            plan = plan_transition(
                plan=plan, to=self.ACTIONS[action], reason=request.POST.get("reason", "")
            )
        except PlanError as error:
            messages.error(request, error.message)
        else:
            done = f"Plan {self.ACTIONS[action].label.lower()}."
            if cancelled := plan.visits_cancelled:
                done += (
                    f" Its {cancelled} visit{'s' if cancelled > 1 else ''} still to come "
                    f"{'were' if cancelled > 1 else 'was'} cancelled, and the patient is "
                    "e-mailed about each."
                )
            messages.success(request, done)
        return redirect("staff:plan", pk=pk)


class PlansView(PlanAccessMixin, TemplateView):
    """Every plan by status, with its next step and what is overdue."""

    template_name = "staff/plans.html"

    def get_context_data(self, **kwargs):
        today = timezone.now().date()
        groups = selectors.plans_by_status(plans=visible_plans(self.request.user), today=today)
        record_reads(
            self.request,
            "treatment plan",
            [(row.plan, row.plan.patient_id) for _, rows in groups for row in rows],
        )
        return super().get_context_data(groups=groups, **kwargs)


class SessionRecordView(PlanAccessMixin, View):
    """Record what was done at one procedure of a plan (or correct it): audited like every
    clinical record, read and written."""

    permission_required = ("treatments.view_plan", "treatments.add_sessionrecord")
    template_name = "staff/session_record.html"

    def setup_page(self, request, pk):
        try:
            self.booking = (
                staff_selectors.visible_bookings(request.user)
                .select_related("patient", "practitioner__user", "location", "consultation_type")
                .get(pk=pk, plan_step__isnull=False)
            )
        except Booking.DoesNotExist:
            raise Http404("No session of a plan that you follow.") from None
        self.step = PlanStep.objects.select_related("plan").get(booking=self.booking)
        self.record = SessionRecord.objects.filter(booking=self.booking).first()
        if self.record:
            record_read(request, "session record", self.record, self.booking.patient_id)

    def render_page(self, request, form, status=200):
        context = {
            "booking": self.booking,
            "step": self.step,
            "record": self.record,
            "form": form,
            # Said before anything is typed, not only when the save is refused.
            "not_begun": self.booking.starts_at > timezone.now(),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        self.setup_page(request, pk)
        return self.render_page(request, SessionRecordForm(instance=self.record))

    def post(self, request, pk):
        self.setup_page(request, pk)
        form = SessionRecordForm(request.POST)
        if form.is_valid():
            try:
                session_record_save(
                    booking=self.booking, author=request.user, values=form.cleaned_data
                )
            except PlanError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Session recorded.")
                return redirect("staff:plan", pk=self.step.plan_id)
        return self.render_page(request, form, status=400)


class RescreenClearView(PlanAccessMixin, View):
    """A health check with a "yes" holds its session: the practitioner reads the answers, then
    says what they checked and lets the session go ahead, or moves it instead. Reading it and
    clearing it are audited (the read in the audit trail, the clearing in its history)."""

    permission_required = ("treatments.view_plan", "treatments.change_plan")
    template_name = "staff/rescreen_review.html"
    # Where the practitioner came from, and goes back to once it is cleared.
    BACK = {"queue": "staff:review_queue", "home": "staff:home"}

    def setup_page(self, request, pk):
        try:
            self.booking = (
                staff_selectors.visible_bookings(request.user)
                .select_related(
                    "patient", "practitioner__user", "location", "consultation_type", "rescreen"
                )
                .get(pk=pk, rescreen__isnull=False, plan_step__isnull=False)
            )
        except Booking.DoesNotExist:
            raise Http404("No health check of a session that you follow.") from None
        self.step = PlanStep.objects.select_related("plan").get(booking=self.booking)
        self.check = self.booking.rescreen
        self.check.booking = self.booking
        record_read(request, "health check", self.check, self.booking.patient_id)

    def render_page(self, request, note="", error="", status=200):
        back = request.POST.get("back") or request.GET.get("back", "")
        context = {
            "booking": self.booking,
            "step": self.step,
            "check": self.check,
            "note": note,
            "error": error,
            "back": back if back in self.BACK else "",
            "now": timezone.now(),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        self.setup_page(request, pk)
        return self.render_page(request)

    def post(self, request, pk):
        self.setup_page(request, pk)
        note = request.POST.get("note", "")
        try:
            rescreen_clear(rescreen=self.check, user=request.user, note=note, now=timezone.now())
        except PlanError as error:
            return self.render_page(request, note=note, error=error.message, status=400)
        messages.success(
            request,
            f"{self.booking.patient.full_name}, {self.step.name}: health check reviewed, the "
            "session goes ahead.",
        )
        back = request.POST.get("back", "")
        if back in self.BACK:
            return redirect(self.BACK[back])
        return redirect("staff:plan", pk=self.step.plan_id)
