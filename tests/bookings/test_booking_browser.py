"""A new patient books on a phone-sized window in headless Chromium, end to end."""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from bookings.models import Booking
from bookings.services import booking_create
from patients.models import IntakePhoto
from tests.factories import PatientFactory, bookable_clinic, jpeg_upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def phone(browser, live_server, request):
    """A fresh browser page, phone-sized and then desktop-sized."""
    context = browser.new_context(base_url=live_server.url, viewport=request.param)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    yield page
    context.close()
    assert not errors, f"Browser console errors: {errors}"


@pytest.fixture
def photo_file(tmp_path) -> Path:
    path = tmp_path / "hairline.jpg"
    path.write_bytes(jpeg_upload(size=(640, 480)).read())
    return path


def fill_details(page, photo_file=None):
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Mobile phone").fill("07700 900456")
    page.get_by_label("Date of birth").fill("1980-12-09")
    page.get_by_label("General thinning all over").check()
    page.get_by_role("checkbox", name="Top of the head").check()
    page.get_by_label("1 to 3 years ago").check()
    page.get_by_label("Getting worse slowly").check()
    page.locator("input[name=stage][value=l2]").check()
    page.get_by_label("On my mother's side").check()
    page.get_by_label("Having a baby").check()
    page.locator("select[name=tried_minoxidil]").select_option("3to12m")
    page.locator("select[name=outcome_minoxidil]").select_option("no_change")
    for name in page.locator("input[name^=screen_][value=no]").all():
        name.check()
    page.get_by_label("Which medicines, supplements or creams do you take now?").fill(
        "Iron tablets"
    )
    if photo_file:
        page.set_input_files("input[name=photo_hairline]", str(photo_file))
    page.locator("input[name=consent_care]").check()


def test_patient_books_then_moves_updates_and_cancels(look, phone, photo_file, screening_rules):
    bookable_clinic()
    phone.goto("/book/")
    look(phone, "booking-1-types")
    phone.get_by_role("link", name="Choose a time").first.click()
    phone.wait_for_selector(".slot-button")
    look(phone, "booking-2-times")
    # Next week swaps the picker in place (htmx) and pushes the address.
    phone.get_by_role("link", name="Next week »").click()
    phone.wait_for_url(re.compile(r"day="))
    phone.locator(".slot-button").nth(2).click()
    phone.wait_for_selector("form[enctype='multipart/form-data']")
    look(phone, "booking-3-details-empty")
    fill_details(phone, photo_file)
    phone.get_by_role("button", name="Continue to review").click()
    phone.wait_for_url(re.compile("/review/"))
    look(phone, "booking-4-review")
    assert "Ludwig II" in phone.content()
    assert phone.locator(".photo-thumb img").count() == 1
    phone.get_by_role("button", name="Confirm booking").click()
    phone.wait_for_url(re.compile("/done/"))
    look(phone, "booking-5-done")

    booking = Booking.objects.get()
    assert booking.patient.email == "grace@example.com"
    assert IntakePhoto.objects.get().intake.booking == booking
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    confirmation = next(m for m in mail.outbox if m.to == ["grace@example.com"])
    assert confirmation.attachments[0][0] == "consultation.ics"
    link = re.search(r"https?://\S+/my-booking/\S+/", confirmation.body).group(0)

    phone.goto(link.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    look(phone, "booking-6-manage")
    phone.get_by_role("link", name="Move to another time").click()
    look(phone, "booking-7-move")
    old_start = booking.starts_at
    phone.locator("a.slot-button").first.click()
    look(phone, "booking-7b-move-confirm")
    phone.get_by_role("button", name="Move my booking").click()
    phone.wait_for_selector(".alert-success")
    booking.refresh_from_db()
    assert booking.starts_at != old_start and booking.sequence == 1

    phone.get_by_role("link", name="Update your answers").click()
    phone.wait_for_selector("text=About your hair")
    look(phone, "booking-8-answers")
    phone.locator("input[name=screen_smoking][value=yes]").check()
    phone.get_by_role("button", name="Save your answers").click()
    phone.wait_for_selector(".alert-success")
    assert booking.intake.flags.filter(treatment="transplant").exists()

    phone.get_by_role("link", name="Cancel").click()
    look(phone, "booking-9-cancel")
    phone.get_by_label("Reason (optional)").fill("Found a date that suits better")
    phone.get_by_role("button", name="Cancel the booking").click()
    phone.wait_for_selector("text=was cancelled")
    look(phone, "booking-10-cancelled")
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_slot_taken_while_typing_keeps_every_answer(look, phone, photo_file, screening_rules):
    location, _, consultation_type = bookable_clinic()
    phone.goto(f"/book/{consultation_type.slug}/")
    phone.locator(".slot-button").first.click()
    fill_details(phone, photo_file)
    phone.get_by_role("button", name="Continue to review").click()
    phone.wait_for_url(re.compile("/review/"))
    # Someone else takes the slot while this patient reads the review page.
    from bookings.models import BookingDraft

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
    assert "Everything you typed is kept" in phone.content()
    phone.locator(".alert form button").first.click()
    phone.wait_for_url(re.compile("/review/"))
    assert "Grace" in phone.content() and phone.locator(".photo-thumb img").count() == 1
    phone.get_by_role("button", name="Confirm booking").click()
    phone.wait_for_url(re.compile("/done/"))
    assert Booking.objects.filter(patient__email="grace@example.com").count() == 1
