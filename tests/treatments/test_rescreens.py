"""The health check before a procedure: open in the days before it, a "yes" holds the session
for review, the practitioner clears it; hostile details shown escaped."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bookings.privacy import patient_erase, patient_export
from clinic.models import ClinicalRead
from clinic.roles import PRACTITIONER
from tests.factories import (
    accepted_plan,
    plan_session,
    proposed_plan,
    sign_in_with_second_factor,
)
from tests.mail import words_of
from treatments import selectors
from treatments.models import RESCREEN_QUESTIONS, Rescreen
from treatments.rescreens import rescreen_clear, rescreen_submit
from treatments.services import PlanError, course_book
from treatments.tasks import send_rescreen_request

pytestmark = pytest.mark.django_db
ALL_NO = {key: "no" for key, _ in RESCREEN_QUESTIONS}
HOSTILE = "<script>alert(1)</script>"


def session_in(plan, hours):
    """Session 1 of ``plan`` booked ``hours`` from now."""
    plan_session(plan, order=1, hours_ago=-hours)
    return plan.steps.select_related("booking").get(order=1)


def test_the_check_opens_three_days_before_and_a_yes_needs_review_until_cleared(
    treatments_setup,
):
    plan = proposed_plan(treatments_setup["consultation"])
    step = session_in(plan, hours=24 * 5)
    now = timezone.now()
    with pytest.raises(PlanError, match="opens three days before"):
        rescreen_submit(step=step, answers=ALL_NO, details="", now=now)
    soon = now + timedelta(days=3)
    check = rescreen_submit(step=step, answers=ALL_NO, details="", now=soon)
    assert not check.needs_review
    check = rescreen_submit(
        step=step, answers={**ALL_NO, "blood_thinners": "yes"}, details="Aspirin", now=soon
    )
    assert check.needs_review and len(check.flags) == 1
    with pytest.raises(PlanError, match="Say what you checked"):
        rescreen_clear(rescreen=check, user=plan.practitioner.user, note="  ", now=soon)
    cleared = rescreen_clear(
        rescreen=check, user=plan.practitioner.user, note="Aspirin stopped a week ago", now=soon
    )
    assert not cleared.needs_review
    # A new answer is a new review.
    again = rescreen_submit(step=step, answers={**ALL_NO, "illness": "yes"}, details="", now=soon)
    assert again.needs_review
    # Created with its first answers, then three changes: each one in the history.
    assert Rescreen.objects.count() == 1 and again.history.count() == 5
    with pytest.raises(PlanError, match="answer every question"):
        rescreen_submit(step=step, answers={"illness": "yes"}, details="", now=soon)


def test_the_patient_answers_through_the_plan_link_with_the_typing_kept(client, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    session_in(plan, hours=30)
    url = reverse("treatments:rescreen", args=[plan.consultation.token, 1])
    assert (
        "Answer the health check"
        in client.get(reverse("treatments:plan", args=[plan.consultation.token])).content.decode()
    )
    missing = client.post(url, {"details": "Started ibuprofen"})
    assert missing.status_code == 400 and "Started ibuprofen" in missing.content.decode()
    done = client.post(url, {**ALL_NO, "blood_thinners": "yes", "details": HOSTILE})
    assert done.status_code == 302
    assert Rescreen.objects.get().needs_review
    # Another visit of the plan, not yet booked, has no check to answer.
    other = reverse("treatments:rescreen", args=[plan.consultation.token, 2])
    assert client.get(other).status_code == 404


def test_the_practitioner_sees_the_flag_escaped_and_clears_it(client, roles, treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    step = session_in(plan, hours=30)
    rescreen_submit(
        step=step, answers={**ALL_NO, "infection": "yes"}, details=HOSTILE, now=timezone.now()
    )
    user = plan.practitioner.user
    user.groups.add(roles[PRACTITIONER])
    sign_in_with_second_factor(client, user)
    page = client.get(reverse("staff:plan", args=[plan.pk])).content.decode()
    assert "Needs review" in page and HOSTILE not in page and "&lt;script&gt;" in page
    assert ClinicalRead.objects.filter(what="health check").count() == 1
    plans = client.get(reverse("staff:plans")).content.decode()
    assert "Needs review</span> health check before PRP session 1" in plans
    clear = reverse("staff:rescreen_clear", args=[step.booking_id])
    review = client.get(clear).content.decode()
    assert "Needs review" in review and HOSTILE not in review and "&lt;script&gt;" in review
    refused = client.post(clear, {"note": " "})
    assert refused.status_code == 400 and "Say what you checked" in refused.content.decode()
    response = client.post(clear, {"note": f"Called: cream only {HOSTILE}"})
    assert response.status_code == 302
    assert not Rescreen.objects.get().needs_review
    page = client.get(reverse("staff:plan", args=[plan.pk])).content.decode()
    assert "Health check reviewed" in page and "Review note: Called: cream only &lt;script" in page
    check = Rescreen.objects.get()
    assert check.cleared_by == user and check.history.first().cleared_note.startswith("Called")


def test_the_check_is_exported_then_gone_with_the_erasure(treatments_setup):
    plan = proposed_plan(treatments_setup["consultation"])
    step = session_in(plan, hours=30)
    check = rescreen_submit(
        step=step, answers={**ALL_NO, "illness": "yes"}, details="A cold", now=timezone.now()
    )
    rescreen_clear(
        rescreen=check, user=plan.practitioner.user, note="Over it: go ahead", now=timezone.now()
    )
    _, content = patient_export(patient=plan.patient)
    document = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("patient.json"))
    exported = document["treatment_plans"][0]["steps"][0]["health_check"]
    assert exported["details"] == "A cold" and exported["review_note"] == "Over it: go ahead"
    patient_erase(patient=plan.patient)
    assert not Rescreen.objects.exists() and not Rescreen.history.exists()


def test_booking_a_course_asks_for_the_check_two_days_before_each_procedure(
    treatments_setup, django_capture_on_commit_callbacks
):
    plan = accepted_plan(treatments_setup["consultation"])
    proposal = selectors.course_proposal(plan)
    choices = {s.order: (o.start, who) for s, o, who in proposal.choices}
    with django_capture_on_commit_callbacks(execute=True):
        made = course_book(plan=plan, choices=choices)
    queued = DBTaskResult.objects.filter(task_path__endswith="send_rescreen_request")
    assert queued.count() == 4  # three sessions and the top-up; reviews need no check
    first = made[0]
    # Session 2, weeks away, is asked about two days before; session 1, within two days, at once.
    assert made[1].starts_at - timedelta(days=2) in {row.run_after for row in queued}
    mail.outbox.clear()
    assert send_rescreen_request.call(first.pk, first.starts_at.isoformat()) == "sent"
    (message,) = mail.outbox
    assert "PRP" not in words_of(message)
    # When, as the clinic's clock says it: booked inside the two days, it is not "in two days".
    local = first.starts_at.astimezone(first.location.zone)
    assert (
        f"Your next visit is on {local:%A} {local.day} {local:%B} at {local:%H:%M}." in message.body
    )
    assert f"/my-plan/{plan.consultation.token}/" in message.body
    moved = (first.starts_at - timedelta(days=1)).isoformat()
    assert send_rescreen_request.call(first.pk, moved) == "skipped: moved since"


def test_a_flagged_check_left_behind_by_a_move_is_not_called_reviewed(
    client, roles, treatments_setup
):
    plan = proposed_plan(treatments_setup["consultation"])
    step = session_in(plan, hours=30)
    rescreen_submit(step=step, answers={**ALL_NO, "illness": "yes"}, details="", now=timezone.now())
    # Moved to a later day: the answer was for the old time, and nobody has reviewed it.
    booking = step.booking
    later = timedelta(days=9)
    type(booking).objects.filter(pk=booking.pk).update(
        starts_at=booking.starts_at + later,
        ends_at=booking.ends_at + later,
        blocked_from=booking.blocked_from + later,
        blocked_until=booking.blocked_until + later,
    )
    check = Rescreen.objects.get()
    assert not check.needs_review and check.cleared_at is None
    user = plan.practitioner.user
    user.groups.add(roles[PRACTITIONER])
    sign_in_with_second_factor(client, user)
    page = client.get(reverse("staff:plan", args=[plan.pk])).content.decode()
    assert "Health check reviewed" not in page and "Needs review" not in page
    assert "Health check to be asked again" in page
    assert "These answers were given before the session was moved to a later day." in page
