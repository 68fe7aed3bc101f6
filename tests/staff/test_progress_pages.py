"""The progress pages: recording a visit's measures and standard photos, the patient's timeline
and the comparison of two visits, with their audit trail and a constant number of queries."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from clinic import roles as role_names
from clinic.models import ClinicalRead
from patients.models import ClinicPhoto, VisitMeasures
from tests.factories import (
    BookingFactory,
    PatientFactory,
    accepted_plan,
    bookable_clinic,
    clinic_photo,
    completed_consultation,
    jpeg_upload,
    past_visit,
    plan_session,
    proposed_plan,
    same_patient,
    self_rating,
    sign_in_with_second_factor,
    stored_photo_files,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def care(client, roles):
    """A practitioner signed in, with a patient they saw today (an hour ago)."""
    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    sign_in_with_second_factor(client, practitioner.user)
    start = timezone.now() - timedelta(hours=1)
    visit = BookingFactory(
        practitioner=practitioner,
        location=location,
        consultation_type=consultation_type,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )
    client.visit = visit
    client.setup = (practitioner, location, consultation_type)
    return client


MEASURES = {
    "stage": "nw3",
    "frontal_density": "128",
    "frontal_thin": "22",
    "crown_density": "",
    "shedding": "3",
    "notes": "Parted left.",
    "shared_with_patient": "on",
}


def test_a_practitioner_records_measures_at_the_visit(care):
    url = reverse("staff:visit_measures", args=[care.visit.pk])
    page = care.get(url)
    assert page.status_code == 200
    assert b"capture" not in page.content and b"Norwood III" in page.content
    response = care.post(url, MEASURES)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:timeline", args=[care.visit.patient_id])
    measures = VisitMeasures.objects.get(booking=care.visit)
    assert (measures.stage, measures.frontal_density, measures.frontal_thin) == ("nw3", 128, 22)
    assert measures.crown_density is None and measures.shedding == 3
    assert measures.shared_with_patient
    assert measures.history.get().history_user == care.visit.practitioner.user
    care.get(url)
    assert ClinicalRead.objects.filter(what="measures", object_id=str(measures.pk)).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"frontal_density": "900"}, "less than or equal to 500"),
        ({"frontal_thin": "abc"}, "Enter a whole number"),
        ({"stage": "nw9"}, "Select a valid choice"),
    ],
)
def test_bad_figures_come_back_with_a_message_and_the_typing_kept(care, change, message):
    url = reverse("staff:visit_measures", args=[care.visit.pk])
    response = care.post(url, {**MEASURES, **change})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "Parted left." in html
    assert not VisitMeasures.objects.exists()


def test_an_empty_measures_form_says_what_is_missing(care):
    url = reverse("staff:visit_measures", args=[care.visit.pk])
    response = care.post(url, {"notes": "Nothing measured", "stage": ""})
    assert response.status_code == 400
    assert "Record at least one measure" in response.content.decode()
    assert "Nothing measured" in response.content.decode()
    assert not VisitMeasures.objects.exists()


def test_a_practitioner_cannot_record_at_a_colleagues_visit(care):
    colleague_visit = BookingFactory(patient=care.visit.patient)
    url = reverse("staff:visit_measures", args=[colleague_visit.pk])
    assert care.get(url).status_code == 404
    assert care.post(url, MEASURES).status_code == 404
    photos = reverse("staff:visit_photos", args=[colleague_visit.pk])
    assert care.post(photos, {"view": "front", "photo": jpeg_upload()}).status_code == 404
    assert not VisitMeasures.objects.exists() and not ClinicPhoto.objects.exists()


def test_a_thumbnail_is_refused_as_a_standard_view_with_the_reason(care):
    url = reverse("staff:visit_photos", args=[care.visit.pk])
    response = care.post(url, {"view": "crown", "photo": jpeg_upload("t.jpg", size=(10, 10))})
    assert response.status_code == 400
    assert "10 × 10 pixels: too small to compare visits by" in response.content.decode()
    assert not ClinicPhoto.objects.exists()


def test_a_photo_taken_at_the_visit_is_cleaned_stored_and_audited(care):
    url = reverse("staff:visit_photos", args=[care.visit.pk])
    page = care.get(url).content.decode()
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    assert "Hair dry" in page  # the checklist
    response = care.post(url, {"view": "front", "photo": jpeg_upload("f.jpg", size=(400, 300))})
    assert response.status_code == 302 and response["Location"].endswith("#view-front")
    photo = ClinicPhoto.objects.get(booking=care.visit)
    assert (photo.view, photo.width, photo.height) == ("front", 400, 300)
    served = care.get(reverse("staff:clinic_photo", args=[photo.pk]))
    assert served["Content-Type"] == "image/jpeg"
    assert "no-store" in served["Cache-Control"]
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert not image.getexif()
    assert ClinicalRead.objects.filter(what="clinic photo", object_id=str(photo.pk)).exists()
    assert photo.history.get().history_user == care.visit.practitioner.user


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.jpg", b"not an image at all", "image/jpeg"), "not a photo"),
        (
            SimpleUploadedFile("page.jpg", b"\xff\xd8<script>alert(1)</script>", "image/jpeg"),
            "holds more than a photo",
        ),
        (jpeg_upload("tiny.gif", fmt="GIF", gps=False), "not a JPEG or PNG"),
    ],
)
def test_junk_is_refused_with_a_clear_message_and_nothing_half_written(care, upload, message):
    before = stored_photo_files()
    url = reverse("staff:visit_photos", args=[care.visit.pk])
    response = care.post(url, {"view": "top", "photo": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ClinicPhoto.objects.exists()
    assert stored_photo_files() == before


def test_a_photo_form_without_a_file_asks_for_one(care):
    url = reverse("staff:visit_photos", args=[care.visit.pk])
    response = care.post(url, {"view": "top"})
    assert response.status_code == 400
    assert "Choose a photo to upload." in response.content.decode()


def test_the_previous_photo_of_a_view_is_shown_as_a_framing_guide(care):
    practitioner, location, consultation_type = care.setup
    earlier = past_visit(care.visit.patient, practitioner, location, consultation_type, 90)
    guide = clinic_photo(earlier, "crown")
    html = care.get(reverse("staff:visit_photos", args=[care.visit.pk])).content.decode()
    assert reverse("staff:clinic_photo", args=[guide.pk]) in html
    assert "Last time" in html


def visits(patient, setup, count):
    """``count`` visits a few months apart, each with measures and two photos."""
    practitioner, location, consultation_type = setup
    made = []
    for n in range(count):
        visit = past_visit(
            patient,
            practitioner,
            location,
            consultation_type,
            400 - n * 90,
            frontal_density=110 + 8 * n,
            crown_thin=30 - 3 * n,
            stage="nw3",
            shedding=4 if n == 0 else None,
        )
        clinic_photo(visit, "front")
        clinic_photo(visit, "crown")
        made.append(visit)
    return made


# The session, the user with their permissions and roles (1, see clinic/access.py), the second
# factor, the patient, the visits with their measures and the patient's ratings,
# their photos, one audit write for everything shown (measures, photos, ratings), and the
# patient's treatment plans (1). The session's last-seen time is rewritten at most once a
# minute: not here.
TIMELINE_QUERIES = 7
# With a plan: its protocols and its sessions as well.
TIMELINE_QUERIES_WITH_PLAN = TIMELINE_QUERIES + 2
# The same without the links to record at a visit.
COMPARE_QUERIES = 6


@pytest.mark.parametrize("count", [1, 3, 6])
def test_the_timeline_runs_a_constant_number_of_queries(care, django_assert_num_queries, count):
    made = visits(care.visit.patient, care.setup, count)
    url = reverse("staff:timeline", args=[care.visit.patient_id])
    with django_assert_num_queries(TIMELINE_QUERIES):
        response = care.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="progress-photo"') == 2 * count
    assert "Hair density" in html and "Share of thin hairs" in html
    assert ClinicalRead.objects.filter(what="clinic photo").count() == 2 * count
    assert ClinicalRead.objects.filter(what="measures").count() == count
    assert made[0].starts_at.strftime("%-d %B %Y") in html


@pytest.mark.parametrize("count", [1, 4])
def test_the_patients_own_ratings_sit_beside_the_figures_in_the_same_queries(
    care, django_assert_num_queries, count
):
    made = visits(care.visit.patient, care.setup, count)
    for n, visit in enumerate(made):
        self_rating(visit, 4 + n, satisfaction=2 + n % 4)
    # A review where the patient rated their hair and nothing else was recorded yet.
    practitioner, location, consultation_type = care.setup
    rated_only = past_visit(care.visit.patient, practitioner, location, consultation_type, 10)
    self_rating(rated_only, 8, satisfaction=5)
    url = reverse("staff:timeline", args=[care.visit.patient_id])
    with django_assert_num_queries(TIMELINE_QUERIES):
        html = care.get(url).content.decode()
    assert f"{count + 1} visits with photos, measures or ratings" in html
    assert "The patient&#x27;s own rating" in html and "The patient&#x27;s satisfaction" in html
    assert "Patient's own rating 8/10 · very happy" in html
    # The figures' table for screen readers holds every answer.
    table = html.split("<caption>The patient&#x27;s own rating")[1].split("</table>")[0]
    assert [f"<td>{4 + n}</td>" in table for n in range(count)] == [True] * count
    assert "<td>8</td>" in table
    assert ClinicalRead.objects.filter(what="patient rating").count() == count + 1

    # Side by side, the first and the latest answers with their change.
    compare = care.get(reverse("staff:compare", args=[care.visit.patient_id])).content.decode()
    row = compare.split("The patient&#x27;s own rating</th>")[1].split("</tr>")[0]
    assert "<td>4 out of 10</td>" in row and "<td>8 out of 10</td>" in row and "+4" in row


@pytest.mark.parametrize("sessions", [1, 2])
def test_the_timeline_marks_the_plans_sessions_and_shades_when_to_judge(
    care, django_assert_num_queries, sessions
):
    practitioner, location, consultation_type = care.setup
    visits(care.visit.patient, care.setup, 2)
    consultation = same_patient(
        completed_consultation(location, practitioner, consultation_type, days_ago=30),
        care.visit,
    )
    plan = accepted_plan(consultation, "PRP course")
    for order in range(1, sessions + 1):
        plan_session(plan, order=order, hours_ago=24 * 7 * (3 - order))
    url = reverse("staff:timeline", args=[care.visit.patient_id])
    with django_assert_num_queries(TIMELINE_QUERIES_WITH_PLAN):
        html = care.get(url).content.decode()
    charts = html.count('class="judge-window"')
    assert charts >= 2  # density, thin hairs, ... each shaded
    assert html.count('class="session-marker"') == sessions * charts
    # The figures' table says the same for screen readers, in words.
    assert "Results can fairly be judged from" in html
    sessions_said = html.split("Treatment sessions: ")[1].split("</td>")[0]
    assert sessions_said.count(",") == sessions - 1


def test_a_proposed_plan_marks_nothing_on_the_charts(care):
    practitioner, location, consultation_type = care.setup
    visits(care.visit.patient, care.setup, 2)
    consultation = same_patient(
        completed_consultation(location, practitioner, consultation_type, days_ago=30),
        care.visit,
    )
    proposed_plan(consultation, "PRP course")
    html = care.get(reverse("staff:timeline", args=[care.visit.patient_id])).content.decode()
    assert 'class="judge-window"' not in html and 'class="session-marker"' not in html


@pytest.mark.parametrize("count", [1, 3])
def test_the_comparison_runs_a_constant_number_of_queries(care, django_assert_num_queries, count):
    made = visits(care.visit.patient, care.setup, count)
    url = reverse("staff:compare", args=[care.visit.patient_id])
    with django_assert_num_queries(COMPARE_QUERIES):
        response = care.get(url, {"first": made[0].pk, "second": made[-1].pk})
    assert response.status_code == 200


def test_the_comparison_sets_two_chosen_visits_side_by_side_with_the_change(care):
    first, _middle, last = visits(care.visit.patient, care.setup, 3)
    url = reverse("staff:compare", args=[care.visit.patient_id])
    html = care.get(url, {"first": last.pk, "second": first.pk}).content.decode()
    # In time order whatever the order chosen; the density rose by 16, the thin share fell by 6.
    # Read after the visit chooser, whose options write "1 May 2026" the same way in May.
    shown = html[html.rindex("</select>") :]
    assert shown.index(first.starts_at.strftime("%-d %B %Y")) < shown.index(
        last.starts_at.strftime("%-d %B %Y")
    )
    assert "+16" in html and "-6" in html and "(better)" in html
    photos = ClinicPhoto.objects.filter(booking__in=[first, last])
    shown = set(
        ClinicalRead.objects.filter(what="clinic photo").values_list("object_id", flat=True)
    )
    assert shown == {str(p.pk) for p in photos}  # the middle visit's photos were not shown
    html = care.get(url, {"first": "junk", "second": "-4"}).content.decode()
    assert "Two visits side by side" in html  # falls back to the first and the latest


def test_a_timeline_with_nothing_recorded_says_so(care):
    html = care.get(reverse("staff:timeline", args=[care.visit.patient_id])).content.decode()
    assert "has no visit with measures or clinic photos" in html
    other = PatientFactory()
    assert care.get(reverse("staff:compare", args=[other.pk])).status_code == 200


def test_a_photo_of_an_unknown_view_is_refused_with_a_message(care):
    url = reverse("staff:visit_photos", args=[care.visit.pk])
    response = care.post(url, {"view": "hairline", "photo": jpeg_upload()})
    assert response.status_code == 400
    assert "Choose one of the standard views." in response.content.decode()
    assert not ClinicPhoto.objects.exists()


def test_the_measures_form_shows_the_visit_before_beside_each_figure(care):
    practitioner, location, consultation_type = care.setup
    earlier = past_visit(
        care.visit.patient, practitioner, location, consultation_type, 90, crown_thin=37
    )
    html = care.get(reverse("staff:visit_measures", args=[care.visit.pk])).content.decode()
    assert "Before: 37 %" in html and "Before: 110" in html  # the factory's crown density
    read = ClinicalRead.objects.get(what="measures")
    assert read.object_id == str(earlier.measures.pk)
