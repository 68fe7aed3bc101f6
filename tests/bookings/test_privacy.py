"""A clinic admin exports everything about a patient, or erases it; nothing personal is left."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingDraft, ScheduleVersion
from bookings.privacy import patient_erase
from bookings.services import booking_cancel, booking_create
from clinic import roles as role_names
from clinic.models import ClinicalRead
from patients.models import Assessment, ClinicPhoto, IntakePhoto, Patient, VisitMeasures
from patients.services import consents_record
from staff.charts import weekly_figures
from tests.factories import (
    PatientFactory,
    UserFactory,
    VisitMeasuresFactory,
    bookable_clinic,
    booking_with_intake,
    clinic_photo,
    details_url,
    next_slot,
    sign_in_with_second_factor,
    signed_off_recommendation,
    valid_form,
)

pytestmark = pytest.mark.django_db

MARKERS = [
    "Zebulon",
    "Quixotic",
    "zeb.quixotic@example.org",
    "+44 7400 918273",  # stored in international form, read back as shown
    "1971-07-13",
    "MARKER-GOALS",
    "MARKER-MEDICINES",
    "MARKER-RATIONALE",
    "MARKER-SUMMARY",
    "MARKER-CANCEL",
    "MARKER-MEASURE-NOTES",
    "marker-pending@example.org",
]


@pytest.fixture
def zebulon(roles, screening_rules):
    """A patient with every kind of record: bookings past, cancelled and ahead, an intake with
    a photo and a flag, consents, a signed-off assessment, and a form left half-way."""
    location, (practitioner,), consultation_type = bookable_clinic()
    booking = booking_with_intake(
        location,
        consultation_type,
        practitioner,
        2,
        goals="MARKER-GOALS",
        current_medicines="MARKER-MEDICINES",
        screen_anticoagulants="yes",
    )
    Patient.objects.filter(pk=booking.patient_id).update(
        first_name="Zebulon",
        last_name="Quixotic",
        email="zeb.quixotic@example.org",
        phone="07400 918273",
        date_of_birth="1971-07-13",
        pending_email="marker-pending@example.org",  # a new address asked for from home
    )
    patient = Patient.objects.get(pk=booking.patient_id)
    patient.save()  # a history row holding the personal data
    consents_record(patient=patient, booking=booking, photos_beyond_care=True, now=timezone.now())
    signed_off_recommendation(booking, practitioner.user, "MARKER-RATIONALE", "MARKER-SUMMARY")
    # The consultation took place last week: erasure keeps it, and the figures count it.
    shift = timedelta(days=9)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=F("starts_at") - shift,
        ends_at=F("ends_at") - shift,
        blocked_from=F("blocked_from") - shift,
        blocked_until=F("blocked_until") - shift,
        status=Booking.Status.COMPLETED,
    )
    booking.refresh_from_db()
    VisitMeasuresFactory(booking=booking, notes="MARKER-MEASURE-NOTES", crown_density=104)
    clinic_photo(booking, "crown")
    cancelled = booking_create(
        patient=patient,
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=4),
        notify=False,
    )
    booking_cancel(booking=cancelled, reason="MARKER-CANCEL", notify=False)
    later = booking_create(
        patient=patient,
        consultation_type=consultation_type,
        location=location,
        # Next week or later, whatever today is: its cancellation by the erasure does not
        # change the figures of the weeks the chart shows.
        starts_at=next_slot(days=9),
        notify=False,
    )
    Client().post(
        details_url(consultation_type, location, next_slot(days=8)),
        valid_form(first_name="Zebulon", last_name="Quixotic", email="Zeb.Quixotic@example.org"),
    )
    assert BookingDraft.objects.exclude(form_data={}).exists()
    return patient, booking, later


def every_stored_value():
    """Every value of every row of every table the app's models map, as text."""
    for model in apps.get_models(include_auto_created=True):
        fields = [f.attname for f in model._meta.concrete_fields]
        for row in model.objects.values_list(*fields):
            for value in row:
                if value is not None:
                    yield model._meta.label, str(value)


def test_the_export_holds_everything_and_is_a_recorded_read(clinic_admin, zebulon):
    patient, booking, _ = zebulon
    response = clinic_admin.post(reverse("staff:patient_export", args=[patient.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    document = json.loads(archive.read("patient.json"))
    assert document["patient"]["email"] == "zeb.quixotic@example.org"
    assert document["patient"]["date_of_birth"] == "1971-07-13"
    assert len(document["bookings"]) == 3 and len(document["consents"]) == 2
    seen = next(b for b in document["bookings"] if b["reference"] == booking.pk)
    assert seen["intake"]["goals"] == "MARKER-GOALS"
    # The answers in the words the patient chose them by, not the form's codes.
    assert seen["intake"]["areas"] == ["Hairline", "Temples"]
    assert seen["intake"]["family_history"] == ["On my father's side"]
    tried = seen["intake"]["previous_treatments"]["Minoxidil (Regaine or similar)"]
    assert tried["how long"] == "3 to 12 months" and tried["how it went"] in ("", "It helped")
    assert "How it went…" not in json.dumps(document)
    blood_thinners = next(q for q in seen["intake"]["screening"] if "blood thinners" in q)
    assert seen["intake"]["screening"][blood_thinners] == "Yes"
    assert seen["intake"]["screening_flags"]
    assert seen["assessment"]["summary_for_you"] == "MARKER-SUMMARY"
    photo = seen["intake"]["photos"][0]["file"]
    assert archive.read(photo)[:2] == b"\xff\xd8"  # the JPEG itself
    assert seen["measures"]["notes"] == "MARKER-MEASURE-NOTES"
    assert seen["measures"]["zones"]["Crown"]["density_hairs_per_cm2"] == 104
    [taken] = seen["clinic_photos"]
    assert taken["view"] == "Crown" and archive.read(taken["file"])[:2] == b"\xff\xd8"
    read = ClinicalRead.objects.get(what="full export")
    assert read.patient_id == patient.pk and read.user.username == "chief"


def test_erasure_leaves_no_personal_data_in_any_table(
    clinic_admin, zebulon, django_capture_on_commit_callbacks
):
    patient, booking, later = zebulon
    files = list(IntakePhoto.objects.values_list("image", flat=True))
    files += list(ClinicPhoto.objects.values_list("image", flat=True))
    storage = IntakePhoto._meta.get_field("image").storage
    assert files and all(storage.exists(name) for name in files)
    found = {
        m for label, text in every_stored_value() for m in MARKERS if m.lower() in text.lower()
    }
    assert found == set(MARKERS)  # the scan sees each of them before the erasure
    bookings_before = Booking.objects.filter(patient=patient).count()
    figures_before = weekly_figures(timezone.now())
    assert sum(week["bookings"] for week in figures_before["weeks"]) == 1  # last week's
    old_link = reverse("bookings:manage", args=[booking.token])

    with django_capture_on_commit_callbacks(execute=True):
        erase = reverse("staff:patient_erase", args=[patient.pk])
        page = clinic_admin.post(erase, {"confirm": "yes"}, follow=True)

    assert "personal data, answers and photos erased" in page.content.decode()
    left = [
        (label, marker)
        for label, text in every_stored_value()
        for marker in MARKERS
        if marker.lower() in text.lower()
    ]
    assert left == []
    assert not any(storage.exists(name) for name in files)
    assert Booking.objects.filter(patient=patient).count() == bookings_before
    assert Assessment.objects.get(booking=booking).recommendations == ["prp"]
    # The coded measures stay for the clinic's figures; the clinic's photos of them go.
    assert VisitMeasures.objects.get(booking=booking).crown_density == 104
    assert not ClinicPhoto.objects.filter(booking__patient=patient).exists()
    assert weekly_figures(timezone.now()) == figures_before
    later.refresh_from_db()
    assert later.status == "cancelled"
    assert Client().get(old_link).status_code == 404
    erasure = Patient.history.filter(id=patient.pk).get()
    assert erasure.history_user.username == "chief"
    assert erasure.history_change_reason.startswith("Personal data erased")


def test_erasure_saves_each_booking_change_with_history_and_frees_the_time(zebulon):
    """Erasure goes through the bookings' own saves: each booking gets a history row naming the
    erasure, and the practitioner's schedule version rises, so the slot picker offers the
    cancelled time again on every app server."""
    patient, _, later = zebulon
    bookings = list(Booking.objects.filter(patient=patient).order_by("pk"))
    rows_before = {b.pk: Booking.history.filter(id=b.pk).count() for b in bookings}
    version_before = ScheduleVersion.objects.get(practitioner=later.practitioner).version

    patient_erase(patient=patient)

    for b in bookings:
        assert Booking.history.filter(id=b.pk).count() == rows_before[b.pk] + 1
        newest = Booking.history.filter(id=b.pk).latest("history_date")
        assert newest.history_change_reason.startswith("Personal data erased")
        assert newest.cancellation_reason == ""
    assert Booking.history.filter(id=later.pk).latest("history_date").status == "cancelled"
    assert ScheduleVersion.objects.get(practitioner=later.practitioner).version > version_before


def test_erasure_asks_first_and_changes_nothing_unconfirmed(clinic_admin, zebulon):
    patient, _, _ = zebulon
    assert clinic_admin.get(reverse("staff:patient_erase", args=[patient.pk])).status_code == 200
    refused = clinic_admin.post(reverse("staff:patient_erase", args=[patient.pk]), {})
    assert refused.status_code == 400
    assert "Tick the box" in refused.content.decode()
    patient.refresh_from_db()
    assert patient.email == "zeb.quixotic@example.org" and patient.erased_at is None


def test_only_clinic_admins_export_or_erase(client, roles):
    patient = PatientFactory()
    for role in (role_names.RECEPTION, role_names.PRACTITIONER):
        user = UserFactory(username=f"user-{role}")
        user.groups.add(roles[role])
        staff = sign_in_with_second_factor(Client(), user)
        assert staff.post(reverse("staff:patient_export", args=[patient.pk])).status_code == 403
        erase = staff.post(reverse("staff:patient_erase", args=[patient.pk]), {"confirm": "yes"})
        assert erase.status_code == 403
    patient.refresh_from_db()
    assert patient.erased_at is None
    assert Client().post(reverse("staff:patient_erase", args=[patient.pk])).status_code == 302


def test_an_erased_patient_is_not_matched_when_they_book_again(clinic_admin, zebulon):
    patient, _, _ = zebulon
    clinic_admin.post(reverse("staff:patient_erase", args=[patient.pk]), {"confirm": "yes"})
    again = Patient.objects.filter(email__iexact="zeb.quixotic@example.org")
    assert not again.exists()
    assert (
        clinic_admin.post(
            reverse("staff:patient_erase", args=[patient.pk]), {"confirm": "yes"}
        ).status_code
        == 302
    )
    # The page, opened again, says it is done rather than offering to erase "Erased patient".
    page = clinic_admin.get(reverse("staff:patient_erase", args=[patient.pk])).content.decode()
    assert '<h1 class="h3 mb-3">Personal data erased</h1>' in page


def test_the_export_names_a_photo_whose_file_is_lost_and_still_holds_the_rest(
    clinic_admin, zebulon
):
    patient, booking, _ = zebulon
    lost = IntakePhoto.objects.get(intake__booking=booking)
    kept = IntakePhoto.objects.create(
        intake=lost.intake, view="top", width=1, height=1, image=lost.image.name
    )
    # The kept row needs a file of its own: copy the bytes under a new name.
    content = lost.image.read()
    lost.image.close()
    kept.image.save("kept.jpg", io.BytesIO(content))
    lost.image.storage.delete(lost.image.name)
    response = clinic_admin.post(reverse("staff:patient_export", args=[patient.pk]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    document = json.loads(archive.read("patient.json"))
    assert document["missing_photos"]["files"] == [f"photos/{booking.pk}-crown-{lost.pk}.jpg"]
    assert "could not be found" in document["missing_photos"]["note"]
    assert archive.read(f"photos/{booking.pk}-top-{kept.pk}.jpg")[:2] == b"\xff\xd8"
    assert f"photos/{booking.pk}-crown-{lost.pk}.jpg" not in archive.namelist()
