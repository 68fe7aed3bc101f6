"""Picking visits one by one in headless Chromium, at phone and desktop width, with axe: the
patient chooses session 1's time through their plan link, sees a stale time refused with the
nearest times that keep the window, then reception books session 2 on the phone from the
patient's page."""

from datetime import UTC, datetime, time, timedelta

import pytest

from bookings.drafts import format_start
from clinic import roles as role_names
from tests.factories import UserFactory, accepted_plan, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_the_patient_then_reception_pick_visits_one_by_one(
    staff_sign_in, look, browser, live_server, roles, treatments_setup, width
):
    plan = accepted_plan(treatments_setup["consultation"])
    token = plan.consultation.token
    patient = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = patient.new_page()
    page.goto(f"/my-plan/{token}/")
    page.get_by_role("link", name="choose a time for PRP session 1").click()
    page.wait_for_url(f"**/my-plan/{token}/visits/1/pick/")
    look(page, "pick-1-week")
    assert "Every time shown keeps it" in page.content()
    # A time outside the window (a stale or hand-made link) is refused with the nearest ones.
    too_late = datetime.combine(
        plan.steps.get(order=1).latest + timedelta(days=3), time(10), tzinfo=UTC
    )
    page.goto(f"/my-plan/{token}/visits/1/pick/?start={format_start(too_late)}")
    look(page, "pick-2-refused")
    assert "not free inside its window" in page.content()
    page.locator(".slot-button").first.click()  # the nearest time that keeps the window
    page.wait_for_selector("text=Book this time")
    look(page, "pick-3-confirm")
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url(f"**/my-plan/{token}/")
    assert "PRP session 1 is booked" in page.content()
    first = plan.steps.get(order=1).booking
    assert first is not None and first.status == "confirmed"
    patient.close()

    reception = staff_user(UserFactory(username="rosa"), roles, role_names.RECEPTION, "code1234")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(f"/staff/patients/{plan.patient_id}/")
    staff_sign_in(page, reception, "code1234")
    page.wait_for_url(f"**/staff/patients/{plan.patient_id}/")
    page.get_by_role("link", name="Book its visits").click()
    page.wait_for_url(f"**/staff/plans/{plan.pk}/visits/")
    look(page, "pick-4-reception")
    assert "PRP session 2" in page.content()
    page.locator(".slot-button").nth(2).click()
    page.get_by_role("button", name="Book PRP session 2").click()
    page.wait_for_url(f"**/staff/plans/{plan.pk}/visits/")
    look(page, "pick-5-reception-booked")
    assert "PRP session 2 booked with" in page.content()
    step = plan.steps.get(order=2)
    gap = step.booking.starts_at.date() - first.starts_at.date()
    assert timedelta(days=step.min_days_after) <= gap <= timedelta(days=step.max_days_after)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
