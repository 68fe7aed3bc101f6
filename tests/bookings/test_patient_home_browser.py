"""A patient signs in to their home with a link e-mailed to them, on a phone and on a desktop,
and cancels a booking from it; every page is checked with axe and for sideways scrolling."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_create
from tests.factories import (
    AssessmentFactory,
    BookingFactory,
    PatientFactory,
    bookable_clinic,
    link_in_outbox,
    next_slot,
    run_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_a_patient_signs_in_by_email_and_cancels_a_booking_from_home(
    browser, live_server, look, size
):
    location, (practitioner,), consultation_type = bookable_clinic()
    patient = PatientFactory(first_name="Grace", email="grace@example.com")
    kept = booking_create(
        patient=patient,
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=5),
        notify=False,
    )
    to_cancel = booking_create(
        patient=patient,
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=8),
        notify=False,
    )
    past = BookingFactory(
        patient=patient,
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=-30),
        status=Booking.Status.COMPLETED,
    )
    AssessmentFactory(
        booking=past,
        signed_off_at=timezone.now(),
        patient_summary="Your hair loss is the common inherited kind; a long word: "
        "Pneumonoultramicroscopicsilicovolcanoconiosis.",
    )
    context = browser.new_context(base_url=live_server.url, viewport=SIZES[size])
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    def check(step):
        look(page, f"home-{step}-{size}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], f"{step}: the page is {width} px wide"

    page.goto("/my-home/")
    page.wait_for_url(re.compile("/my-home/sign-in/$"))
    check("sign-in")
    page.get_by_label("Your e-mail address").fill("grace@example.com")
    page.get_by_role("button", name="E-mail me a sign-in link").click()
    page.wait_for_url(re.compile("/sent/$"))
    check("link-sent")

    run_worker()
    link = link_in_outbox(mail.outbox, "bookings:home_open", to="grace@example.com")
    page.goto(link)
    check("open-link")
    page.get_by_role("button", name="Sign in and see my bookings").click()
    page.wait_for_url(re.compile("/my-home/$"))
    check("home")
    assert "Hello, Grace" in page.content()
    assert "Your hair loss is the common inherited kind" in page.content()

    page.get_by_role("link", name="Change your details").click()
    page.wait_for_url(re.compile("/my-home/details/$"))
    check("details")
    page.get_by_role("link", name="Back without saving").click()
    page.get_by_role("link", name="Ask us to erase your data").click()
    page.wait_for_url(re.compile("/my-home/erase/$"))
    check("erase")
    page.get_by_role("link", name="Keep my data").click()
    page.wait_for_url(re.compile("/my-home/$"))

    page.get_by_role("link", name=re.compile("^Cancel the booking of")).nth(1).click()
    page.wait_for_url(re.compile(f"/my-booking/{to_cancel.token}/cancel/$"))
    check("cancel")
    page.get_by_role("button", name="Cancel the booking").click()
    page.wait_for_url(re.compile(f"/my-booking/{to_cancel.token}/$"))
    assert "Your booking has been cancelled" in page.content()
    page.get_by_role("link", name="All your bookings and details").click()
    page.wait_for_url(re.compile("/my-home/$"))
    check("home-after-cancel")
    to_cancel.refresh_from_db()
    kept.refresh_from_db()
    assert to_cancel.status == Booking.Status.CANCELLED
    assert kept.status == Booking.Status.CONFIRMED

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile("/my-home/sign-in/$"))
    page.goto("/my-home/")
    page.wait_for_url(re.compile("/my-home/sign-in/$"))
    page.goto(link)  # used once already
    assert "This link no longer works" in page.content()
    check("link-refused")
    context.close()
    # The refused link is answered 410 Gone on purpose, which the browser logs; nothing else.
    errors = [e for e in errors if "status of 410" not in e]
    assert not errors, f"Browser console errors: {errors}"
