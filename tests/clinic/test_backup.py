"""Backups a clinic can restore: back up, restore into a fresh database, find everything."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from bookings.models import Booking, BookingDraft
from patients.models import HairLossIntake, IntakeInProgress, IntakePhoto
from tests.factories import (
    bookable_clinic,
    details_url,
    jpeg_upload,
    next_slot,
    valid_form,
)

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="backups are pg_dump and pg_restore: PostgreSQL only"
)
# Compared row by row between the original and the restored database.
TABLES = [
    "bookings_booking",
    "bookings_bookingdraft",
    "patients_patient",
    "patients_hairlossintake",
    "patients_intakephoto",
    "patients_intakeinprogress",
    "patients_consent",
]


def book(clinic, hour, number, consent_photos=None):
    """Book through the pages, as a patient does, up to the review; return the client."""
    location, _, consultation_type = clinic
    client = Client()
    form = valid_form(
        first_name=f"Patient{number}",
        email=f"patient{number}@example.com",
        consent_photos=consent_photos,
    )
    path = details_url(consultation_type, location, next_slot(hour=hour))
    response = client.post(path, form)
    assert response.status_code == 302, response.content.decode()[:500]
    return client, response.url


def answer(client, booking, **photos):
    """Send the questions and these photos through the booking's private link."""
    url = reverse("bookings:intake", args=[booking.token])
    return client.post(url, {**valid_form(), **photos})


def rows(cursor, table):
    """Every row of ``table``, as PostgreSQL writes it in JSON: equal rows, equal text."""
    query = f"SELECT to_jsonb(t)::text FROM {table} t ORDER BY id"  # noqa: S608 - fixed names
    cursor.execute(query)
    return [row for (row,) in cursor.fetchall()]


@pytest.fixture
def fresh_database():
    """The name of a new, empty PostgreSQL database beside the test one; dropped afterwards."""
    name = f"clinic_restore_{uuid.uuid4().hex[:12]}"
    db = connection.settings_dict
    server = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


def restore(folder, database, photos_root):
    """Run `manage.py restore` as a clinic would: production settings, the fresh database."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    url = f"postgres://{db['USER']}{password}@{db.get('HOST') or '127.0.0.1'}:"
    url += f"{db.get('PORT') or 5432}/{database}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_SECRET_KEY": "restore-test-key",
        "DATABASE_URL": url,
        "PRIVATE_STORAGE_ROOT": str(photos_root),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_every_booking_intake_and_photo(
    tmp_path, fresh_database, screening_rules
):
    clinic = bookable_clinic()
    # Three patients booked, with answers and photos; a fourth has saved half their answers
    # and a photo to finish later; a fifth is still typing their details.
    for number, hour in enumerate((9, 10, 11, 12)):
        client, review = book(clinic, hour, number, consent_photos="on")
        assert client.post(review).status_code == 302
        booking = Booking.objects.get(patient__email=f"patient{number}@example.com")
        if number < 3:
            photos = {
                "photo_hairline": jpeg_upload(f"hairline{number}.jpg"),
                "photo_crown": jpeg_upload(f"crown{number}.jpg", size=(80, 60)),
            }
            assert answer(client, booking, **photos).status_code == 302
        else:
            later = {"save_for_later": "1", "photo_top": jpeg_upload("top.jpg")}
            assert answer(client, booking, **later).status_code == 302
    book(clinic, 13, 4)
    assert Booking.objects.count() == 4 and HairLossIntake.objects.count() == 3
    assert IntakeInProgress.objects.count() == 1
    assert IntakePhoto.objects.count() == 7 and BookingDraft.objects.filter(booking=None).exists()
    storage = IntakePhoto._meta.get_field("image").storage
    originals = {p.image.name: storage.open(p.image.name).read() for p in IntakePhoto.objects.all()}

    call_command("backup", to=tmp_path / "backups")
    (folder,) = (tmp_path / "backups").iterdir()
    assert folder.name.startswith("clinic-")
    assert {f.name for f in folder.iterdir()} == {"database.dump", "files.tar", "manifest.json"}

    photos_root = tmp_path / "restored-photos"
    result = restore(folder, fresh_database, photos_root)
    assert result.returncode == 0, result.stderr
    assert "7 files" in result.stdout

    db = connection.settings_dict
    restored = psycopg2.connect(
        dbname=fresh_database,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
    )
    try:
        with restored.cursor() as after, connection.cursor() as before:
            for table in TABLES:
                assert rows(after, table) == rows(before, table), table
            after.execute("SELECT image FROM patients_intakephoto")
            names = {name for (name,) in after.fetchall()}
    finally:
        restored.close()
    assert names == set(originals)
    for name, content in originals.items():
        assert (photos_root / name).read_bytes() == content, name


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    bookable_clinic()
    call_command("backup", to=tmp_path)
    (folder,) = tmp_path.iterdir()
    with pytest.raises(CommandError, match="fresh, empty database"):
        call_command("restore", folder)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_is_restored(tmp_path, fresh_database):
    bookable_clinic()
    call_command("backup", to=tmp_path / "backups")
    (folder,) = (tmp_path / "backups").iterdir()
    with (folder / "database.dump").open("ab") as dump:
        dump.write(b"-")
    result = restore(folder, fresh_database, tmp_path / "photos")
    assert result.returncode != 0
    assert "damaged" in result.stderr
    assert not (tmp_path / "photos").exists()


@pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite refusal")
@pytest.mark.django_db
def test_backup_on_sqlite_says_why_it_cannot(tmp_path):
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("backup", to=tmp_path)
    assert not list(tmp_path.iterdir())


def test_the_commands_are_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert "manage.py backup" in readme and "manage.py restore" in readme
