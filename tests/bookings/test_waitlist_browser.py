"""The waitlist in Chromium at phone and desktop width, each page checked with axe: a patient
finds no time that suits, joins from the picker, is offered a freed time by e-mail and claims
it; a second patient's link then says the time has gone. Staff read the day's waitlist."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from bookings.models import Booking, WaitlistEntry
from bookings.services import booking_cancel, booking_create
from bookings.waitlist import waitlist_join
from clinic import roles as role_names
from tests.factories import (
    PatientFactory,
    UserFactory,
    bookable_clinic,
    next_slot,
    run_worker,
    staff_session,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLAIM_LINK = re.compile(r"https?://[^/\s]+(/waitlist/offer/[\w-]+/)")


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


@pytest.mark.parametrize("width", [375, 1280])
def test_a_patient_joins_is_offered_a_freed_time_and_claims_it(
    browser, live_server, look, width, roles
):
    location, _, consultation_type = bookable_clinic()
    start = next_slot(days=4)
    taken = booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        notify=False,
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(f"/book/{consultation_type.slug}/")
    page.get_by_role("link", name="Tell me when a time frees up").click()
    page.wait_for_url("**/waitlist/**")
    look(page, f"waitlist-1-join-{width}")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_role("button", name="Join the waitlist").click()
    page.get_by_text("Please tick to agree").wait_for()  # refused, the typing kept
    assert page.get_by_label("First name").input_value() == "Ada"
    page.locator("#id_consent_care").check()
    page.get_by_role("button", name="Join the waitlist").click()
    page.get_by_role("heading", name="Your place on the waitlist").wait_for()
    no_sideways_scroll(page)
    look(page, f"waitlist-2-entry-{width}")

    today = timezone.now().astimezone(location.zone).date()
    waitlist_join(
        consultation_type=consultation_type,
        location=location,
        practitioner=None,
        first_day=today,
        last_day=today + timedelta(days=10),
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.com",
    )
    booking_cancel(booking=taken, notify=False)
    run_worker()
    links = {
        message.to[0]: CLAIM_LINK.search(message.body).group(1)
        for message in mail.outbox
        if message.subject.startswith("A time has come free")
    }
    page.goto(links["ada@example.com"])
    look(page, f"waitlist-3-claim-{width}")
    page.get_by_label("Mobile phone").fill("+971 50 123 4567")
    page.get_by_label("Day", exact=True).fill("7")
    page.get_by_label("Month", exact=True).fill("3")
    page.get_by_label("Year", exact=True).fill("1985")
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url("**/my-booking/**")
    assert "The time is yours" in page.content()
    booked = Booking.objects.get(status="confirmed")
    assert booked.starts_at == start and booked.patient.email == "ada@example.com"

    page.goto(links["grace@example.com"])
    page.get_by_role("heading", name="Sorry, this time has gone").wait_for()
    no_sideways_scroll(page)
    look(page, f"waitlist-4-gone-{width}")
    context.close()

    admin = UserFactory(username="chief")
    cookie = staff_session(admin, role_names.CLINIC_ADMIN)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"/staff/?day={start.astimezone(location.zone).date().isoformat()}")
    page.get_by_role("link", name="Waitlist").click()
    page.get_by_text("claimed by Ada Lovelace").wait_for()
    no_sideways_scroll(page)
    look(page, f"waitlist-5-staff-{width}")
    assert WaitlistEntry.objects.count() == 2
    context.close()
