"""Reception books a walk-in by phone for a patient on file, and a practitioner makes their
diary address, in Chromium at phone and desktop width, each page checked with axe and for
sideways scrolling."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking
from clinic import roles as role_names
from tests.factories import PatientFactory, UserFactory, bookable_clinic, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


@pytest.mark.parametrize("width", [375, 1280])
def test_reception_books_a_walk_in_by_phone_for_a_patient_on_file(
    staff_sign_in, look, browser, live_server, width, roles
):
    location, _, _ = bookable_clinic()
    ada = PatientFactory(
        first_name="Ada", last_name="Moss", email="ada@example.com", phone="07700 900555"
    )
    PatientFactory(first_name="Zed", last_name="Quill")
    rosa = staff_user(UserFactory(username="rosa"), roles, role_names.RECEPTION, "code4321")
    day = (timezone.now() + timedelta(days=4)).astimezone(location.zone).date()

    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/book/")
    staff_sign_in(page, rosa, "code4321")
    page.wait_for_url("**/staff/book/")
    # A mark on the page itself: if any step below reloaded the page, it would be gone.
    page.evaluate("window.__samePage = true")

    page.get_by_label("Find a patient on file").fill("moss")
    if width < 768:
        # Enter in the box finds, as a phone's "Go" key does, rather than pressing the form's
        # first button ("Show free times").
        page.get_by_label("Find a patient on file").press("Enter")
    else:
        page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("button", name="Book for Ada Moss").wait_for()
    assert page.get_by_text("Zed Quill").count() == 0
    look(page, "workspace-1-patient-found")
    page.get_by_role("button", name="Book for Ada Moss").click()
    page.get_by_text("Booking for Ada Moss").wait_for()
    page.get_by_label("The patient agreed on the phone").check()

    # Another day: the free times come back in place, the patient and the consent stay.
    page.get_by_label("Day", exact=True).fill(day.isoformat())
    page.get_by_text(f"Free times on {day:%A} {day.day} {day:%B %Y}").wait_for()
    assert page.evaluate("window.__samePage") is True
    assert page.get_by_label("The patient agreed on the phone").is_checked()
    no_sideways_scroll(page)
    look(page, "workspace-2-phone-booking")
    page.get_by_role("radio", name="11:00").check()
    page.get_by_role("button", name="Book and e-mail the patient").click()
    # Back on the day booked, where the new booking is listed.
    page.wait_for_url(f"**/staff/?day={day.isoformat()}")
    assert "Booked Ada Moss with" in page.content()
    assert page.locator("main table").get_by_text("Ada Moss").count() >= 1

    booking = Booking.objects.get()
    assert booking.patient == ada and booking.location == location
    assert booking.starts_at.astimezone(location.zone).date() == day

    # On Ada's page: the new consultation, with Move and Cancel; call or write to her.
    page.goto(f"/staff/patients/{ada.pk}/")
    no_sideways_scroll(page)
    look(page, "workspace-3-patient-page")
    assert page.get_by_role("link", name="07700 900555").get_attribute("href") == (
        "tel:07700900555"
    )
    assert page.locator(".booking-actions").get_by_role("link", name="Move").count() == 1
    page.get_by_role("link", name="Book a consultation for Ada").click()
    page.get_by_text("Booking for Ada Moss").wait_for()
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_a_practitioner_makes_their_diary_address(
    staff_sign_in, look, browser, live_server, width, roles
):
    from icalendar import Calendar

    from tests.factories import BookingFactory

    location, (practitioner,), consultation_type = bookable_clinic()
    staff_user(practitioner.user, roles, role_names.PRACTITIONER, "code9876")
    BookingFactory(
        patient=PatientFactory(first_name="Ada", last_name="Moss"),
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/me/")
    staff_sign_in(page, practitioner.user, "code9876")
    page.wait_for_url("**/staff/me/")
    look(page, "workspace-4-profile")
    page.get_by_role("button", name="Make my diary address").click()
    page.wait_for_url("**/staff/me/")
    address = page.get_by_label("Your diary address, shown only now").input_value()
    no_sideways_scroll(page)
    look(page, "workspace-5-profile-address")

    feed = context.request.get(address)
    assert feed.status == 200
    [event] = Calendar.from_ical(feed.body()).walk("VEVENT")
    assert str(event["summary"]) == f"{consultation_type.name} · A. M."

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Make a new address").click()
    page.wait_for_url("**/staff/me/")
    assert context.request.get(address).status == 404
    context.close()
