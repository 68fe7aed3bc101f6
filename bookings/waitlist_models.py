"""The waitlist: patients who asked to be told when a time frees up, the times freed, and the
offers of those times e-mailed to them.

A time freed by a cancelled or moved booking is a ``WaitlistOpening``; each matching entry gets
a ``WaitlistOffer`` with a claim link of its own. The first claim books the time (through
``booking_create``) and records the booking on the opening, whose row every claim locks first:
the others then find it taken. Imported by ``bookings.models``, so these are models of the
bookings app; the other models are named by string, so that this module imports none of them.
"""

import hashlib
import secrets

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from clinic.text import validate_single_line


def new_waitlist_token() -> str:
    """An unguessable token for a waitlist link (256 bits), as for a private booking link."""
    return secrets.token_urlsafe(32)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenQuerySet(models.QuerySet):
    def for_link(self, token: str):
        """The row whose link carries ``token``, or None: found by the token's digest, then the
        token compared in constant time."""
        row = self.filter(token_digest=_digest(token)).first()
        if row is None or not constant_time_compare(row.token, token):
            return None
        return row


class WaitlistEntryQuerySet(TokenQuerySet):
    def waiting(self, on_day):
        """Entries still waiting for a time on ``on_day``: not booked, their range covering it."""
        return self.filter(booking__isnull=True, first_day__lte=on_day, last_day__gte=on_day)


class WaitlistEntry(models.Model):
    """A patient's wish for a time: a consultation type, a practitioner or any, a date range.

    It holds only what is needed to tell them: a name and an e-mail, with the version of the
    care consent they agreed to. Their phone and date of birth are asked when they claim a
    time. The entry expires at the end of its range (it is offered nothing after it, and
    ``purge_waitlist`` deletes it); leaving the waitlist deletes it at once.
    """

    token = models.CharField(max_length=64, unique=True, default=new_waitlist_token, editable=False)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    consultation_type = models.ForeignKey(
        "bookings.ConsultationType", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    location = models.ForeignKey(
        "bookings.Location", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    practitioner = models.ForeignKey(
        "bookings.Practitioner",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        help_text="Empty for any practitioner.",
    )
    first_day = models.DateField(help_text="The first day that suits, at the location.")
    last_day = models.DateField(help_text="The last day that suits: the entry expires after it.")
    first_name = models.CharField(max_length=100, validators=[validate_single_line])
    last_name = models.CharField(max_length=100, validators=[validate_single_line])
    email = models.EmailField()
    consent_version = models.CharField(
        max_length=32, help_text="The version of the care consent text they agreed to."
    )
    created_at = models.DateTimeField(default=timezone.now)
    booking = models.OneToOneField(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_entry",
        help_text="The booking a claimed offer made.",
    )

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="waitlist_range_in_order"
            ),
        ]
        indexes = [
            models.Index(fields=["location", "last_day"], name="waitlist_location_last_idx"),
        ]

    def __str__(self):
        return f"Waitlist for {self.consultation_type}, {self.first_day} to {self.last_day}"

    def save(self, *args, **kwargs):
        self.token_digest = _digest(self.token)
        super().save(*args, **kwargs)

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"


class WaitlistOpening(models.Model):
    """A time freed by a cancelled or moved booking, offered to the matching waitlist entries.

    ``booking`` is set by the first claim; a claim locks this row first, so a second claim
    waits and then finds it set. One opening per freed booking version and start, so that the
    task that makes it can run twice and offer it once.
    """

    freed_by = models.ForeignKey(
        "bookings.Booking", on_delete=models.CASCADE, related_name="waitlist_openings_freed"
    )
    freed_sequence = models.PositiveIntegerField(
        help_text="The freed booking's version once cancelled or moved."
    )
    practitioner = models.ForeignKey(
        "bookings.Practitioner", on_delete=models.CASCADE, related_name="waitlist_openings"
    )
    location = models.ForeignKey(
        "bookings.Location", on_delete=models.CASCADE, related_name="waitlist_openings"
    )
    starts_at = models.DateTimeField()
    booking = models.OneToOneField(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_opening",
        help_text="The booking of the first claim.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["freed_by", "freed_sequence", "starts_at"], name="waitlist_opening_once"
            ),
        ]
        indexes = [
            models.Index(fields=["location", "starts_at"], name="waitlist_opening_start_idx"),
        ]

    def __str__(self):
        return f"Time freed at {self.starts_at:%Y-%m-%d %H:%M}"


class WaitlistOffer(models.Model):
    """One freed time offered to one waitlist entry, with its own claim link."""

    opening = models.ForeignKey(WaitlistOpening, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    token = models.CharField(max_length=64, unique=True, default=new_waitlist_token, editable=False)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the e-mail with the claim link went out."
    )

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["opening", "entry__created_at", "entry"]
        constraints = [
            models.UniqueConstraint(fields=["opening", "entry"], name="waitlist_offer_once"),
        ]

    def __str__(self):
        return f"Offer of {self.opening} to entry {self.entry_id}"

    def save(self, *args, **kwargs):
        self.token_digest = _digest(self.token)
        super().save(*args, **kwargs)
