"""The practitioner's measures and the clinic's standard photos: services, sane ranges kept by
the database too, and the photo files following the rows."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from bookings.models import Booking
from patients.models import ClinicPhoto, VisitMeasures
from patients.photos import clean_photo
from patients.privacy import patient_records_erase
from patients.progress import ProgressError, clinic_photo_store, measures_record
from tests.factories import (
    BookingFactory,
    VisitMeasuresFactory,
    clinic_photo,
    jpeg_upload,
    stored_photo_files,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit():
    """A consultation that started an hour ago."""
    start = timezone.now() - timedelta(hours=1)
    return BookingFactory(starts_at=start, ends_at=start + timedelta(minutes=30))


def record(visit, **values):
    return measures_record(
        booking=visit, author=visit.practitioner.user, values=values, now=timezone.now()
    )


def test_measures_record_saves_the_figures_and_keeps_the_first_author(visit, django_user_model):
    measures = record(visit, stage="nw3", frontal_density=130, crown_thin=25, notes=" Dry. ")
    assert (measures.stage, measures.frontal_density, measures.crown_thin) == ("nw3", 130, 25)
    assert measures.notes == "Dry." and measures.mid_scalp_density is None
    assert measures.scale == "nw"
    colleague = django_user_model.objects.create(username="colleague")
    again = measures_record(
        booking=visit, author=colleague, values={"pull_test": 4}, now=timezone.now()
    )
    assert again.pk == measures.pk and again.recorded_by == visit.practitioner.user
    assert again.pull_test == 4 and again.frontal_density is None  # the form sends every field
    assert measures.history.count() == 2


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "at least one measure"),
        ({"notes": "Only words"}, "at least one measure"),
        ({"stage": "nw9"}, "Norwood, Ludwig or Sinclair"),
        ({"frontal_density": 501}, "between 0 and 500"),
        ({"crown_thin": 101}, "between 0 and 100"),
        ({"pull_test": 61}, "between 0 and 60"),
        ({"shedding": 0}, "between 1 and 6"),
        ({"shedding": 7, "stage": "lu2"}, "between 1 and 6"),
    ],
)
def test_measures_record_refuses_what_makes_no_sense(visit, values, message):
    with pytest.raises(ProgressError, match=message):
        record(visit, **values)
    assert not VisitMeasures.objects.exists()


@pytest.mark.parametrize(
    ("status", "message"),
    [(Booking.Status.CANCELLED, "cancelled"), (Booking.Status.NO_SHOW, "did not come")],
)
def test_no_measure_for_a_cancelled_or_missed_visit(visit, status, message):
    Booking.objects.filter(pk=visit.pk).update(status=status)
    visit.refresh_from_db()
    with pytest.raises(ProgressError, match=message):
        record(visit, stage="nw2")


def test_no_measure_before_the_day_of_the_visit():
    later = BookingFactory(starts_at=timezone.now() + timedelta(days=2))
    with pytest.raises(ProgressError, match="record its measures and photos at the visit"):
        record(later, stage="nw2")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("frontal_density", 501),
        ("donor_thin", 101),
        ("pull_test", 61),
        ("shedding", 0),
        ("shedding", 7),
        ("stage", "nw8"),
    ],
)
def test_the_database_keeps_the_ranges_too(visit, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitMeasuresFactory(booking=visit, **{field: value})


def test_the_database_takes_the_edges_of_each_range(visit):
    VisitMeasuresFactory(
        booking=visit,
        stage="si5",
        frontal_density=0,
        donor_density=500,
        crown_thin=100,
        pull_test=60,
        shedding=6,
    )


def jpeg_with_metadata():
    return jpeg_upload("front.jpg", size=(320, 240))


def test_a_clinic_photo_is_re_encoded_without_metadata_and_stored_privately(visit):
    content, width, height = clean_photo(jpeg_with_metadata())
    photo = clinic_photo_store(
        booking=visit,
        view="front",
        content=content,
        width=width,
        height=height,
        author=visit.practitioner.user,
        now=timezone.now(),
    )
    with photo.image.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
        assert not image.getexif()  # no camera make, no GPS
    assert photo.image.name in stored_photo_files()
    assert photo.history.get().history_type == "+"  # the upload is in the audit trail


def test_a_retake_replaces_the_view_and_deletes_the_old_file_after_commit(
    visit, django_capture_on_commit_callbacks
):
    first = clinic_photo(visit, "crown")
    old_name = first.image.name
    with django_capture_on_commit_callbacks() as callbacks:
        second = clinic_photo(visit, "crown", colour=(10, 10, 10))
        assert old_name in stored_photo_files()  # kept until the new row has committed
    for callback in callbacks:
        callback()
    assert list(ClinicPhoto.objects.filter(booking=visit)) == [second]
    assert old_name not in stored_photo_files()
    assert second.image.name in stored_photo_files()


def test_a_failed_save_leaves_no_file_behind(visit, monkeypatch):
    before = stored_photo_files()

    def broken(*args, **kwargs):
        raise IntegrityError("the database refused")

    monkeypatch.setattr(ClinicPhoto.objects, "create", broken)
    with pytest.raises(ProgressError):
        clinic_photo(visit, "top")
    assert stored_photo_files() == before
    assert not ClinicPhoto.objects.exists()


def test_a_clinic_photo_of_an_unknown_view_or_cancelled_visit_is_refused(visit):
    with pytest.raises(ProgressError, match="standard views"):
        clinic_photo(visit, "hairline")
    Booking.objects.filter(pk=visit.pk).update(status=Booking.Status.CANCELLED)
    visit.refresh_from_db()
    with pytest.raises(ProgressError, match="cancelled"):
        clinic_photo(visit, "front")
    assert not ClinicPhoto.objects.exists()


def test_one_photo_per_view_and_visit_in_the_database(visit):
    photo = clinic_photo(visit, "left")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicPhoto.objects.create(
            booking=visit,
            view="left",
            image=photo.image.name,
            width=1,
            height=1,
            taken_by=photo.taken_by,
        )


def test_erasure_removes_clinic_photos_and_notes_but_keeps_the_figures(visit):
    photo = clinic_photo(visit, "front")
    VisitMeasuresFactory(booking=visit, notes="Lives on Elm Street", frontal_density=140)
    name = photo.image.name
    with transaction.atomic():
        files = patient_records_erase(patient=visit.patient, now=timezone.now())
    assert name in files
    assert not ClinicPhoto.objects.exists() and not ClinicPhoto.history.exists()
    measures = VisitMeasures.objects.get()
    assert measures.notes == "" and measures.frontal_density == 140
    assert not measures.history.filter(notes__contains="Elm").exists()


def test_photos_check_keeps_the_clinic_photos_and_reports_a_lost_one(visit):
    kept = clinic_photo(visit, "front")
    lost = clinic_photo(visit, "donor")
    lost.image.storage.delete(lost.image.name)
    out = io.StringIO()
    call_command("photos_check", "--min-age", "0", stdout=out)
    assert kept.image.name in stored_photo_files()
    assert f"Photo {lost.pk} (donor, booking {visit.pk})" in out.getvalue()
