"""Photo files follow the database: written before the commit, deleted only after it, undone on a
rollback; and the check that finds files with no row and rows with no file."""

import os
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import IntegrityError

from patients.models import IntakePhoto
from patients.photo_files import PHOTO_FOLDER, photo_file_write, photo_transaction
from patients.photos import clean_photo
from patients.services import photos_store
from patients.storage import private_storage
from tests.factories import (
    empty_intake,
    jpeg_upload,
)

pytestmark = pytest.mark.django_db


class Boom(Exception):
    """A failure after the photos were stored, in the same transaction."""


def stored_files():
    storage = private_storage()
    if not storage.exists(PHOTO_FOLDER):
        return set()
    return {f"{PHOTO_FOLDER}/{name}" for name in storage.listdir(PHOTO_FOLDER)[1]}


@pytest.fixture
def intake():
    return empty_intake()


@pytest.fixture
def photo():
    """One cleaned photo, as the form hands it to the service."""
    return clean_photo(jpeg_upload(size=(120, 90)))


@pytest.fixture(autouse=True)
def _empty_photo_folder():
    """Each test counts the files in the photo folder, so it starts with none."""
    for name in stored_files():
        private_storage().delete(name)


def test_replacing_a_photo_deletes_the_old_file_only_after_the_commit(
    intake, photo, django_capture_on_commit_callbacks
):
    photos_store(photos=[("top", *photo)], intake=intake)
    old = IntakePhoto.objects.get(intake=intake)
    with django_capture_on_commit_callbacks(execute=True):
        photos_store(photos=[("top", *photo)], intake=intake)
        new = IntakePhoto.objects.get(intake=intake)
        # Before the commit both files exist: the row that may still come back finds its file.
        assert new.image.name != old.image.name
        assert stored_files() == {old.image.name, new.image.name}
    assert stored_files() == {new.image.name}


def test_a_failed_replacement_keeps_the_old_photo_and_leaves_no_new_file(intake, photo):
    photos_store(photos=[("top", *photo)], intake=intake)
    old = IntakePhoto.objects.get(intake=intake)
    with pytest.raises(IntegrityError):
        # The second photo breaks a database rule, after the first one's file was written.
        photos_store(photos=[("top", *photo), ("crown", photo[0], -1, 10)], intake=intake)
    assert list(IntakePhoto.objects.filter(intake=intake)) == [old]
    assert stored_files() == {old.image.name}


def test_a_rollback_after_the_photos_were_stored_deletes_the_new_files(intake, photo):
    photos_store(photos=[("top", *photo)], intake=intake)
    old = IntakePhoto.objects.get(intake=intake)
    with pytest.raises(Boom), photo_transaction():
        photos_store(photos=[("top", *photo), ("crown", *photo)], intake=intake)
        assert len(stored_files()) == 3
        raise Boom
    assert list(IntakePhoto.objects.filter(intake=intake)) == [old]
    assert stored_files() == {old.image.name}


def test_an_inner_rollback_deletes_its_own_files_while_the_outer_work_goes_on(intake, photo):
    with photo_transaction():
        photos_store(photos=[("top", *photo)], intake=intake)
        try:
            with photo_transaction():
                photos_store(photos=[("crown", *photo)], intake=intake)
                raise Boom
        except Boom:
            pass
    kept = IntakePhoto.objects.get(intake=intake)
    assert kept.view == "top"
    assert stored_files() == {kept.image.name}


def test_writing_a_photo_file_outside_a_photo_transaction_is_refused(photo):
    with pytest.raises(RuntimeError, match="photo_transaction"):
        photo_file_write("top", photo[0])
    assert stored_files() == set()


def age(name, minutes):
    """Make a stored file look as if it had been written some minutes ago."""
    moment = time.time() - minutes * 60
    os.utime(private_storage().path(name), (moment, moment))


def photos_check(*args):
    out = StringIO()
    call_command("photos_check", *args, stdout=out)
    return out.getvalue()


def test_photos_check_removes_old_files_with_no_row_and_keeps_the_rest(intake, photo):
    photos_store(photos=[("top", *photo)], intake=intake)
    kept = IntakePhoto.objects.get(intake=intake)
    age(kept.image.name, 600)
    storage = private_storage()
    orphan = storage.save(f"{PHOTO_FOLDER}/crown-lost.jpg", ContentFile(photo[0]))
    nested = storage.save(f"{PHOTO_FOLDER}/2025/donor-lost.jpg", ContentFile(photo[0]))
    in_flight = storage.save(f"{PHOTO_FOLDER}/top-uploading.jpg", ContentFile(photo[0]))
    age(orphan, 90)
    age(nested, 90)

    report = photos_check("--dry-run")
    assert f"Would remove {orphan}" in report and f"Would remove {nested}" in report
    assert "Would remove 2 photo files with no row (left 1 younger than 60 minutes)." in report
    assert storage.exists(orphan) and storage.exists(nested)

    report = photos_check()
    assert "Removed 2 photo files with no row" in report
    assert not storage.exists(orphan) and not storage.exists(nested)
    assert storage.exists(in_flight)  # an upload may still be about to commit its row
    assert storage.exists(kept.image.name)
    assert "0 photo rows whose file is missing." in report

    assert "Removed 1 photo files" in photos_check("--min-age", "0")
    assert not storage.exists(in_flight)
    assert storage.exists(kept.image.name)


def test_photos_check_reports_rows_whose_file_is_missing(intake, photo):
    photos_store(photos=[("top", *photo), ("crown", *photo)], intake=intake)
    lost = IntakePhoto.objects.get(intake=intake, view="crown")
    private_storage().delete(lost.image.name)
    report = photos_check()
    assert (
        f"Photo {lost.pk} (crown, booking {intake.booking_id}): its file {lost.image.name} "
        "is missing." in report
    )
    assert "1 photo rows whose file is missing." in report
    assert IntakePhoto.objects.count() == 2  # reported, not deleted: staff decide
