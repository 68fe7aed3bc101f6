"""Staff sign in with their second factor in headless Chromium."""

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from tests.browser import look
from tests.factories import LocationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_reception_signs_in_with_a_backup_code_and_sees_today(browser, live_server, width):
    LocationFactory(name="Hampstead")
    rosa = UserFactory(username="rosa", password="a-long-staff-password-2026")
    StaticToken.objects.create(device=StaticDevice.objects.create(user=rosa), token="code4321")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/")
    look(page, "staff-1-sign-in")
    page.get_by_label("Username").fill("rosa")
    page.get_by_label("Password").fill("a-long-staff-password-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/sign-in/code/**")
    look(page, "staff-2-code")
    page.get_by_label("Code").fill("code4321")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/")
    look(page, "staff-3-today")
    assert "Hampstead" in page.content()
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_practitioner_opens_the_queue_and_reviews_a_flagged_intake(
    browser, live_server, width, roles, screening_rules
):
    from clinic import roles as role_names
    from tests.bookings.flow_helpers import bookable_clinic
    from tests.patients.test_review import booking_with_intake

    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.set_password("a-long-staff-password-2026")
    practitioner.user.save()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    StaticToken.objects.create(
        device=StaticDevice.objects.create(user=practitioner.user), token="code9876"
    )
    booking = booking_with_intake(
        location, consultation_type, practitioner, 2, screen_anticoagulants="yes"
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/reviews/")
    page.get_by_label("Username").fill(practitioner.user.username)
    page.get_by_label("Password").fill("a-long-staff-password-2026")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill("code9876")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/reviews/")
    look(page, "staff-4-queue")
    page.get_by_role("link", name=booking.patient.full_name).first.click()
    page.wait_for_url(f"**/staff/reviews/{booking.pk}/")
    look(page, "staff-5-review")
    assert "caution for PRP" in page.content()
    assert (
        page.locator("img[alt='Crown (from above and behind)']").evaluate("i => i.naturalWidth") > 0
    )
    context.close()
