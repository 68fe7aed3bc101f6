"""The whole journey of issue 12 in headless Chromium, at phone and desktop width, with axe: a
practitioner makes a plan from a completed, assessed consultation; the patient reads it through
their link, signs it with their name, books the course in one go, and moves session 2, the later
visits moving along to keep their windows; the health check before session 1 raises a flag that
holds the session on the practitioner's day; they clear it with a note; on the day they record
the session; months later the review due shows on the Plans page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from bookings.drafts import format_start
from bookings.models import Booking
from bookings.services import booking_cancel
from clinic import roles as role_names
from patients.forms import IntakeForm
from patients.services import intake_update
from tests.factories import staff_user, valid_form
from treatments.models import RESCREEN_QUESTIONS, Plan, Rescreen, SessionRecord

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_a_plan_goes_from_the_assessment_to_a_recorded_session_and_a_review_due(
    staff_sign_in, look, browser, live_server, roles, treatments_setup, width
):
    consultation = treatments_setup["consultation"]
    form = IntakeForm(valid_form())
    assert form.is_valid(), form.errors
    intake_update(booking=consultation, values=form.intake_values(), photos=[], now=timezone.now())
    practitioner = staff_user(
        treatments_setup["practitioners"][0].user, roles, role_names.PRACTITIONER, "code4321"
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(f"/staff/reviews/{consultation.pk}/")
    staff_sign_in(page, practitioner, "code4321")
    page.wait_for_url(f"**/staff/reviews/{consultation.pk}/")
    page.get_by_role("link", name="Make a plan").click()
    page.wait_for_url(f"**/staff/reviews/{consultation.pk}/plan/")
    look(page, "plan-1-new")
    page.get_by_label("Medication with check-ins").check()
    page.get_by_role("button", name="Update the steps and quote").click()
    page.get_by_role("checkbox", name="PRP top-up").uncheck()
    page.get_by_label("Note for the patient").fill('Start soon. <script>alert("x")</script>')
    page.get_by_role("button", name="Propose the plan").click()
    page.wait_for_url("**/staff/plans/*/")
    look(page, "plan-2-staff")
    assert "Plan proposed." in page.content()
    plan = Plan.objects.get()
    assert plan.steps.count() == 7  # PRP without its top-up, and two check-ins
    context.close()

    patient = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = patient.new_page()
    page.goto(f"/my-plan/{consultation.token}/")
    look(page, "plan-3-patient")
    assert page.get_by_text('Start soon. <script>alert("x")</script>').is_visible()
    page.get_by_label("Type your full name to sign").fill("Someone Else")
    page.get_by_role("button", name="I accept and sign").click()
    assert page.get_by_text("does not match the name we hold").is_visible()
    assert page.get_by_label("Type your full name to sign").input_value() == "Someone Else"
    page.get_by_label("Type your full name to sign").fill(plan.patient.full_name.upper())
    page.get_by_role("button", name="I accept and sign").click()
    page.wait_for_url("**/book/")
    look(page, "plan-4-book")
    page.get_by_role("button", name="Book 7 visits").click()
    page.wait_for_url(f"**/my-plan/{consultation.token}/")
    look(page, "plan-5-booked")
    assert "Your course is booked: 7 visits." in page.content()
    plan.refresh_from_db()
    assert plan.status == "in_progress"
    assert Booking.objects.filter(patient=plan.patient, status="confirmed").count() == 7

    # Session 2 moved two weeks later: session 3 and the reviews after it move along.
    second = plan.steps.get(order=2).booking
    third_before = plan.steps.get(order=3).booking.starts_at
    target = second.starts_at + timedelta(days=14)
    page.goto(f"/my-plan/{consultation.token}/visits/2/move/?start={format_start(target)}")
    look(page, "plan-6-move")
    assert page.get_by_text("this moves too").is_visible()
    page.get_by_role("button", name=re.compile(r"Move \d+ visits")).click()
    page.wait_for_url(f"**/my-plan/{consultation.token}/")
    assert "Moved:" in page.content()
    second.refresh_from_db()
    assert second.starts_at == target
    assert plan.steps.get(order=3).booking.starts_at > third_before

    # Session 1 is within three days: the health check is open, and a "yes" raises a flag.
    first = plan.steps.get(order=1).booking
    page.get_by_role("link", name="Answer the health check before this visit").click()
    page.wait_for_url("**/visits/1/check/")
    for key, _ in RESCREEN_QUESTIONS:
        answer = "yes" if key == "blood_thinners" else "no"
        page.locator(f'input[name="{key}"][value="{answer}"]').check()
    page.get_by_label(re.compile("Anything to tell us")).fill("Aspirin <b>since Monday</b>")
    look(page, "plan-7-check")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url(f"**/my-plan/{consultation.token}/")
    assert "Your practitioner will look at your answers" in page.content()
    assert Rescreen.objects.get(booking=first).needs_review
    patient.close()

    # The practitioner's day of session 1 holds it for review; they clear it with a note.
    device = practitioner.staticdevice_set.get()
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=code) for code in ("code5678", "code8765", "code8888")]
    )
    staff = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    page = staff.new_page()
    page.goto("/staff/")
    staff_sign_in(page, practitioner, "code5678")
    page.wait_for_url("**/staff/")
    day = first.starts_at.astimezone(plan.location.zone).date()
    page.goto(f"/staff/?day={day.isoformat()}")
    look(page, "plan-8-day-held")
    assert page.get_by_role("link", name=re.compile("Needs review: health check")).is_visible()
    page.get_by_role("link", name=re.compile("1 session held by a health check")).click()
    page.wait_for_url("**/staff/reviews/#held-sessions")
    look(page, "plan-8-queue-held")
    page.get_by_role("link", name=re.compile("Review the health check of")).click()
    page.wait_for_url("**/clear/?back=queue")
    assert page.get_by_text("Aspirin <b>since Monday</b>").is_visible()
    look(page, "plan-9-review-check")
    page.get_by_role("button", name="Reviewed: go ahead").click()  # no note: refused
    assert page.get_by_text("Say what you checked").is_visible()
    page.get_by_label("What you checked").fill("Called: aspirin stopped 7 days ago.")
    page.get_by_role("button", name="Reviewed: go ahead").click()
    page.wait_for_url("**/staff/reviews/")
    assert "health check reviewed, the session goes ahead" in page.content()
    assert "Sessions held by a health check" not in page.content()
    check = Rescreen.objects.get(booking=first)
    assert not check.needs_review and check.cleared_note.startswith("Called: aspirin")

    # On the day, half an hour into session 1, the practitioner records what was done.
    def open_signed_in(path, code):
        """Open a staff page; signed out by the idle timeout meanwhile, sign in again."""
        page.goto(path)
        if "/sign-in/" in page.url:
            staff_sign_in(page, practitioner, code)
            page.wait_for_url(lambda url: "/sign-in/" not in url)
            page.goto(path)

    with time_machine.travel(first.starts_at + timedelta(minutes=30), tick=True):
        open_signed_in(f"/staff/plans/{plan.pk}/", "code8765")
        page.get_by_role("link", name="Record the session of PRP session 1").click()
        page.wait_for_url(f"**/staff/plans/sessions/{first.pk}/")
        page.get_by_label("Product").fill("PRP kit A")
        page.get_by_label("Lot or batch number").fill("LOT-2027-01")
        page.get_by_label("Volume or dose").fill("6 ml")
        page.get_by_label("Sites treated").fill("Crown <i>and</i> vertex")
        look(page, "plan-10-record")
        page.get_by_role("button", name="Save the record").click()
        page.wait_for_url(f"**/staff/plans/{plan.pk}/")
        assert "Session recorded." in page.content()
    assert SessionRecord.objects.get(booking=first).sites == "Crown <i>and</i> vertex"

    # The patient phones to say they will book the 3-month review later: reception cancels it.
    # Weeks after session 3 that review is due and not booked: the Plans page says so.
    review = plan.steps.get(name="Review at 3 months").booking
    booking_cancel(booking=review, by_staff=True, reason="The patient will book it later.")
    third = plan.steps.get(order=3).booking
    with time_machine.travel(third.starts_at + timedelta(days=40), tick=True):
        open_signed_in("/staff/plans/", "code8888")
        look(page, "plan-11-review-due")
        due = page.locator(".list-group-item", has_text=plan.patient.full_name)
        text = " ".join(due.inner_text().split())
        assert "Next: Review at 3 months, to book" in text, text
        assert "Due not booked: Review at 3 months" in text, text
    staff.close()
