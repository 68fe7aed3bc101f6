"""Back up the database and every stored file into one dated folder (see clinic/backup.py)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write a dated backup folder: pg_dump of the database and a tar of the stored files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            type=Path,
            default=settings.BACKUP_ROOT,
            help="Folder to write the backup folder into (default: BACKUP_ROOT).",
        )

    def handle(self, *args, to, **options):
        try:
            folder, manifest = backup_create(root=to)
        except BackupError as error:
            raise CommandError(str(error)) from error
        for name in manifest["missing_files"]:
            self.stderr.write(f"Missing from storage, not in the backup: {name}")
        self.stdout.write(f"Backed up the database and {manifest['files']} files to {folder}")
