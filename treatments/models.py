"""Treatment protocols (a treatment's standard course, as data) and patients' plans made from them.

A protocol's steps each book a consultation type of the bookings layer, a spacing window after
the step before. A plan copies the steps it uses, so that a later edit of the protocol in the
admin changes no plan already proposed to a patient. Hard rules live in the database: status
values, a reason for a declined or stopped plan, windows that end after they begin.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from clinic.audit import audited
from patients.choices import RECOMMENDATIONS

validate_currency = RegexValidator(
    r"^[A-Z]{3}$", "Use the three-letter ISO 4217 code of the currency, e.g. GBP or AED."
)


class StepKind(models.TextChoices):
    PROCEDURE = "procedure", "Procedure"
    REVIEW = "review", "Review"
    CHECK_IN = "check_in", "Check-in"
    TOP_UP = "top_up", "Top-up"


class Protocol(models.Model):
    """A treatment's standard course: its steps, what results to expect and when, its risks."""

    treatment = models.CharField(max_length=24, choices=RECOMMENDATIONS)
    name = models.CharField(max_length=120, unique=True)
    summary = models.TextField(blank=True, help_text="What the course is, for the patient.")
    judge_from_months = models.PositiveSmallIntegerField(
        help_text="Results can fairly be judged from this many months after the first session."
    )
    judge_to_months = models.PositiveSmallIntegerField(
        help_text="…and by this many months after it."
    )
    expectations = models.TextField(blank=True, help_text="What results to expect, plainly.")
    risks = models.TextField(help_text="Shown to the patient before they accept a plan.")
    is_active = models.BooleanField(default=True, help_text="Inactive protocols are not offered.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(judge_to_months__gte=F("judge_from_months")),
                name="protocol_judge_window_ordered",
            ),
        ]

    def __str__(self):
        return self.name


class ProtocolStep(models.Model):
    """One step of a protocol. The first step's window counts from the plan's start date; each
    later one's from the step before it."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    name = models.CharField(max_length=120, help_text="e.g. PRP session 2.")
    consultation_type = models.ForeignKey(
        "bookings.ConsultationType", on_delete=models.PROTECT, related_name="protocol_steps"
    )
    min_days_after = models.PositiveSmallIntegerField(
        help_text="Earliest, in days after the step before (the plan's start for the first)."
    )
    max_days_after = models.PositiveSmallIntegerField(help_text="Latest, in days after it.")
    preparation = models.TextField(blank=True)
    aftercare = models.TextField(blank=True)

    class Meta:
        ordering = ["protocol", "order"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "order"], name="protocol_step_order"),
            models.CheckConstraint(
                condition=Q(max_days_after__gte=F("min_days_after")),
                name="protocol_step_window_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.protocol}: {self.order}. {self.name}"


class StepPrice(models.Model):
    """What a step costs at a location. Locations carry no currency, so the price says its own."""

    step = models.ForeignKey(ProtocolStep, on_delete=models.CASCADE, related_name="prices")
    location = models.ForeignKey(
        "bookings.Location", on_delete=models.CASCADE, related_name="step_prices"
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[validate_currency])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "location"], name="step_price_per_location"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="step_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} at {self.location}"


class ConsentText(models.Model):
    """The procedure consent a patient signs for a treatment; a new wording is a new version."""

    treatment = models.CharField(max_length=24, choices=RECOMMENDATIONS)
    version = models.CharField(max_length=20)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["treatment", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["treatment", "version"], name="consent_text_version"),
        ]

    def __str__(self):
        return f"{self.get_treatment_display()} consent, version {self.version}"


class Plan(models.Model):
    """A patient's course, made by a practitioner after a completed, assessed consultation."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_plans"
    )
    consultation = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, related_name="treatment_plans"
    )
    assessment = models.ForeignKey(
        "patients.Assessment", on_delete=models.PROTECT, related_name="treatment_plans"
    )
    practitioner = models.ForeignKey(
        "bookings.Practitioner", on_delete=models.PROTECT, related_name="treatment_plans"
    )
    location = models.ForeignKey(
        "bookings.Location", on_delete=models.PROTECT, related_name="treatment_plans"
    )
    protocols = models.ManyToManyField(Protocol, related_name="plans")
    starts_on = models.DateField(help_text="The first steps' windows count from this date.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    reason = models.CharField(max_length=500, blank=True)
    patient_note = models.TextField(blank=True)
    talk_requested_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient was last reminded of a visit due."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = audited()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "accepted", "in_progress", "completed"])
                | Q(status__in=["declined", "stopped"], reason__gt=""),
                name="plan_status_valid_with_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="plan_status_idx")]

    def __str__(self):
        return f"Plan {self.pk} for {self.patient}"

    @property
    def is_open(self):
        return self.status in (self.Status.PROPOSED, self.Status.ACCEPTED, self.Status.IN_PROGRESS)


class PlanStep(models.Model):
    """One session or review of a plan, copied from its protocol step, with its window."""

    class Status(models.TextChoices):
        PLANNED = "planned", "To book"
        BOOKED = "booked", "Booked"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="steps")
    protocol_step = models.ForeignKey(ProtocolStep, on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    name = models.CharField(max_length=120)
    consultation_type = models.ForeignKey(
        "bookings.ConsultationType", on_delete=models.PROTECT, related_name="+"
    )
    min_days_after = models.PositiveSmallIntegerField()
    max_days_after = models.PositiveSmallIntegerField()
    earliest = models.DateField()
    latest = models.DateField()
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    booking = models.OneToOneField(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_step",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    history = audited()

    class Meta:
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "order"], name="plan_step_order"),
            models.CheckConstraint(
                condition=Q(latest__gte=F("earliest")), name="plan_step_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(max_days_after__gte=F("min_days_after")),
                name="plan_step_spacing_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "booked", "done", "skipped"]),
                name="plan_step_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.order}. {self.name}"


class PlanConsent(models.Model):
    """A procedure consent signed online: the exact text and version, the name the patient
    typed, when, and from which address."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="consents")
    consent_text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=20)
    text = models.TextField()
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "consent_text"], name="plan_consent_once"),
        ]

    def __str__(self):
        return f"Consent {self.version} signed by {self.signed_name}"


class SessionRecord(models.Model):
    """What was done at a procedure: product, lot, dose, sites, device settings, anything
    unexpected. One per procedure booking; every change is kept in its history."""

    booking = models.OneToOneField(
        "bookings.Booking", on_delete=models.PROTECT, related_name="session_record"
    )
    plan_step = models.ForeignKey(
        PlanStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="records"
    )
    product = models.CharField(max_length=200)
    lot = models.CharField("Lot or batch number", max_length=100)
    volume_or_dose = models.CharField("Volume or dose", max_length=100)
    sites = models.CharField("Sites treated", max_length=500)
    device_settings = models.TextField(blank=True)
    unexpected = models.TextField("Anything unexpected", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    history = audited()

    def __str__(self):
        return f"Session record of booking {self.booking_id}"


RESCREEN_QUESTIONS = [
    ("new_medicines", "Have you started any new medicine since your last visit?"),
    ("blood_thinners", "Are you taking aspirin, a blood thinner or an anti-inflammatory?"),
    ("infection", "Do you have an infection, a cold sore or a skin problem on your scalp?"),
    ("illness", "Have you been unwell or had a fever in the last two weeks?"),
    ("pregnancy", "Are you pregnant, or could you be, or breastfeeding?"),
]


# The health check opens this long before a session (the request goes two days before).
RESCREEN_OPENS_BEFORE = timedelta(days=3)


def rescreen_flagged() -> Q:
    """Health checks with at least one "yes", as a database filter (works on both databases)."""
    flagged = Q(pk__in=[])
    for key, _ in RESCREEN_QUESTIONS:
        flagged |= Q(**{f"answers__{key}": "yes"})
    return flagged


def rescreen_current() -> Q:
    """Health checks answered for their session's present time: one answered before the
    session was moved to a later day says nothing of the patient's health before the new one."""
    return Q(submitted_at__gte=F("booking__starts_at") - RESCREEN_OPENS_BEFORE)


class Rescreen(models.Model):
    """The patient's short health check before a procedure. A "yes" holds the session for the
    practitioner's review until they clear it with a note, or move the session (to a later day:
    the patient is then asked again before the new one)."""

    booking = models.OneToOneField(
        "bookings.Booking", on_delete=models.CASCADE, related_name="rescreen"
    )
    answers = models.JSONField(default=dict)
    details = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cleared_note = models.TextField(
        blank=True, help_text="What the practitioner checked before letting the session go ahead."
    )
    history = audited()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | Q(cleared_note__gt=""),
                name="rescreen_cleared_with_a_note",
            ),
        ]

    def __str__(self):
        return f"Health check before booking {self.booking_id}"

    @property
    def flags(self) -> list[str]:
        return [text for key, text in RESCREEN_QUESTIONS if self.answers.get(key) == "yes"]

    @property
    def is_current(self) -> bool:
        """Tell whether it was answered for the session's present time (see rescreen_current)."""
        return self.submitted_at >= self.booking.starts_at - RESCREEN_OPENS_BEFORE

    @property
    def needs_review(self) -> bool:
        return bool(self.flags) and self.cleared_at is None and self.is_current


class RatingInvitation(models.Model):
    """The e-mail asking the patient to rate their hair before a review: at most one per
    review, whatever moves or retries follow (the database keeps it to one)."""

    booking = models.OneToOneField(
        "bookings.Booking", on_delete=models.CASCADE, related_name="rating_invitation"
    )
    sent_at = models.DateTimeField()

    def __str__(self):
        return f"Rating invitation for booking {self.booking_id}"


class OutcomeRecord(models.Model):
    """One course of one treatment that reached its "judge results at" window, for the clinic's
    outcome figures: whether the density and the patient's own rating improved.

    Anonymous by design: no date, no figure that could be matched to a visit, only the
    treatment and three yes/no/unknown facts. The link to the plan lets the record be kept up to
    date while the course goes on; erasing the patient cuts it, and the record stays.
    """

    plan = models.ForeignKey(
        Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="outcomes"
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="outcomes")
    treatment = models.CharField(max_length=24, choices=RECOMMENDATIONS)
    density_improved = models.BooleanField(
        null=True, help_text="Empty when density was not measured both before and in the window."
    )
    rating_improved = models.BooleanField(
        null=True, help_text="Empty when the patient did not rate their hair twice."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "protocol"],
                condition=Q(plan__isnull=False),
                name="outcome_once_per_plan_protocol",
            ),
        ]

    def __str__(self):
        return f"Outcome of {self.get_treatment_display()}"
