"""Staff sign in with their second factor in headless Chromium."""

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from bookings.models import Booking
from clinic import roles as role_names
from tests.factories import BookingFactory, LocationFactory, UserFactory, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_reception_signs_in_with_a_backup_code_and_sees_today(
    look, browser, live_server, roles, width
):
    LocationFactory(name="Hampstead")
    rosa = UserFactory(username="rosa", password="a-long-staff-password-2026")
    rosa.groups.add(roles[role_names.RECEPTION])
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


# A booking twenty minutes ahead is on tomorrow's list, not today's, after 23:40.
@pytest.mark.usefixtures("winter_noon")
@pytest.mark.parametrize("width", [375, 1280])
def test_reception_checks_a_patient_in_from_today(
    staff_sign_in, look, browser, live_server, width, roles
):
    from datetime import timedelta

    from django.utils import timezone

    from clinic import roles as role_names
    from tests.factories import PatientFactory, bookable_clinic

    location, (practitioner,), consultation_type = bookable_clinic()
    rosa = staff_user(UserFactory(username="rosa"), roles, role_names.RECEPTION, "code4321")
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=20)
    booking = BookingFactory(
        patient=PatientFactory(first_name="Ada", last_name="Moss"),
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/")
    staff_sign_in(page, rosa, "code4321")
    page.wait_for_url("**/staff/")
    page.get_by_role("button", name="Check in Ada Moss").click()
    page.wait_for_url("**/staff/")
    look(page, "staff-6-checked-in")
    assert "Ada Moss: checked in." in page.content()
    booking.refresh_from_db()
    assert booking.checked_in_at is not None
    assert page.get_by_role("button", name="Check in Ada Moss").count() == 0

    page.get_by_role("link", name="Move Ada Moss").click()
    page.wait_for_url(f"**/staff/bookings/{booking.pk}/move/")
    look(page, "staff-6b-move")
    page.get_by_label("Day").fill((start + timedelta(days=3)).date().isoformat())
    page.get_by_role("button", name="Show free times").click()
    page.locator("input[name=start]").first.check()
    page.get_by_role("button", name="Move and e-mail the patient").click()
    # On the day moved to, where the booking now is.
    moved_day = (start + timedelta(days=3)).astimezone(location.zone).date()
    page.wait_for_url(f"**/staff/?day={moved_day.isoformat()}")
    assert "Ada Moss moved to" in page.content()
    booking.refresh_from_db()
    assert booking.starts_at.date() == (start + timedelta(days=3)).date()
    assert booking.checked_in_at is None  # she is to be checked in again on that day
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_practitioner_opens_the_queue_and_reviews_a_flagged_intake(
    look, browser, live_server, width, roles, screening_rules
):
    from clinic import roles as role_names
    from tests.factories import bookable_clinic, booking_with_intake

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
        page.locator("img[alt='Crown (from above and behind), this visit']").evaluate(
            "i => i.naturalWidth"
        )
        > 0
    )

    # The assessment form is beside the evidence, pattern and stage from the patient's answer.
    assert page.get_by_label("Stage").input_value() == booking.intake.stage
    page.get_by_label("Likely cause").select_option("androgenetic")
    page.get_by_label("PRP", exact=True).check()
    page.get_by_label("Rationale (for the clinical record)").fill("Early androgenetic loss.")
    page.get_by_label("Summary for the patient").fill("We suggest PRP, reviewed in 12 weeks.")
    page.get_by_label("Book a follow-up").select_option(str(consultation_type.pk))
    page.get_by_label("In how many weeks").fill("12")
    look(page, "staff-7-assessment")
    # PRP against the "Caution: PRP" flag: refused until acknowledged, the typing kept.
    page.get_by_role("button", name="Sign off and share with the patient").click()
    page.wait_for_load_state()
    assert "A screening flag speaks against an option you recommend" in page.content()
    assert page.get_by_label("Summary for the patient").input_value() == (
        "We suggest PRP, reviewed in 12 weeks."
    )
    look(page, "staff-7b-acknowledge")
    page.get_by_label("I have weighed the screening flags").check()
    page.get_by_role("button", name="Sign off and share with the patient").click()
    page.wait_for_url(f"**/staff/reviews/{booking.pk}/#assessment")
    look(page, "staff-8-recorded")
    content = page.content()
    assert "Follow-up booked for" in content and "Assessment signed off" in content
    saved = page.locator(".saved-assessment")
    assert "Signed off" in saved.inner_text() and "PRP" in saved.inner_text()
    assert "caution for PRP" in saved.inner_text()  # the flag weighed is on the record
    context.close()

    patient = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    ).new_page()
    # The summary reaches the patient once the consultation is marked completed, not before.
    patient.goto(f"/my-booking/{booking.token}/")
    assert "We suggest PRP, reviewed in 12 weeks." not in patient.content()
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.COMPLETED)
    patient.goto(f"/my-booking/{booking.token}/")
    look(patient, "staff-9-patient-summary")
    assert "We suggest PRP, reviewed in 12 weeks." in patient.content()
    patient.context.close()
