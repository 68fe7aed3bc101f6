"""Restore a backup folder into a fresh, empty database and the file storage."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder (from `manage.py backup`) into the database DATABASE_URL names, "
        "which must be fresh and empty, and into the configured file storage."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="The backup folder to restore.")

    def handle(self, *args, folder, **options):
        try:
            result = backup_restore(folder=folder)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored the database of {result['created_at']} and "
            f"{result['restored_files']} files from {folder}"
        )
