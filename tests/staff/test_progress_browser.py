"""In headless Chromium, at a phone's width and a desk's, with axe at every step: a
practitioner records the measures and photographs two standard views at a patient's review of a
PRP course, then reads the timeline (three visits, the trend charts, the sessions and the
judge-at window) and the comparison; the patient reads the shared visit through their link; the
patient rates their hair before a review; a second practitioner with an upcoming consultation
sees the history, and a practitioner with none does not."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from clinic import roles as role_names
from patients.models import ClinicPhoto, SelfRating, VisitMeasures
from patients.services import consents_record
from tests.factories import (
    BookingFactory,
    VisitMeasuresFactory,
    clinic_photo,
    completed_consultation,
    course_started,
    past_visit,
    plan_session,
    proposed_plan,
    self_rating,
    staff_user,
    treatment_clinic,
)
from tests.html import without_addresses

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REVIEW_3_MONTHS = 4  # the PRP course's fourth step


def camera_photo(colour):
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, format="JPEG")
    return {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def new_page(browser, live_server, width):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    return context, context.new_page()


@pytest.mark.parametrize("width", [375, 1280])
def test_a_practitioner_measures_and_photographs_a_review_then_reads_the_trends(
    staff_sign_in, look, browser, live_server, roles, width
):
    location, (practitioner, _), consultation_type = treatment_clinic()
    staff_user(practitioner.user, roles, role_names.PRACTITIONER, "code4321")
    consultation = completed_consultation(location, practitioner, consultation_type)
    # A PRP course that began 170 days ago: results are judged from 3 to 6 months.
    plan = course_started(consultation, 170)
    patient = plan.patient
    VisitMeasuresFactory(booking=consultation, crown_density=96, stage="nw3")
    clinic_photo(consultation, "front")
    clinic_photo(consultation, "crown")
    for order in (1, 2, 3):
        plan_session(plan, order=order, hours_ago=24 * (165 - 28 * (order - 1)))
    earlier = past_visit(patient, practitioner, location, consultation_type, 80)
    VisitMeasures.objects.create(booking=earlier, recorded_by=practitioner.user, crown_density=108)
    clinic_photo(earlier, "front")
    clinic_photo(earlier, "crown")
    # Today's review, which the patient rated through their link beforehand.
    review = plan_session(plan, order=REVIEW_3_MONTHS, hours_ago=0.5)
    self_rating(review, 7, satisfaction=4)

    context, page = new_page(browser, live_server, width)
    page.goto(f"/staff/visits/{review.pk}/measures/")
    staff_sign_in(page, practitioner.user, "code4321")
    page.wait_for_url(f"**/staff/visits/{review.pk}/measures/")
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
    assert VisitMeasures.objects.get(booking=review).crown_density == 121

    page.goto(f"/staff/visits/{review.pk}/photos/")
    look(page, "progress-2-photos")
    for view, colour in (("front", (150, 110, 90)), ("crown", (120, 90, 70))):
        page.get_by_label(f"Take the {view} photo").set_input_files(camera_photo(colour))
        page.get_by_role("button", name=f"Save the {view} photo").click()
        page.wait_for_url(f"**/staff/visits/{review.pk}/photos/#view-{view}")
        assert f"{view.capitalize()} photo saved." in page.content()
    assert ClinicPhoto.objects.filter(booking=review).count() == 2
    look(page, "progress-3-photos-taken")

    page.get_by_role("link", name="Progress timeline").click()
    page.wait_for_url(f"**/staff/patients/{patient.pk}/progress/")
    html = page.content()
    assert "3 visits with photos, measures or ratings" in html
    assert page.locator("img.progress-photo").count() == 6  # two views at three visits
    assert page.get_by_role("img", name="Hair density").count() == 1  # the chart's title
    assert page.get_by_role("img", name="The patient's own rating").count() == 1
    assert "+25" in html  # crown density since the first visit
    # The course on every chart: its three sessions, and the judge-at window shaded.
    density = page.locator("figure.trend-chart").first
    assert density.locator("rect.judge-window").count() == 1
    assert density.locator("line.session-marker").count() == 3
    assert density.locator("rect.judge-window").bounding_box()["height"] > 50
    assert "Results can fairly be judged from" in html
    look(page, "progress-4-timeline")

    page.get_by_role("button", name="Side by side").click()
    page.wait_for_url(f"**/staff/patients/{patient.pk}/progress/compare/**")
    assert page.get_by_role("row", name="Density, crown 96 hairs/cm² 121 hairs/cm² +25").count()
    look(page, "progress-5-compare")

    # The patient reads the shared visit through their private link, from their booking page.
    consents_record(patient=patient, booking=review, photos_beyond_care=False, now=timezone.now())
    page.goto(f"/my-booking/{review.token}/")
    page.get_by_role("link", name="See your progress").click()
    page.wait_for_url(f"**/my-booking/{review.token}/progress/")
    assert "1 visit your practitioner has shared with you" in page.content()
    assert page.locator("img.progress-photo").count() == 2
    assert "7 out of 10 · happy" in page.content()  # their own rating, beside the figures
    look(page, "progress-6-patient")
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_patient_rates_their_hair_before_a_review(look, browser, live_server, width):
    location, (practitioner, _), consultation_type = treatment_clinic()
    consultation = completed_consultation(location, practitioner, consultation_type)
    plan = proposed_plan(consultation)
    review = plan_session(plan, order=REVIEW_3_MONTHS, hours_ago=-50)
    context, page = new_page(browser, live_server, width)
    page.goto(f"/my-booking/{review.token}/")
    page.get_by_role("link", name="How is your hair now?").click()
    page.wait_for_url(f"**/my-booking/{review.token}/rating/")
    look(page, "rating-1-question")
    page.get_by_text("8", exact=True).click()
    page.get_by_role("button", name="Send my answer").click()
    assert "Choose how satisfied you are with your hair." in page.content()
    assert page.get_by_role("radio", name="8", exact=True).is_checked()  # the choice kept
    look(page, "rating-2-refused")
    page.get_by_label("Happy", exact=True).check()
    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_url(f"**/my-booking/{review.token}/")
    assert "your practitioner will see your answer at your review" in page.content()
    rating = SelfRating.objects.get(booking=review)
    assert (rating.hair_now, rating.satisfaction) == (8, 4)
    page.get_by_role("link", name="See your progress").click()
    page.wait_for_url(f"**/my-booking/{review.token}/progress/")
    assert "8 out of 10 · happy" in page.content()
    look(page, "rating-3-progress")
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_a_practitioner_with_an_upcoming_consultation_sees_the_history_and_one_with_none_does_not(
    staff_sign_in, look, browser, live_server, roles, width
):
    location, (first, following, other), consultation_type = treatment_clinic(practitioners=3)
    staff_user(following.user, roles, role_names.PRACTITIONER, "next1234")
    staff_user(other.user, roles, role_names.PRACTITIONER, "other123")
    earlier = completed_consultation(location, first, consultation_type, days_ago=60)
    VisitMeasures.objects.create(booking=earlier, recorded_by=first.user, crown_density=104)
    clinic_photo(earlier, "crown")
    BookingFactory(
        patient=earlier.patient,
        practitioner=following,
        location=location,
        consultation_type=consultation_type,
        starts_at=timezone.now() + timedelta(days=3),
    )
    timeline = f"/staff/patients/{earlier.patient_id}/progress/"

    context, page = new_page(browser, live_server, width)
    page.goto(timeline)
    staff_sign_in(page, following.user, "next1234")
    page.wait_for_url(f"**{timeline}")
    assert page.locator("img.progress-photo").count() == 1
    assert page.get_by_role("img", name="Hair density").count() == 1
    assert "104" in page.locator("main").inner_text()
    look(page, "care-1-next-practitioner")
    context.close()

    context, page = new_page(browser, live_server, width)
    page.goto(timeline)
    staff_sign_in(page, other.user, "other123")
    page.wait_for_url(f"**{timeline}")
    assert "has no visit with measures or clinic photos that you may see" in page.content()
    assert page.locator("img.progress-photo").count() == 0
    assert "104" not in without_addresses(page.content())
    look(page, "care-2-other-practitioner")
    context.close()
