"""Delete expired booking drafts that were never confirmed, with their photos.

A draft holds health answers and photos for at most a day; run this from cron or a scheduler,
e.g. hourly: `python manage.py purge_booking_drafts`.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings.models import BookingDraft
from patients.models import IntakePhoto


class Command(BaseCommand):
    help = "Delete expired, unconfirmed booking drafts and their photos."

    def handle(self, *args, **options):
        expired = BookingDraft.objects.filter(expires_at__lte=timezone.now(), booking__isnull=True)
        photos = IntakePhoto.objects.filter(draft__in=expired)
        for photo in photos:
            photo.image.delete(save=False)
        count, _ = expired.delete()
        # Confirmed drafts keep no answers (they moved to the intake); drop them once expired.
        BookingDraft.objects.filter(expires_at__lte=timezone.now()).delete()
        self.stdout.write(f"Deleted {count} expired booking drafts.")
