"""Due reviews, check-ins and top-ups: at most one discreet e-mail a week, none once booked or
once the plan is no longer going on."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.factories import plan_session, proposed_plan
from treatments.models import Plan
from treatments.reminders import due_reminders_send

pytestmark = pytest.mark.django_db


def plan_with_review_due(consultation):
    """A PRP course under way, started 100 days ago: its 3-month review's window is open."""
    plan = proposed_plan(consultation)
    Plan.objects.filter(pk=plan.pk).update(
        status=Plan.Status.IN_PROGRESS, starts_on=plan.starts_on - timedelta(days=100)
    )
    plan.refresh_from_db()
    return plan


def test_a_due_review_gets_one_discreet_e_mail_a_week(treatments_setup):
    plan = plan_with_review_due(treatments_setup["consultation"])
    now = timezone.now()
    assert due_reminders_send(now=now) == 1
    (message,) = mail.outbox
    assert message.to == [plan.patient.email]
    assert "PRP" not in message.subject + message.body and "review" not in message.body.lower()
    assert f"/my-plan/{plan.consultation.token}/" in message.body
    assert due_reminders_send(now=now + timedelta(days=6)) == 0
    assert due_reminders_send(now=now + timedelta(days=7, minutes=1)) == 1


def test_no_reminder_once_the_review_is_booked_or_the_plan_stopped(treatments_setup):
    plan = plan_with_review_due(treatments_setup["consultation"])
    plan_session(plan, order=4, hours_ago=-72)  # the 3-month review, booked in three days
    assert due_reminders_send(now=timezone.now()) == 0
    other = plan_with_review_due(
        type(treatments_setup["consultation"]).objects.get(pk=treatments_setup["consultation"].pk)
    )
    Plan.objects.filter(pk=other.pk).update(status="stopped", reason="Moved away.")
    assert due_reminders_send(now=timezone.now()) == 0
    assert mail.outbox == []


def test_the_command_sends_the_reminders(treatments_setup, capsys):
    plan_with_review_due(treatments_setup["consultation"])
    call_command("plan_reminders")
    assert "1 reminder(s) sent." in capsys.readouterr().out
    assert len(mail.outbox) == 1
