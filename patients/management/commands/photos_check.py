"""Find photo files with no row and remove them; report photo rows whose file is missing.

Photo files are written before their row commits and deleted only after the row's removal
commits (``patients.photo_files``), so a crashed worker can leave a file that no row names: a
scalp photo that neither erasure nor the draft purge would ever find. Run this daily, e.g.
`python manage.py photos_check`; `--dry-run` only lists. A file younger than `--min-age` minutes
is left alone, since its row may belong to an upload still in progress.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from patients.models import ClinicPhoto, IntakePhoto
from patients.photo_files import PHOTO_FOLDER, photo_files_delete
from patients.storage import private_storage


def stored_names(storage, folder: str):
    """Yield the name of every file under a folder of a storage, through the storage API."""
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from stored_names(storage, f"{folder}/{sub}")


class Command(BaseCommand):
    help = "Remove photo files that no photo row names; report rows whose file is missing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be removed; remove nothing."
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=60,
            metavar="MINUTES",
            help="Leave files younger than this alone (an upload may be in progress). Default 60.",
        )

    def handle(self, *args, dry_run=False, min_age=60, **options):
        storage = private_storage()
        # Files first, rows second: a file whose row commits in between is then seen with it.
        files = set(stored_names(storage, PHOTO_FOLDER)) if storage.exists(PHOTO_FOLDER) else set()
        rows = {
            row[0]: row[1:]
            for row in IntakePhoto.objects.values_list("image", "pk", "intake__booking_id", "view")
        }
        # The clinic's own photos of a visit share the folder.
        rows |= {
            row[0]: row[1:]
            for row in ClinicPhoto.objects.values_list("image", "pk", "booking_id", "view")
        }
        cutoff = timezone.now() - timedelta(minutes=min_age)
        orphans, recent = [], 0
        for name in sorted(files - rows.keys()):
            try:
                modified = storage.get_modified_time(name)
            except FileNotFoundError:
                continue  # removed meanwhile
            if modified <= cutoff:
                orphans.append(name)
            else:
                recent += 1
        if not dry_run:
            photo_files_delete(orphans)
        verb = "Would remove" if dry_run else "Removed"
        for name in orphans:
            self.stdout.write(f"{verb} {name}: no photo row names it.")
        self.stdout.write(
            f"{verb} {len(orphans)} photo files with no row"
            + (f" (left {recent} younger than {min_age} minutes)." if recent else ".")
        )

        missing = [(name, *row) for name, row in sorted(rows.items()) if not storage.exists(name)]
        for name, pk, booking_id, view in missing:
            owner = f"booking {booking_id}" if booking_id else "a booking in progress"
            self.stdout.write(
                self.style.WARNING(f"Photo {pk} ({view}, {owner}): its file {name} is missing.")
            )
        self.stdout.write(f"{len(missing)} photo rows whose file is missing.")
