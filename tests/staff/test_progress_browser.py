"""In headless Chromium, at a phone's width and a desk's: a practitioner records the measures
and photographs two standard views at a visit, then reads the timeline and the comparison; the
patient reads the shared visit through their link."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from clinic import roles as role_names
from patients.models import ClinicPhoto, VisitMeasures
from patients.services import consents_record
from tests.factories import (
    BookingFactory,
    PatientFactory,
    bookable_clinic,
    clinic_photo,
    past_visit,
    staff_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def camera_photo(colour):
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, format="JPEG")
    return {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


@pytest.mark.parametrize("width", [375, 1280])
def test_a_practitioner_measures_and_photographs_a_visit_then_reads_the_trends(
    staff_sign_in, look, browser, live_server, roles, width
):
    location, (practitioner,), consultation_type = bookable_clinic()
    staff_user(practitioner.user, roles, role_names.PRACTITIONER, "code4321")
    patient = PatientFactory(first_name="Ada", last_name="Moss")
    setup = (practitioner, location, consultation_type)
    for days_ago, crown in ((190, 96), (100, 108)):
        earlier = past_visit(patient, *setup, days_ago, crown_density=crown, stage="nw3")
        clinic_photo(earlier, "front")
        clinic_photo(earlier, "crown")
    start = timezone.now() - timedelta(minutes=30)
    today = BookingFactory(
        patient=patient,
        practitioner=practitioner,
        location=location,
        consultation_type=consultation_type,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(f"/staff/visits/{today.pk}/measures/")
    staff_sign_in(page, practitioner.user, "code4321")
    page.wait_for_url(f"**/staff/visits/{today.pk}/measures/")
    look(page, "progress-1-measures")
    page.get_by_role("radio", name="Norwood III", exact=True).check()
    page.get_by_label("Density (hairs/cm²), Crown").fill("121")
    page.get_by_label("Thin hairs (%), Crown").fill("29")
    page.get_by_label("Density (hairs/cm²), Frontal").fill("900")
    page.get_by_role("button", name="Save the measures").click()
    assert "less than or equal to 500" in page.content()  # refused, the rest kept
    assert page.get_by_label("Density (hairs/cm²), Crown").input_value() == "121"
    page.get_by_label("Density (hairs/cm²), Frontal").fill("131")
    page.get_by_label("Share this visit with the patient").check()
    page.get_by_role("button", name="Save the measures").click()
    page.wait_for_url(f"**/staff/patients/{patient.pk}/progress/")
    assert VisitMeasures.objects.get(booking=today).crown_density == 121

    page.goto(f"/staff/visits/{today.pk}/photos/")
    look(page, "progress-2-photos")
    for view, colour in (("front", (150, 110, 90)), ("crown", (120, 90, 70))):
        page.get_by_label(f"Take the {view} photo").set_input_files(camera_photo(colour))
        page.get_by_role("button", name=f"Save the {view} photo").click()
        page.wait_for_url(f"**/staff/visits/{today.pk}/photos/#view-{view}")
        assert f"{view.capitalize()} photo saved." in page.content()
    assert ClinicPhoto.objects.filter(booking=today).count() == 2
    look(page, "progress-3-photos-taken")

    page.get_by_role("link", name="Progress timeline").click()
    page.wait_for_url(f"**/staff/patients/{patient.pk}/progress/")
    html = page.content()
    assert "3 visits with photos or measures" in html
    assert page.locator("img.progress-photo").count() == 6  # two views at three visits
    assert page.get_by_role("img", name="Hair density").count() == 1  # the chart's title
    assert "+25" in html  # crown density since the first visit
    look(page, "progress-4-timeline")

    page.get_by_role("button", name="Side by side").click()
    page.wait_for_url(f"**/staff/patients/{patient.pk}/progress/compare/**")
    assert page.get_by_role("row", name="Density, crown 96 hairs/cm² 121 hairs/cm² +25").count()
    look(page, "progress-5-compare")

    # The patient reads the shared visit through their private link.
    consents_record(patient=patient, booking=today, photos_beyond_care=False, now=start)
    page.goto(f"/my-booking/{today.token}/progress/")
    assert "1 visit your practitioner has shared with you" in page.content()
    assert page.locator("img.progress-photo").count() == 2
    look(page, "progress-6-patient")
    context.close()
