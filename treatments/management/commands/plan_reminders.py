from django.core.management.base import BaseCommand
from django.utils import timezone

from treatments.reminders import due_reminders_send


class Command(BaseCommand):
    help = "E-mail patients whose plan has a review, check-in or top-up due and unbooked."

    def handle(self, *args, **options):
        sent = due_reminders_send(now=timezone.now())
        self.stdout.write(f"{sent} reminder(s) sent.")
