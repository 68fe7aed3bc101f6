"""Delete waitlist entries whose range has ended, with their offers.

An entry is offered nothing after its last day; its name and e-mail are then of no more use.
Run it daily from cron or a scheduler: `python manage.py purge_waitlist`. An entry that booked a
time goes too: the booking keeps what the clinic needs.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings.models import Location, WaitlistEntry


class Command(BaseCommand):
    help = "Delete waitlist entries whose last day has passed."

    def handle(self, *args, **options):
        now = timezone.now()
        deleted = 0
        for location in Location.objects.all():
            today = now.astimezone(location.zone).date()
            count, _ = WaitlistEntry.objects.filter(location=location, last_day__lt=today).delete()
            deleted += count
        self.stdout.write(f"Deleted {deleted} ended waitlist entries.")
