"""Due reviews, check-ins and top-ups: at most one discreet e-mail a week, none once booked or
once the plan is no longer going on."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_cancel
from clinic.roles import PRACTITIONER
from tests.factories import plan_session, proposed_plan, sign_in_with_second_factor
from tests.mail import words_of
from treatments import selectors
from treatments.models import Plan, PlanStep
from treatments.reminders import due_reminders_send
from treatments.services import plan_decline

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
    assert "PRP" not in words_of(message) and "review" not in message.body.lower()
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


def course_done_review_due(setup):
    """A PRP course whose three sessions were done 95, 65 and 35 days ago: the 3-month review's
    window opens today (35 days after the last session), and nothing is overdue."""
    plan = proposed_plan(setup["consultation"])
    Plan.objects.filter(pk=plan.pk).update(
        status=Plan.Status.IN_PROGRESS, starts_on=plan.starts_on - timedelta(days=96)
    )
    for order, days_ago in ((1, 95), (2, 65), (3, 35)):
        booking = plan_session(plan, order=order, hours_ago=24 * days_ago)
        Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.COMPLETED)
        PlanStep.objects.filter(plan=plan, order=order).update(status=PlanStep.Status.DONE)
    plan.refresh_from_db()
    return plan


@pytest.mark.usefixtures("winter_noon")
def test_the_plans_page_shows_a_review_due_and_when_it_was_reminded_until_it_is_booked(
    client, roles, treatments_setup
):
    plan = course_done_review_due(treatments_setup)
    user = plan.practitioner.user
    user.groups.add(roles[PRACTITIONER])
    sign_in_with_second_factor(client, user)
    page = client.get(reverse("staff:plans")).content.decode()
    assert "Due</span> not booked: Review at 3 months (by" in page
    assert "Overdue" not in page and "reminded" not in page
    assert due_reminders_send(now=timezone.now()) == 1
    page = client.get(reverse("staff:plans")).content.decode()
    assert f"reminded {timezone.now():%-d %b}" in page
    plan_session(plan, order=4, hours_ago=-24 * 3)
    page = " ".join(client.get(reverse("staff:plans")).content.decode().split())
    assert "not booked: Review" not in page and "Next: Review at 3 months, booked" in page
    assert due_reminders_send(now=timezone.now() + timedelta(days=8)) == 0


@pytest.mark.usefixtures("winter_noon")
def test_a_review_skipped_or_a_plan_declined_gets_no_reminder(treatments_setup):
    plan = course_done_review_due(treatments_setup)
    PlanStep.objects.filter(plan=plan, order=4).update(status=PlanStep.Status.SKIPPED)
    # The top-up's window opens 60 days after the review's: nothing else is due yet.
    assert due_reminders_send(now=timezone.now()) == 0
    declined = proposed_plan(
        type(treatments_setup["consultation"]).objects.get(pk=treatments_setup["consultation"].pk)
    )
    Plan.objects.filter(pk=declined.pk).update(starts_on=declined.starts_on - timedelta(days=200))
    plan_decline(plan=declined, reason="Not for me.")
    assert due_reminders_send(now=timezone.now()) == 0
    assert mail.outbox == []


@pytest.mark.usefixtures("winter_noon")
def test_a_review_whose_booking_was_cancelled_is_due_again_and_proposed_again(treatments_setup):
    plan = course_done_review_due(treatments_setup)
    review = plan_session(plan, order=4, hours_ago=-24 * 3)
    assert due_reminders_send(now=timezone.now()) == 0
    booking_cancel(booking=review, by_staff=True, reason="The patient will book later")
    plan = selectors.plan_with_steps(Plan.objects.filter(pk=plan.pk)).get()
    today = timezone.now().date()
    (row,) = dict(selectors.plans_by_status(plans=Plan.objects.all(), today=today))["In progress"]
    assert [view.step.name for view in row.due] == ["Review at 3 months"]
    assert due_reminders_send(now=timezone.now()) == 1
    proposal = selectors.course_proposal(plan)
    assert [step.name for step, _, _ in proposal.choices][:1] == ["Review at 3 months"]
