from django.core.management.base import BaseCommand
from django.utils import timezone

from treatments.ratings import rating_requests_due
from treatments.reminders import due_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail patients whose plan has a review, check-in or top-up due and unbooked, and "
        "queue the request to rate their hair before each review of the next three days."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        sent = due_reminders_send(now=now)
        self.stdout.write(f"{sent} reminder(s) sent.")
        queued = rating_requests_due(now=now)
        self.stdout.write(f"{queued} rating request(s) queued.")
