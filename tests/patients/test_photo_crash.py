"""Nothing lost after a kill -9: a worker replacing photos is really killed, again and again.

A separate Python process, set up like an app server (the real settings, this test's database
and photo folder), replaces all six photos of one intake in a loop, as a patient editing their
answers would. It is killed with SIGKILL at an unplanned moment, several times. Afterwards every
photo row must find its file, and ``photos_check`` must find and remove every file left behind
with no row.
"""

import os
import random
import signal
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bookings.services import booking_create
from patients.choices import PHOTO_VIEWS
from patients.models import HairLossIntake, IntakePhoto
from patients.photo_files import PHOTO_FOLDER
from patients.photos import clean_photo
from patients.services import photos_store
from patients.storage import private_storage
from tests.factories import PatientFactory, bookable_clinic, jpeg_upload, next_slot

pytestmark = pytest.mark.django_db(transaction=True)

KILLS = 4
VIEWS = [view for view, _ in PHOTO_VIEWS]

# The worker: replace every photo of one intake, round after round, saying when each is done.
WORKER = """
import sys
import django

django.setup()
from django.utils import timezone
from patients.models import HairLossIntake
from patients.services import intake_update

intake = HairLossIntake.objects.select_related("booking").get(pk=int(sys.argv[1]))
content = open(sys.argv[2], "rb").read()
views = sys.argv[3].split(",")
done = 0
while True:
    # What the patient's "update your answers" page does with six new photos.
    intake_update(
        booking=intake.booking,
        values={},
        photos=[(view, content, 240, 180) for view in views],
        now=timezone.now(),
    )
    done += 1
    print(done, flush=True)
"""


def database_url():
    """The URL of the database this test runs against (the test database, not the real one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{os.path.abspath(db['NAME'])}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def start_worker(intake, photo_path, log):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "true",
        "DJANGO_SECRET_KEY": "crash-test-only",
        "DATABASE_URL": database_url(),
        "PRIVATE_STORAGE_ROOT": private_storage().location,
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(intake.pk), str(photo_path), ",".join(VIEWS)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )


def kill_mid_way(worker, rounds, log_path):
    """Let the worker finish some rounds, then SIGKILL it at an unplanned moment."""
    deadline = time.monotonic() + 60
    seen = 0
    while seen < rounds:
        line = worker.stdout.readline()
        assert line, f"the worker stopped early:\n{log_path.read_text()[-3000:]}"
        seen = int(line)
        assert time.monotonic() < deadline, "the worker is far too slow"
    time.sleep(random.uniform(0, 0.05))  # any moment will do; none is chosen
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL


def stored_files():
    storage = private_storage()
    return {f"{PHOTO_FOLDER}/{name}" for name in storage.listdir(PHOTO_FOLDER)[1]}


def test_killing_a_worker_while_it_replaces_photos_loses_no_photo(tmp_path):
    location, _, consultation_type = bookable_clinic()
    booking = booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(),
        notify=False,
    )
    intake = HairLossIntake.objects.create(booking=booking, submitted_at=timezone.now())
    content, width, height = clean_photo(jpeg_upload(size=(240, 180)))
    photos_store(photos=[(view, content, width, height) for view in VIEWS], intake=intake)
    photo_path = tmp_path / "photo.jpg"
    photo_path.write_bytes(content)
    storage = private_storage()
    orphans_seen = 0

    for kill in range(KILLS):
        log_path = tmp_path / f"worker-{kill}.log"
        with log_path.open("w") as log:
            worker = start_worker(intake, photo_path, log)
            try:
                kill_mid_way(worker, rounds=random.randint(2, 6), log_path=log_path)
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
                worker.stdout.close()

        rows = list(IntakePhoto.objects.filter(intake=intake))
        # Each replacement is all or nothing: still one photo for each view.
        assert sorted(row.view for row in rows) == sorted(VIEWS)
        missing = [row.image.name for row in rows if not storage.exists(row.image.name)]
        assert missing == [], f"after kill {kill + 1}, rows point at missing files: {missing}"
        orphans = stored_files() - {row.image.name for row in rows}
        orphans_seen += bool(orphans)

        out = StringIO()
        call_command("photos_check", "--min-age", "0", stdout=out)
        assert f"Removed {len(orphans)} photo files with no row." in out.getvalue()
        assert "0 photo rows whose file is missing." in out.getvalue()
        assert stored_files() == {row.image.name for row in rows}
        for row in rows:
            with row.image.open("rb") as image:
                assert image.read() == content

    # A kill almost always falls inside a replacement or just after its commit, leaving files
    # with no row; had none of them, the check above would have proved nothing.
    assert orphans_seen >= 1
