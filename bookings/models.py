"""Locations, practitioners, consultation types, schedules and bookings.

Hard rules live in the database: check constraints here, and on PostgreSQL exclusion
constraints so that two active bookings of one practitioner (migration 0002), or of one patient
(migration 0011), never overlap, and no two bookings hold one room or piece of equipment at once
(migration 0013).
"""

import hashlib
import secrets
import zoneinfo
from datetime import timedelta
from functools import cached_property

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from clinic.audit import audited


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "“%(value)s” is not a time zone name. Use a name such as Europe/London or Asia/Dubai.",
            params={"value": value},
        )


def validate_country(value):
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            "“%(value)s” is not a country code. Use two capital letters, such as GB or AE.",
            params={"value": value},
        )


def new_booking_token():
    """Return an unguessable token for a patient's private booking link (256 bits)."""
    return secrets.token_urlsafe(32)


def new_video_room() -> str:
    """Return an unguessable room name for a booking's video call (128 bits, lower-case hex,
    since some video services fold room names to lower case)."""
    return secrets.token_hex(16)


def video_room_link(room: str) -> str:
    """The address of a video room on the clinic's video service (``VIDEO_BASE_URL``)."""
    return f"{settings.VIDEO_BASE_URL.rstrip('/')}/{room}"


def token_digest(token: str) -> str:
    """The SHA-256 of a private-link token: what the database is searched by, so that the time
    a lookup takes says nothing about how much of a guessed token is right."""
    return hashlib.sha256(token.encode()).hexdigest()


class Location(models.Model):
    name = models.CharField(max_length=120, unique=True)
    address = models.TextField()
    phone = models.CharField(
        max_length=40,
        blank=True,
        help_text="Given to this location's patients on their booking pages and e-mails, in "
        "international form (e.g. +971 4 555 0142). Empty: the clinic's main number.",
    )
    country = models.CharField(
        max_length=2,
        default="GB",
        validators=[validate_country],
        help_text="Two-letter country code, e.g. GB or AE: phone numbers written without a "
        "country code are read as numbers of this country.",
    )
    directions = models.TextField(
        blank=True, help_text="How to get there, for patients: transport, parking, the entrance."
    )
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA time zone name, e.g. Europe/London. Patients see times in this zone.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @cached_property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def contact_phone(self) -> str:
        """The number patients of this location call: its own, else the clinic's. (A patient of
        the Dubai clinic told to ring London's national number could not dial it.)"""
        return self.phone or settings.CLINIC["phone"]


class Practitioner(models.Model):
    """A member of staff who sees patients, at one or more locations."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner"
    )
    title = models.CharField(max_length=120, help_text="Shown to patients, e.g. Trichologist.")
    bio = models.TextField(blank=True, help_text="A short introduction shown to patients.")
    locations = models.ManyToManyField(
        Location,
        related_name="practitioners",
        help_text="Where they see patients. A location with working hours stays chosen: "
        "remove its hours to take it away.",
    )
    is_active = models.BooleanField(
        default=True, help_text="Inactive practitioners are not offered to patients."
    )

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.user.get_full_name() or self.user.get_username()


class ScheduleVersion(models.Model):
    """A counter raised by every change that can move a practitioner's free times: a booking
    made, moved or cancelled (not checked in, completed or marked a no-show, which leave its
    time as busy as it was), hours, time off, the practitioner's row, a location.

    The slot picker's cached availability is keyed by it (bookings/picker_cache.py), so a
    change made by any process makes it stale everywhere at once. It lives in a table of its
    own, raised as the last write of a transaction, so that it never waits for a lock while
    holding one:
    writing it on the practitioner's row would deadlock with booking_create, which locks that
    row first and may then wait for the very transaction that is raising the counter.
    """

    practitioner = models.OneToOneField(
        "Practitioner", on_delete=models.CASCADE, primary_key=True, related_name="schedule"
    )
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"Schedule version {self.version} of {self.practitioner_id}"


_FOUR_HOURS = "4 hours (240 minutes) at most."


class ConsultationType(models.Model):
    """A kind of visit patients can be booked for: a consultation, or a procedure.

    Patients book consultations online; procedures (a PRP session, a stem cell procedure) are
    booked from a treatment plan or by staff, and hold the rooms and equipment they need.
    """

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video call"

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        PROCEDURE = "procedure", "Procedure"

    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    description = models.TextField(help_text="What happens in this consultation, for patients.")
    kind = models.CharField(
        max_length=16,
        choices=Kind.choices,
        default=Kind.CONSULTATION,
        help_text="Patients book consultations online; procedures are booked from a treatment "
        "plan or by staff, and hold the rooms and equipment they need.",
    )
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.IN_PERSON)
    # The bounds catch typing errors (30,000 minutes, a price of -50), not the clinic's choices:
    # the longest session (a transplant) is a working day.
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(5, "A consultation lasts 5 minutes at least."),
            MaxValueValidator(12 * 60, "A consultation lasts 12 hours at most: check the minutes."),
        ],
        help_text="From 5 minutes to 12 hours.",
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(240, _FOUR_HOURS)],
        help_text="Time kept free before each consultation, e.g. to read the intake.",
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(240, _FOUR_HOURS)],
        help_text="Time kept free after each consultation, e.g. for notes.",
    )
    slot_interval_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[
            MinValueValidator(5, "Start times are 5 minutes apart at least."),
            MaxValueValidator(240, _FOUR_HOURS),
        ],
        help_text="Offered start times are this many minutes apart.",
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        default=12,
        validators=[MaxValueValidator(90 * 24, "90 days (2,160 hours) at most.")],
        help_text="How long before its start a consultation can still be booked.",
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=60,
        validators=[
            MinValueValidator(1, "Patients must be able to book at least one day ahead."),
            MaxValueValidator(2 * 365, "Two years (730 days) ahead at most."),
        ],
        help_text="How many days ahead patients can book.",
    )
    late_cancel_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(30 * 24, "30 days (720 hours) at most.")],
        help_text="Inside this many hours of the start, patients must call to cancel or move.",
    )
    price = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, "A price cannot be negative.")],
        help_text="0 for a free consultation.",
    )
    preparation = models.TextField(
        blank=True,
        help_text="What to prepare or bring, shown to patients on the confirmation. Empty for "
        "the clinic's usual advice.",
    )
    intake_required = models.BooleanField(
        default=True,
        help_text="Patients are asked to answer the hair-loss questions before the visit: "
        "reminded by e-mail if unfinished, and staff see the intake as missing.",
    )
    practitioners = models.ManyToManyField(
        Practitioner, related_name="consultation_types", blank=True
    )
    resources = models.ManyToManyField(
        "Resource",
        related_name="consultation_types",
        blank=True,
        help_text="Procedures only: the rooms and equipment each session holds, buffers "
        "included. At a location, the ones there are needed; where there are none, it cannot "
        "be booked.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive types cannot be booked.")
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order on the booking page: lower numbers come first."
    )

    class Meta:
        ordering = ["position", "duration_minutes", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="consultation_type_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(slot_interval_minutes__gt=0),
                name="consultation_type_interval_positive",
            ),
            models.CheckConstraint(
                condition=Q(horizon_days__gt=0), name="consultation_type_horizon_positive"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="consultation_type_price_not_negative"
            ),
            # The hair-loss questions come before a consultation; a treatment session has its
            # own health check, and its patient is not reminded of questions it never shows.
            models.CheckConstraint(
                condition=Q(kind="consultation") | Q(intake_required=False),
                name="consultation_type_procedure_asks_no_intake",
                violation_error_message="A procedure does not ask the hair-loss questions "
                "(its patients answer a health check before each session): untick “Intake "
                "required”.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def duration(self):
        return timedelta(minutes=self.duration_minutes)

    @property
    def is_procedure(self):
        return self.kind == self.Kind.PROCEDURE

    @classmethod
    def bookable_online_values(cls) -> dict:
        """What makes a type one patients may book themselves: active consultations
        (procedures are booked from a treatment plan or by staff). The slot picker's written-out
        query reads it too (bookings/picker_cache.py)."""
        return {"is_active": True, "kind": cls.Kind.CONSULTATION}

    @classmethod
    def bookable_online(cls):
        """The types patients may book themselves (``bookable_online_values``)."""
        return cls.objects.filter(**cls.bookable_online_values())

    @property
    def is_free(self):
        return not self.price


class WorkingHours(models.Model):
    """One span of a practitioner's weekly hours at a location; a day may have several."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="working_hours"
    )
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField(help_text="Local time at the location.")
    end_time = models.TimeField(help_text="Local time at the location.")

    class Meta:
        ordering = ["practitioner", "weekday", "start_time"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="working_hours_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="working_hours_valid_weekday"
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M} "
            f"at {self.location}"
        )

    def clean(self):
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": "The end time must be after the start time."})
        # Overlaps between spans are checked across all of a practitioner's rows at once, in
        # the admin's formset (bookings.admin.WorkingHoursFormSet), where edits and deletions
        # made in the same save are known.


class TimeOff(models.Model):
    """A dated exception to a practitioner's hours: leave, training, a blocked afternoon."""

    class Reason(models.TextChoices):
        LEAVE = "leave", "Leave"
        TRAINING = "training", "Training"
        BLOCKED = "blocked", "Blocked time"
        OTHER = "other", "Other"

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.LEAVE)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="time_off_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["practitioner", "ends_at"], name="time_off_pract_end_idx")]

    def __str__(self):
        return f"{self.get_reason_display()} for {self.practitioner}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "Time off must end after it starts."})


class Resource(models.Model):
    """A room or a piece of equipment at a location, which a procedure holds while it lasts.

    It has weekly hours of its own (``ResourceHours``): a resource with none is never free, and
    an inactive one (out of service) is never free either.
    """

    class Kind(models.TextChoices):
        ROOM = "room", "Room"
        EQUIPMENT = "equipment", "Equipment"

    name = models.CharField(
        max_length=120, help_text="Shown to staff, e.g. Procedure room or Centrifuge."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ROOM)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="resources")
    active = models.BooleanField(
        default=True, help_text="An inactive resource (out of service) is never offered."
    )

    class Meta:
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="resource_unique_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.location})"


class ResourceHours(models.Model):
    """One span of a resource's weekly hours, in the wall-clock time of its location."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=WorkingHours.Weekday.choices)
    start_time = models.TimeField(help_text="Local time at the resource's location.")
    end_time = models.TimeField(help_text="Local time at the resource's location.")

    class Meta:
        ordering = ["resource", "weekday", "start_time"]
        verbose_name_plural = "resource hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="resource_hours_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="resource_hours_valid_weekday"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self):
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": "The end time must be after the start time."})


class BookingQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(status=Booking.Status.CANCELLED)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for booking in objs:  # bulk_create skips save(), which sets the digest
            booking.token_digest = token_digest(booking.token)
        return super().bulk_create(objs, *args, **kwargs)

    def for_private_link(self, token: str):
        """The booking whose private link carries ``token``, or None.

        Found by the token's digest, then the token itself is compared in constant time.
        """
        booking = self.filter(token_digest=token_digest(token)).first()
        if booking is None or not constant_time_compare(booking.token, token):
            return None
        return booking


class Booking(models.Model):
    """A patient's consultation with a practitioner.

    ``blocked_from``/``blocked_until`` widen the consultation by the type's buffers, copied at
    booking time so that a later change to the type does not move existing bookings. Two active
    bookings of one practitioner may not overlap on those blocked intervals, and two active
    bookings of one patient may not overlap at all.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="bookings"
    )
    # No index of their own: each leads a composite index that serves the same reads
    # (``booking_pract_until_idx``, ``booking_location_start_idx``; migration 0028).
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="bookings", db_index=False
    )
    consultation_type = models.ForeignKey(
        ConsultationType, on_delete=models.PROTECT, related_name="bookings"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="bookings", db_index=False
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    blocked_from = models.DateTimeField()
    blocked_until = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONFIRMED)
    # Unique through its digest (a token with another's digest would be that token), by which
    # the private link finds its booking: no index of its own (migration 0028).
    token = models.CharField(max_length=64, default=new_booking_token, editable=False)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    # Every booking has its own room; it is used when the consultation type is by video. It is
    # as secret as the private link: anyone holding it can join the call.
    video_room = models.CharField(max_length=64, default=new_video_room, editable=False)
    sequence = models.PositiveIntegerField(
        default=0, help_text="Raised when the patient's calendar entry changes: moved or cancelled."
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    reminder_sent_for_sequence = models.PositiveIntegerField(
        null=True, blank=True, help_text="The booking version whose reminder went out."
    )
    intake_reminders_sent = models.JSONField(
        default=list,
        blank=True,
        help_text="The reminders to finish the intake already sent, as 'version:days before'.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Whether the patient's answers (a HairLossIntake) exist, so that the review queue and
    # "intake missing" each walk an index of only the bookings they list, where walking all
    # confirmed bookings and asking each read thousands to show 25. Kept by the database
    # (triggers on the intake table, and on this one against a save from a stale instance:
    # migration 0021), never set from Python. Read it in queries: an instance loaded before the
    # answers came keeps the old value.
    intake_received = models.BooleanField(default=False, editable=False)
    # Whether the consultation's assessment exists (a draft too), kept by the database in the
    # same way (triggers on the assessment table: migration 0025), so that the review queue's
    # index holds only the consultations still waiting, and its page and count walk none that
    # were assessed. Read it in queries, never set it.
    assessed = models.BooleanField(default=False, editable=False)

    objects = BookingQuerySet.as_manager()
    # Every change is kept, except the private link's secret and the video room's, and the
    # copies of whether the answers and the assessment exist (their own history says when).
    history = audited(
        excluded_fields=["token", "token_digest", "video_room", "intake_received", "assessed"]
    )

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(blocked_from__lte=F("starts_at"), blocked_until__gte=F("ends_at")),
                name="booking_blocked_covers_consultation",
            ),
        ]
        indexes = [
            models.Index(fields=["practitioner", "blocked_until"], name="booking_pract_until_idx"),
            models.Index(fields=["location", "starts_at"], name="booking_location_start_idx"),
            # Every location's day (the staff day list) and the dashboard's twelve weeks: a
            # range of starts, with the status for the chart's counts without the table.
            models.Index(fields=["starts_at", "status"], name="booking_start_status_idx"),
            # The dashboard's weeks take their cancelled bookings and no-shows from here, a
            # week's few of them without walking its other bookings.
            models.Index(
                fields=["status", "starts_at"],
                condition=Q(status__in=["cancelled", "no_show"]),
                name="booking_closed_start_idx",
            ),
            # "Intake missing" (not answered): confirmed bookings in the page's order, walked
            # until a page is full, none answered on the way.
            models.Index(
                fields=["intake_received", "starts_at", "id"],
                condition=Q(status="confirmed"),
                name="booking_confirmed_intake_idx",
            ),
            # The review queue: confirmed consultations answered and not yet assessed, and no
            # other, in the page's order; its count walks them up to the cap and asks nothing
            # of any other table.
            models.Index(
                fields=["starts_at", "id"],
                condition=Q(status="confirmed", intake_received=True, assessed=False),
                name="booking_awaiting_review_idx",
            ),
        ]

    def __str__(self):
        return (
            f"{self.consultation_type} with {self.practitioner} at {self.starts_at:%Y-%m-%d %H:%M}"
        )

    def save(self, *args, **kwargs):
        self.digest_token()
        super().save(*args, **kwargs)

    def digest_token(self) -> None:
        """Keep the digest of the private link's token with it: every save does, and so does
        the written-out insert of a new booking (``clinic.audit.insert_audited``)."""
        self.token_digest = token_digest(self.token)

    @property
    def is_active(self):
        return self.status != self.Status.CANCELLED

    # What of a booking decides its practitioner's free times: who, the blocked interval, and
    # whether it is active. Check-in, completion and no-show change none of them.
    SCHEDULE_FIELDS = frozenset({"practitioner", "blocked_from", "blocked_until", "status"})
    _SCHEDULE_ATTRIBUTES = ("practitioner_id", "blocked_from", "blocked_until", "status")

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._schedule_as_loaded = instance._schedule_footprint()
        return instance

    def _schedule_footprint(self):
        """The booking's mark on free times, or None when a field of it was not loaded."""
        loaded = self.__dict__
        if any(name not in loaded for name in self._SCHEDULE_ATTRIBUTES):
            return None
        return (self.practitioner_id, self.blocked_from, self.blocked_until, self.is_active)

    def schedule_change(self, *, created: bool, update_fields=None) -> set[int]:
        """Return the practitioners whose free times this save may have moved (none for a
        check-in, a completion or a no-show), and remember the saved state for the next save.

        Called once per save, by the receiver that raises the schedule versions."""
        if (
            not created
            and update_fields is not None
            and not (self.SCHEDULE_FIELDS & set(update_fields))
        ):
            return set()
        before = None if created else getattr(self, "_schedule_as_loaded", None)
        after = self._schedule_footprint()
        self._schedule_as_loaded = after
        if before is not None and before == after:
            return set()
        # Unknown before (not loaded from the database): assume the worst, as before.
        return {pk for pk in (self.practitioner_id, before and before[0]) if pk}

    @property
    def local_starts_at(self):
        return self.starts_at.astimezone(self.location.zone)

    @property
    def is_video(self):
        return self.consultation_type.mode == ConsultationType.Mode.VIDEO

    @property
    def video_link(self) -> str:
        """The address of this booking's video call, or "" for a visit in person."""
        return video_room_link(self.video_room) if self.is_video else ""


def draft_expiry():
    return timezone.now() + timedelta(hours=24)


class ResourceHold(models.Model):
    """A room or piece of equipment held by an active booking of a procedure, over the
    booking's blocked interval (buffers included).

    Holds follow their booking: written with it, moved with it, deleted when it is cancelled
    or the patient does not come. On PostgreSQL an exclusion constraint (migration 0013) makes
    two holds of one resource at overlapping times impossible.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="holds")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="holds")
    held_from = models.DateTimeField()
    held_until = models.DateTimeField()

    class Meta:
        ordering = ["held_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(held_until__gt=F("held_from")), name="resource_hold_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["booking", "resource"], name="resource_hold_once_per_booking"
            ),
        ]
        indexes = [
            models.Index(fields=["resource", "held_until"], name="resource_hold_until_idx"),
        ]

    def __str__(self):
        return f"{self.resource} held by booking {self.booking_id}"


class BookingDraft(models.Model):
    """A booking being filled in: the chosen slot, what the patient typed, their photos.

    It keeps everything across a failed submit or a slot taken meanwhile, and makes confirming
    idempotent: once ``booking`` is set, confirming again leads to that same booking.
    """

    token = models.CharField(max_length=64, unique=True, default=new_booking_token, editable=False)
    consultation_type = models.ForeignKey(ConsultationType, on_delete=models.CASCADE)
    location = models.ForeignKey(Location, on_delete=models.CASCADE)
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text="Empty for the first available practitioner.",
    )
    starts_at = models.DateTimeField()
    form_data = models.JSONField(default=dict)
    # A foreign key, not one-to-one, as it has been: drafts confirmed before a patient's second
    # draft for a time they already held was refused may lead to one booking.
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="drafts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=draft_expiry)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="draft_expires_idx")]

    def __str__(self):
        return f"Draft {self.consultation_type} at {self.starts_at:%Y-%m-%d %H:%M}"


class CalendarFeed(models.Model):
    """A practitioner's private diary feed: an address their own calendar app polls.

    Only the SHA-256 of the address's token is kept, as for a patient's private link: the
    token is shown once, when made, and a copy of this table opens no diary. Making a new one
    replaces the digest, so the old address stops working at once.
    """

    practitioner = models.OneToOneField(
        Practitioner, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"Diary feed of {self.practitioner}"


# The waitlist's models live in a module of their own, to keep this one readable; imported
# here so that Django finds them as models of this app.
from bookings.closure_models import Closure  # noqa: E402, F401
from bookings.waitlist_models import WaitlistEntry, WaitlistOffer, WaitlistOpening  # noqa: E402, F401
from bookings.week_count_models import BookingWeekCount  # noqa: E402, F401
