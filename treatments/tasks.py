"""E-mails about plans, sent by the task worker once the transaction that asked for them commits.

Wording is discreet, as for bookings: no treatment name in any subject or body, since e-mail is
often shared; the plan itself is read through the patient's private link.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from clinic.text import header_safe
from clinic.times import format_local
from treatments.models import Plan, PlanStep, StepKind


def plan_link(plan: Plan) -> str:
    return settings.SITE_URL + reverse("treatments:plan", args=[plan.consultation.token])


@task()
def send_plan_proposed(plan_id: int) -> str:
    """Tell the patient their plan is ready to read, with the private link to it."""
    plan = Plan.objects.select_related("patient", "consultation", "practitioner__user").get(
        pk=plan_id
    )
    if plan.status != Plan.Status.PROPOSED:
        return "skipped: no longer proposed"
    context = {"plan": plan, "link": plan_link(plan), "clinic": settings.CLINIC}
    EmailMultiAlternatives(
        subject=header_safe(f"Your plan from {settings.CLINIC['name']} is ready to read"),
        body=render_to_string("treatments/email/plan_proposed.txt", context),
        to=[plan.patient.email],
    ).send()
    return "sent"


@task()
def send_talk_request(plan_id: int) -> str:
    """Tell the clinic inbox that a patient wants to talk before deciding on their plan."""
    plan = Plan.objects.select_related("patient", "practitioner__user").get(pk=plan_id)
    context = {
        "plan": plan,
        "staff_link": settings.SITE_URL + reverse("staff:plan", args=[plan.pk]),
    }
    EmailMultiAlternatives(
        subject=header_safe(f"Call back about a plan: {plan.patient.full_name}"),
        body=render_to_string("treatments/email/talk_request.txt", context),
        to=[settings.CLINIC_INBOX_EMAIL],
    ).send()
    return "sent"


def plan_proposed_on_commit(plan: Plan) -> None:
    plan_id = plan.pk
    transaction.on_commit(lambda: send_plan_proposed.enqueue(plan_id))


def talk_requested_on_commit(plan: Plan) -> None:
    plan_id = plan.pk
    transaction.on_commit(lambda: send_talk_request.enqueue(plan_id))


RESCREEN_DAYS_BEFORE = 2


@task()
def send_rescreen_request(booking_id: int, starts_at: str) -> str:
    """Ask the patient for the health check two days before a procedure, once, unless the
    session has moved (its move asked again), was cancelled, or the check is answered."""
    step = (
        PlanStep.objects.select_related("plan__patient", "plan__consultation", "booking__rescreen")
        .filter(booking_id=booking_id)
        .first()
    )
    if step is None or step.booking.status != "confirmed":
        return "skipped: not a confirmed session"
    if step.booking.starts_at.isoformat() != starts_at:
        return "skipped: moved since"
    check = getattr(step.booking, "rescreen", None)
    if check is not None and check.is_current:
        # Answered for this time already. An answer given before the session was moved to a
        # later day is not: the patient is asked again before the new one.
        return "skipped: already answered"
    # The day and time, not "in two days": a session booked inside the two days is asked at
    # once. Not what the visit is: an e-mail names no treatment.
    when = format_local(step.booking.starts_at, step.plan.location.zone, r"l j F \a\t H:i")
    context = {
        "plan": step.plan,
        "link": plan_link(step.plan),
        "clinic": settings.CLINIC,
        "when": when,
    }
    EmailMultiAlternatives(
        subject=header_safe(f"Before your visit to {settings.CLINIC['name']}: a few questions"),
        body=render_to_string("treatments/email/rescreen.txt", context),
        to=[step.plan.patient.email],
    ).send()
    return "sent"


def rescreen_request_on_commit(booking) -> None:
    """Queue the health-check request for two days before a procedure session."""
    send_at = booking.starts_at - timedelta(days=RESCREEN_DAYS_BEFORE)
    booking_id, starts_at = booking.pk, booking.starts_at.isoformat()
    if send_at <= timezone.now():
        send_at = None  # booked inside the two days: ask at once
    transaction.on_commit(
        lambda: send_rescreen_request.using(run_after=send_at).enqueue(booking_id, starts_at)
    )


def rescreen_request_after_move(booking) -> None:
    """Ask for the health check again before the new time of a procedure session moved by
    staff outside the plan's own move (the plan's move asks by itself)."""
    if PlanStep.objects.filter(
        booking=booking, kind__in=[StepKind.PROCEDURE, StepKind.TOP_UP]
    ).exists():
        rescreen_request_on_commit(booking)
