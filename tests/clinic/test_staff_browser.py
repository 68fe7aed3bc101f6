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
