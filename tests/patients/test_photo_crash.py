"""Nothing lost after a kill -9: a worker replacing photos is really killed, again and again.

A separate Python process, set up like an app server (the real settings, this test's database
and photo folder), replaces all six photos of one intake in a loop, as a patient editing their
answers would. It is killed with SIGKILL at an unplanned moment, several times. Afterwards every
photo row must find its file, and ``photos_check`` must find and remove every file left behind
with no row.
"""

import random
from io import StringIO

import pytest
from django.core.management import call_command

from patients.choices import PHOTO_VIEWS
from patients.models import IntakePhoto
from patients.photos import clean_photo
from patients.services import photos_store
from patients.storage import private_storage
from tests.factories import (
    empty_intake,
    jpeg_upload,
    kill_mid_way,
    start_django_process,
    stored_photo_files,
)

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


def test_killing_a_worker_while_it_replaces_photos_loses_no_photo(tmp_path):
    intake = empty_intake()
    content, width, height = clean_photo(jpeg_upload(size=(240, 180)))
    photos_store(photos=[(view, content, width, height) for view in VIEWS], intake=intake)
    photo_path = tmp_path / "photo.jpg"
    photo_path.write_bytes(content)
    storage = private_storage()
    orphans_seen = 0

    for kill in range(KILLS):
        log_path = tmp_path / f"worker-{kill}.log"
        with log_path.open("w") as log:
            args = [str(intake.pk), str(photo_path), ",".join(VIEWS)]
            worker = start_django_process(WORKER, args, log)
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
        orphans = stored_photo_files() - {row.image.name for row in rows}
        orphans_seen += bool(orphans)

        out = StringIO()
        call_command("photos_check", "--min-age", "0", stdout=out)
        assert f"Removed {len(orphans)} photo files with no row." in out.getvalue()
        assert "0 photo rows whose file is missing." in out.getvalue()
        assert stored_photo_files() == {row.image.name for row in rows}
        for row in rows:
            with row.image.open("rb") as image:
                assert image.read() == content

    # A kill almost always falls inside a replacement or just after its commit, leaving files
    # with no row; had none of them, the check above would have proved nothing.
    assert orphans_seen >= 1
