"""The whole journey in headless Chromium, at phone and desktop width, with axe: a practitioner
makes a plan from a completed, assessed consultation; the patient reads it through their link,
signs it with their name, books the course in one go, and moves session 2, the later visits
moving along to keep their windows."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.drafts import format_start
from bookings.models import Booking
from clinic import roles as role_names
from patients.forms import IntakeForm
from patients.services import intake_update
from tests.factories import staff_user, valid_form
from treatments.models import Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_a_plan_goes_from_the_assessment_to_a_booked_course(
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
    patient.close()
