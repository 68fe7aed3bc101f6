"""The bookings and no-shows of weeks that have ended, counted once and kept.

The staff dashboard's chart shows twelve weeks. Counting eleven ended weeks again on every view
(about 10,000 index entries at a busy clinic) cost a twentieth of the day list's time, for figures
that hardly ever change: a week that has ended changes only when one of its bookings does (a
no-show marked the day after, a correction). So the chart keeps each ended week's counts here
(``staff.charts``), and counts only the weeks it has none for.

A week is the instants ``[week_start, week_end)``, whatever zone its Monday was worked out in.
The database forgets a week's counts by itself: triggers on the booking table (migration
bookings 0031) delete every row whose week holds the start of a booking added, deleted, or
changed in status or time, so that the next view counts that week again. A week is kept only
once it has ended, under a lock that every such change shares (``bookings.week_counts``):
counts read while a change is on its way are never kept.

Imported by ``bookings.models``, so this is a model of the bookings app.
"""

from django.db import models
from django.db.models import F, Q


class BookingWeekCount(models.Model):
    week_start = models.DateTimeField()
    week_end = models.DateTimeField()
    # Bookings starting in the week, cancelled ones apart, and the no-shows among them.
    bookings = models.PositiveIntegerField()
    no_shows = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week_start", "week_end"], name="booking_week_unique"),
            models.CheckConstraint(
                condition=Q(week_end__gt=F("week_start")), name="booking_week_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.week_start:%Y-%m-%d}: {self.bookings} bookings, {self.no_shows} no-shows"
