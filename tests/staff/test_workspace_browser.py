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


def test_a_day_typed_digit_by_digit_is_the_day_whose_times_are_shown(
    staff_sign_in, browser, live_server, roles
):
    """A date box sends a change at each date its digits make on the way ("0002-12-10",
    "0020-12-10", …): answered each, the box was put back mid-typing, and the times shown (and
    booked) were those of another day than the one reception typed."""
    location, _, _ = bookable_clinic()
    rosa = staff_user(UserFactory(username="rosa"), roles, role_names.RECEPTION, "code4321")
    wanted = timezone.now().astimezone(location.zone).date() + timedelta(days=3)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    page = context.new_page()
    page.goto("/staff/book/")
    staff_sign_in(page, rosa, "code4321")
    page.wait_for_url("**/staff/book/")

    # Focused, the box takes the month first, then the day and the year, in Chromium's en-US.
    page.locator("#day").focus()
    page.locator("#day").press_sequentially(f"{wanted:%m%d%Y}", delay=120)
    heading = f"Free times on {wanted:%A} {wanted.day} {wanted:%B %Y}"
    page.get_by_text(heading).wait_for()
    page.wait_for_timeout(1500)  # any answer still on its way has come back by now
    assert page.get_by_text(heading).count() == 1
    assert page.locator("#day").input_value() == wanted.isoformat()
    context.close()


def test_an_answer_for_an_earlier_choice_does_not_replace_the_later_one(
    staff_sign_in, browser, live_server, roles, monkeypatch
):
    """Reception picks a practitioner, then asks for another day's times before that answer is
    back. The first answer lands first; the page must still end on the day asked for last,
    not on the first answer with the second one lost."""
    import time as clock

    from staff.views import phone

    location, (_, second), _ = bookable_clinic(practitioners=2)
    rosa = staff_user(UserFactory(username="rosa"), roles, role_names.RECEPTION, "code4321")
    today = timezone.now().astimezone(location.zone).date()
    wanted = today + timedelta(days=3)
    refresh = phone.PhoneBookingView.refresh

    def answered_slowly(view, request, action):
        clock.sleep(0.5 if request.POST.get("day") == today.isoformat() else 1.5)
        return refresh(view, request, action)

    monkeypatch.setattr(phone.PhoneBookingView, "refresh", answered_slowly)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/staff/book/")
    staff_sign_in(page, rosa, "code4321")
    page.wait_for_url("**/staff/book/")

    page.get_by_label("Practitioner").select_option(str(second.pk))  # today's times, asked
    page.locator("#day").evaluate(f"(box) => {{ box.value = '{wanted.isoformat()}'; }}")
    page.get_by_role("button", name="Show free times").click()  # before that answer is back
    heading = f"Free times on {wanted:%A} {wanted.day} {wanted:%B %Y}"
    page.get_by_text(heading).wait_for()
    page.wait_for_timeout(1000)  # nothing else is on its way
    assert page.get_by_text(heading).count() == 1
    assert page.locator("#day").input_value() == wanted.isoformat()
    assert page.get_by_label("Practitioner").input_value() == str(second.pk)
    context.close()
