"""Every other staff page in Chromium, as a clinic admin, at phone and desktop width: each is
screenshotted and checked with axe-core (no serious or critical violation, no CSP violation)."""

import pytest

from clinic import roles as role_names
from tests.factories import UserFactory, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_a_clinic_admin_goes_through_every_staff_page(
    staff_sign_in, look, browser, live_server, width, roles, screening_rules
):
    from bookings.waitlist import waitlist_join
    from tests.factories import assessed, bookable_clinic, booking_with_intake, same_patient

    location, (practitioner,), consultation_type = bookable_clinic()
    first = booking_with_intake(location, consultation_type, practitioner, 2)
    assessed(first, practitioner.user)
    later = same_patient(booking_with_intake(location, consultation_type, practitioner, 5), first)
    chief = staff_user(UserFactory(username="chief"), roles, role_names.CLINIC_ADMIN, "code2468")
    day = later.starts_at.astimezone(location.zone).date().isoformat()
    name = first.patient.full_name

    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/staff/")
    staff_sign_in(page, chief, "code2468")
    page.wait_for_url("**/staff/")

    page.goto(f"/staff/?day={day}")
    look(page, "staff-10-another-day")
    assert name in page.content()

    page.get_by_role("link", name="Week view").click()
    page.wait_for_url("**/staff/week/**")
    look(page, "staff-11-week")
    assert name in page.content()
    # Paged away, the week offers the way back to the one holding today.
    page.get_by_role("link", name="Next week").click()
    page.get_by_role("link", name="This week").wait_for()
    look(page, "staff-11-week-away")
    page.get_by_role("link", name="This week").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="This week").count() == 0

    page.goto("/staff/patients/")
    page.get_by_label("Name, e-mail, phone or date of birth").fill(first.patient.last_name)
    page.get_by_role("button", name="Search").click()
    look(page, "staff-12-patient-search")
    page.get_by_role("link", name=name).first.click()
    page.wait_for_url(f"**/staff/patients/{first.patient_id}/")
    look(page, "staff-13-patient")
    assert "Recommended: PRP, Stem cell therapy (adipose-derived)" in page.content()
    # The photos of both visits load, through the recorded staff photo view.
    images = page.locator(".patient-timeline img")
    assert images.count() == 2
    assert all(images.nth(n).evaluate("i => i.naturalWidth") > 0 for n in range(2))

    page.get_by_role("link", name="Intake and review").first.click()
    page.wait_for_url(f"**/staff/reviews/{later.pk}/")
    look(page, "staff-14-review-with-history")
    compared = page.locator(".photo-compare img")  # this visit beside the last
    assert compared.count() == 2
    assert all(compared.nth(n).evaluate("i => i.complete && i.naturalWidth > 0") for n in (0, 1))

    page.goto(f"/staff/patients/{first.patient_id}/erase/")
    look(page, "staff-15-erase")

    page.goto("/staff/book/")
    look(page, "staff-16-phone-booking")

    # A patient who phones to come off the day's waitlist: asked first, then taken off.
    waitlist_join(
        consultation_type=consultation_type,
        location=location,
        practitioner=None,
        first_day=later.starts_at.astimezone(location.zone).date(),
        last_day=later.starts_at.astimezone(location.zone).date(),
        first_name="Wendy",
        last_name="Waits",
        email="wendy@example.com",
    )
    page.goto(f"/staff/waitlist/?day={day}")
    look(page, "staff-19-waitlist")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Take off the waitlist for Wendy Waits").click()
    page.get_by_text("Wendy Waits is off the waitlist.").wait_for()
    assert "Nobody is waiting for a time that day." in page.content()

    page.goto("/staff/backup-codes/")
    look(page, "staff-17-backup-codes")

    page.goto("/staff/me/")
    page.get_by_role("link", name="Change your password").click()
    page.wait_for_url("**/staff/me/password/")
    page.locator("#id_old_password").fill("not the password")
    page.locator("#id_new_password1").fill("copper-kettle-on-the-hob-47")
    page.locator("#id_new_password2").fill("copper-kettle-on-the-hob-47")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your old password was entered incorrectly").wait_for()
    look(page, "staff-18-password-change-refused")
    context.close()
