"""Delete expired booking drafts that were never confirmed, with their photos.

A draft holds health answers and photos for at most a day; run this from cron or a scheduler,
e.g. hourly: `python manage.py purge_booking_drafts`.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from bookings.models import BookingDraft
from patients.models import IntakePhoto
from patients.photo_files import photo_file_names, photo_files_delete_after_commit


class Command(BaseCommand):
    help = "Delete expired, unconfirmed booking drafts and their photos."

    def handle(self, *args, **options):
        now = timezone.now()
        with transaction.atomic():
            # Locked, so that a patient saving a draft at this very moment (which gives it
            # another day) either finishes first, and the draft is no longer expired, or waits.
            expired = list(
                BookingDraft.objects.select_for_update()
                .filter(expires_at__lte=now, booking__isnull=True)
                .values_list("pk", flat=True)
            )
            photos = IntakePhoto.objects.filter(draft_id__in=expired)
            # The files go only once the rows are gone for good: a crash in between leaves a
            # file with no row (for photos_check), never a draft whose photo cannot be shown.
            photo_files_delete_after_commit(photo_file_names(photos))
            photos.delete()
            BookingDraft.objects.filter(pk__in=expired).delete()
            # Confirmed drafts keep no answers (they moved to the intake); drop them once expired.
            BookingDraft.objects.filter(expires_at__lte=now, booking__isnull=False).delete()
        self.stdout.write(f"Deleted {len(expired)} expired booking drafts.")
