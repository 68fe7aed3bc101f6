"""A new patient books on a phone-sized window in headless Chromium, end to end: the time is
held in four pages, then the hair-loss questions follow, finished now or later."""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from bookings.models import Booking, BookingDraft
from bookings.services import booking_create
from patients.models import HairLossIntake, IntakeInProgress, IntakePhoto
from tests.factories import (
    PatientFactory,
    bookable_clinic,
    jpeg_upload,
    next_slot,
    upcoming_booking,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
# The form fields a visitor sees on a page, the date of birth's three boxes counted as one.
FIELDS_SHOWN = """
() => {
  const shown = [...document.querySelectorAll("main input, main select, main textarea")]
    .filter((el) => el.type !== "hidden" && el.type !== "submit" && el.offsetParent !== null);
  const names = new Set(shown.map((el) => el.name.replace(/^date_of_birth_\\d$/, "date_of_birth")));
  return [...names];
}
"""


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def phone(browser, live_server, request):
    """A fresh browser page, phone-sized and then desktop-sized."""
    context = browser.new_context(base_url=live_server.url, viewport=request.param)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    page.loads = []
    page.on("load", lambda loaded: page.loads.append(loaded.url))
    yield page
    context.close()
    assert not errors, f"Browser console errors: {errors}"


@pytest.fixture
def photo_file(tmp_path) -> Path:
    path = tmp_path / "hairline.jpg"
    path.write_bytes(jpeg_upload(size=(640, 480)).read())
    return path


def no_sideways_scroll(page, step):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{step}: the page is {width} px wide"


def fill_details(page):
    """The visitor's details: six fields, the date of birth's three boxes being one."""
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Mobile phone").fill("07400 900456")
    page.locator("input[name=date_of_birth_0]").fill("9")
    page.locator("input[name=date_of_birth_1]").fill("12")
    page.locator("input[name=date_of_birth_2]").fill("1980")
    page.locator("input[name=consent_care]").check()


def fill_first_half_of_the_intake(page):
    page.get_by_label("General thinning all over").check()
    page.get_by_role("checkbox", name="Top of the head").check()
    page.get_by_label("1 to 3 years ago").check()
    page.get_by_label("Getting worse slowly").check()
    page.locator("input[name=stage][value=l2]").check()
    page.get_by_label("Anything you would like to add").fill("Since <b>2023</b>")


def fill_second_half_of_the_intake(page):
    page.get_by_label("On my mother's side").check()
    page.get_by_label("Having a baby").check()
    page.locator("select[name=tried_minoxidil]").select_option("3to12m")
    page.locator("select[name=outcome_minoxidil]").select_option("no_change")
    for answer in page.locator("input[name^=screen_][value=no]").all():
        answer.check()
    page.get_by_label("Which medicines, supplements or creams do you take now?").fill(
        "Iron tablets"
    )


def test_a_new_visitor_holds_a_time_in_four_pages_then_answers_the_questions(
    look, phone, photo_file, screening_rules
):
    bookable_clinic()
    shown = []

    def step(name):
        look(phone, name)
        no_sideways_scroll(phone, name)

    phone.goto("/book/")
    step("booking-1-types")
    shown += phone.evaluate(FIELDS_SHOWN)
    phone.get_by_role("link", name="Choose a time").first.click()
    phone.wait_for_selector(".slot-button:visible")
    step("booking-2-times")
    shown += phone.evaluate(FIELDS_SHOWN)
    # A time more than a day ahead, so that it can still be moved and cancelled online: on a
    # phone, a later day of the month calendar (swapped in place), then one of its times.
    if phone.viewport_size["width"] < 768:
        assert phone.locator(".month-calendar").is_visible()
        if phone.locator("a.cal-day:visible").count() < 9:  # late in the month
            phone.get_by_role("link", name="Next month").click()
            phone.wait_for_selector("a.cal-day:visible")
        days = phone.locator("a.cal-day:visible")
        later_day = days.nth(min(8, days.count() - 1))
        label = later_day.get_attribute("aria-label")
        later_day.click()
        phone.wait_for_selector(f'a.cal-day[aria-current="date"][aria-label="{label}"]')
        step("booking-2b-times-day")
        assert phone.get_by_text("Morning").is_visible()
        phone.locator(".slot-button:visible").first.click()
    else:
        phone.locator(".slot-button:visible").last.click()
    phone.wait_for_url(re.compile("/details/"))
    step("booking-3-details")
    shown += phone.evaluate(FIELDS_SHOWN)
    fill_details(phone)
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url(re.compile("/review/"))
    step("booking-4-review")
    shown += phone.evaluate(FIELDS_SHOWN)
    assert not Booking.objects.exists()
    phone.get_by_role("button", name="Confirm booking").click()
    phone.wait_for_url(re.compile("/done/"))

    # The time is held: four pages before the confirmation, and at most eight fields.
    booking = Booking.objects.get()
    assert booking.patient.email == "grace@example.com"
    assert booking.patient.date_of_birth.isoformat() == "1980-12-09"
    held_after = [url for url in phone.loads if "/done/" not in url]
    assert len(held_after) <= 4, held_after
    assert len(shown) <= 8, shown
    step("booking-5-done")
    page = phone.content()
    assert "Tell us about your hair loss" in page
    assert booking.practitioner.display_name in page and "30 minutes" in page

    phone.get_by_role("link", name="Start the questions").click()
    phone.wait_for_selector("text=About your hair")
    step("booking-6-questions")
    fill_first_half_of_the_intake(phone)
    fill_second_half_of_the_intake(phone)
    phone.set_input_files("input[name=photo_hairline]", str(photo_file))
    phone.get_by_role("button", name="Send your answers").click()
    phone.wait_for_selector(".alert-success")
    step("booking-7-manage")
    intake = HairLossIntake.objects.get(booking=booking)
    assert intake.stage == "l2" and intake.main_concern_detail == "Since <b>2023</b>"
    assert IntakePhoto.objects.get().intake == intake

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    confirmation = next(m for m in mail.outbox if m.to == ["grace@example.com"])
    assert confirmation.attachments[0][0] == "consultation.ics"

    phone.get_by_role("link", name="Move to another time").click()
    step("booking-8-move")
    old_start = booking.starts_at
    phone.locator("a.slot-button").first.click()
    step("booking-8b-move-confirm")
    phone.get_by_role("button", name="Move my booking").click()
    phone.wait_for_selector(".alert-success")
    booking.refresh_from_db()
    assert booking.starts_at != old_start and booking.sequence == 1

    phone.get_by_role("link", name="Cancel").click()
    step("booking-9-cancel")
    phone.get_by_label("Reason (optional)").fill("Found a date that suits better")
    phone.get_by_role("button", name="Cancel the booking").click()
    phone.wait_for_selector("text=was cancelled")
    step("booking-10-cancelled")
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_half_done_questions_are_all_there_when_the_patient_comes_back(
    look, phone, browser, live_server, photo_file
):
    location, _, consultation_type = bookable_clinic()
    booking = booking_create(
        patient=PatientFactory(email="ada@example.com"),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=4),
        notify=False,
    )
    link = f"/my-booking/{booking.token}/questions/"
    phone.goto(link)
    fill_first_half_of_the_intake(phone)
    phone.set_input_files("input[name=photo_hairline]", str(photo_file))
    phone.get_by_role("button", name="Save and finish later").click()
    phone.wait_for_selector(".alert-success")
    assert "Finish the questions" in phone.content()
    assert IntakeInProgress.objects.filter(booking=booking).exists()
    assert not HairLossIntake.objects.exists()

    # Later, on another device: the link opens every answer given, and the photo.
    later = browser.new_context(base_url=live_server.url, viewport=phone.viewport_size)
    again = later.new_page()
    again.goto(link)
    look(again, "booking-questions-resumed")
    no_sideways_scroll(again, "questions-resumed")
    assert again.get_by_label("General thinning all over").is_checked()
    assert again.get_by_role("checkbox", name="Top of the head").is_checked()
    assert again.get_by_label("1 to 3 years ago").is_checked()
    assert again.get_by_label("Getting worse slowly").is_checked()
    assert again.locator("input[name=stage][value=l2]").is_checked()
    assert again.get_by_label("Anything you would like to add").input_value() == "Since <b>2023</b>"
    assert again.locator(".photo-thumb img").count() == 1
    fill_second_half_of_the_intake(again)
    again.get_by_role("button", name="Send your answers").click()
    again.wait_for_selector(".alert-success")
    later.close()
    intake = HairLossIntake.objects.get(booking=booking)
    assert (
        intake.areas == ["top"] and intake.previous_treatments["minoxidil"]["duration"] == "3to12m"
    )
    assert intake.photos.count() == 1 and not IntakeInProgress.objects.exists()


def test_slot_taken_while_confirming_keeps_the_details(look, phone):
    location, _, consultation_type = bookable_clinic()
    phone.goto(f"/book/{consultation_type.slug}/")
    phone.locator(".slot-button:visible").first.click()
    phone.wait_for_url(re.compile("/details/"))
    fill_details(phone)
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url(re.compile("/review/"))
    # Someone else takes the slot while this patient reads the review page.
    draft = BookingDraft.objects.get()
    booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=draft.starts_at,
        notify=False,
    )
    phone.get_by_role("button", name="Confirm booking").click()
    phone.wait_for_selector("text=just been taken")
    # The refusal page is served with 409 Conflict, which Chromium logs; that one is expected.
    phone.console_errors[:] = [e for e in phone.console_errors if "409" not in e]
    look(phone, "booking-taken")
    no_sideways_scroll(phone, "booking-taken")
    assert "Everything you typed is kept" in phone.content()
    # The time taken is not offered to confirm again.
    assert phone.get_by_role("button", name="Confirm booking").count() == 0
    phone.locator(".alert form button").first.click()
    phone.wait_for_url(re.compile("/review/"))
    assert "Grace" in phone.content()
    phone.get_by_role("button", name="Confirm booking").click()
    phone.wait_for_url(re.compile("/done/"))
    assert Booking.objects.filter(patient__email="grace@example.com").count() == 1


def test_a_date_of_birth_that_does_not_exist_is_explained_in_sight(phone):
    """The three boxes sit in a wrapper of their own: their message must still show."""
    _, _, consultation_type = bookable_clinic()
    phone.goto(f"/book/{consultation_type.slug}/")
    phone.locator(".slot-button:visible").first.click()
    phone.wait_for_url(re.compile("/details/"))
    fill_details(phone)
    phone.locator("input[name=date_of_birth_0]").fill("31")
    phone.locator("input[name=date_of_birth_1]").fill("2")
    phone.get_by_role("button", name="Continue").click()
    message = phone.get_by_text("that day does not exist")
    message.wait_for()
    # The refusal page is served with 400, which Chromium logs; that one is expected.
    phone.console_errors[:] = [e for e in phone.console_errors if "400" not in e]
    assert message.is_visible()
    assert phone.locator("input[name=date_of_birth_0]").input_value() == "31"
    assert phone.get_by_label("First name").input_value() == "Grace"


def test_a_visitor_elsewhere_reads_the_clinic_s_label_before_their_own_time(browser, live_server):
    _, _, consultation_type = bookable_clinic()
    context = browser.new_context(base_url=live_server.url, timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"/book/{consultation_type.slug}/")
    page.locator(".slot-button:visible").first.click()
    page.wait_for_url(re.compile("/details/"))
    line = page.locator("p", has=page.locator(".zone-label")).first.inner_text()
    context.close()
    assert re.search(r"\d\d:\d\d \(Hampstead time\) \(\w{3} \d\d:\d\d your time\)$", line), line


def test_the_move_page_fits_several_times_a_line_on_a_phone_anywhere(browser, live_server):
    booking = upcoming_booking()
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, timezone_id="America/New_York"
    )
    page = context.new_page()
    page.goto(f"/my-booking/{booking.token}/move/")
    times = page.locator(".slot-list a.slot-button")
    assert times.count() > 3
    tops = {round(times.nth(n).bounding_box()["y"]) for n in range(3)}
    context.close()
    assert len(tops) == 1, "each time took a line of its own"
