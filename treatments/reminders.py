"""Reminders of reviews, check-ins and top-ups that are due but not booked.

A visit is due once its window has opened. The patient gets at most one e-mail a week per plan,
in discreet words (no treatment named), with the private link to book; nothing once the visit is
booked or the plan is no longer going on. ``manage.py plan_reminders`` runs it (daily, from cron
or the platform's scheduler); running it twice in a day sends nothing more.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from clinic.text import header_safe
from treatments import selectors
from treatments.models import Plan
from treatments.tasks import plan_link

REMIND_EVERY = timedelta(days=7)


def due_steps(plan: Plan, today) -> list:
    """The plan's reviews, check-ins and top-ups whose window has opened and that are unbooked:
    the same as the Plans page lists as due or overdue."""
    return selectors.due_views(selectors.step_views(plan, today), today)


def due_reminders_send(*, now: datetime) -> int:
    """E-mail each patient whose open plan has a visit due and who was not reminded this week.
    Return how many e-mails were sent."""
    candidates = Plan.objects.filter(
        status__in=[Plan.Status.ACCEPTED, Plan.Status.IN_PROGRESS]
    ).exclude(reminded_at__gt=now - REMIND_EVERY)
    sent = 0
    for plan in selectors.plan_with_steps(candidates):
        today = now.astimezone(plan.location.zone).date()
        due = due_steps(plan, today)
        if not due:
            continue
        with transaction.atomic():
            # Locked and read again, so that two runs at once send one e-mail.
            locked = Plan.objects.select_for_update().get(pk=plan.pk)
            if locked.reminded_at and locked.reminded_at > now - REMIND_EVERY:
                continue
            locked.reminded_at = now
            locked.save(update_fields=["reminded_at", "updated_at"])
            _send(plan, due)
        sent += 1
    return sent


def _send(plan, due) -> None:
    context = {
        "plan": plan,
        "due": due,
        "overdue": any(view.overdue for view in due),
        "link": plan_link(plan),
        "clinic": settings.CLINIC,
    }
    EmailMultiAlternatives(
        subject=header_safe(f"A visit is due at {settings.CLINIC['name']}"),
        body=render_to_string("treatments/email/due.txt", context),
        to=[plan.patient.email],
    ).send()
