"""Days a location is closed: a bank holiday, the Christmas break, a refit.

A closure is whole days at one location, in its own calendar: nothing can be booked there on
them, whoever the practitioner (the slot engine treats each closed day as time off for everyone
working there, and the booking services refuse it). Bookings made before the closure stay
booked until someone moves or cancels them; the admin and the staff day list say which.
Imported by ``bookings.models``, so this is a model of the bookings app.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clinic.text import validate_single_line

# A closure longer than this is a typing error (a year of 9999, which the date box takes).
LONGEST_DAYS = 366
# And so is one starting further ahead than this.
FURTHEST_DAYS = 2 * 366


class Closure(models.Model):
    location = models.ForeignKey(
        "bookings.Location", on_delete=models.CASCADE, related_name="closures"
    )
    first_day = models.DateField(help_text="The first day the location is closed.")
    last_day = models.DateField(
        help_text="The last day it is closed: the same as the first for a single day."
    )
    name = models.CharField(
        max_length=80,
        validators=[validate_single_line],
        help_text="Shown to staff, and to patients who ask for a closed day: e.g. Christmas Day.",
    )

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="closure_last_day_not_before_first"
            ),
        ]
        indexes = [models.Index(fields=["location", "last_day"], name="closure_location_last_idx")]

    def __str__(self):
        return f"{self.name} at {self.location}"

    def clean(self):
        if self.first_day and self.last_day:
            if self.last_day < self.first_day:
                raise ValidationError({"last_day": "The last day cannot come before the first."})
            if (self.last_day - self.first_day).days >= LONGEST_DAYS:
                raise ValidationError(
                    {"last_day": "A closure of more than a year: check the dates."}
                )
        if self.first_day and self.first_day > timezone.localdate() + timedelta(FURTHEST_DAYS):
            raise ValidationError(
                {"first_day": "A closure more than two years ahead: check the year."}
            )
