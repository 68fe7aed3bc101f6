"""Patients, their hair-loss intake, photos, consents, and the screening rules read from it."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from phonenumber_field.modelfields import PhoneNumberField

from clinic.audit import audited
from clinic.text import validate_single_line
from patients import choices
from patients.storage import private_storage


class Patient(models.Model):
    """A person who books consultations; one patient, many bookings. No account, no password."""

    # One line each: names go into e-mail subjects and calendar files (clinic.text).
    first_name = models.CharField(max_length=100, validators=[validate_single_line])
    last_name = models.CharField(max_length=100, validators=[validate_single_line])
    email = models.EmailField()
    # In international form (E.164), read in the country of the booking's location.
    phone = PhoneNumberField(blank=True)
    date_of_birth = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When their personal data was erased at their request."
    )
    # The patient's home (no password): signing in through an e-mailed link sets this, and every
    # link sent before is signed over the old value, so each link works once (patients.home).
    home_signed_in_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A new address the patient asked for, not yet confirmed by the link sent to it.
    pending_email = models.EmailField(blank=True)
    history = audited()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            # A returning patient is matched by e-mail in any case and birth date, on every
            # booking: the index is on the upper-cased e-mail that lookup compares.
            models.Index(Upper("email"), F("date_of_birth"), name="patient_email_ci_dob_idx"),
        ]
        permissions = [
            ("export_patient", "Can export everything held about a patient"),
            ("erase_patient", "Can erase a patient's personal data"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"


class HairLossIntake(models.Model):
    """What the patient tells the clinic about their hair loss before one consultation."""

    booking = models.OneToOneField(
        "bookings.Booking", on_delete=models.CASCADE, related_name="intake"
    )
    main_concern = models.CharField(max_length=32, choices=choices.MAIN_CONCERNS)
    main_concern_detail = models.CharField(max_length=500, blank=True)
    areas = models.JSONField(default=list)
    onset = models.CharField(max_length=16, choices=choices.ONSET)
    progression = models.CharField(max_length=16, choices=choices.PROGRESSION)
    stage = models.CharField(max_length=16, choices=choices.STAGES)
    family_history = models.JSONField(default=list)
    triggers = models.JSONField(default=list)
    previous_treatments = models.JSONField(
        default=dict, help_text="Per treatment tried: how long, and how it went."
    )
    screening = models.JSONField(default=dict, help_text="Medical screening answers by question.")
    current_medicines = models.TextField(blank=True)
    goals = models.TextField(blank=True)
    treatments_of_interest = models.JSONField(default=list)
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    history = audited()

    def __str__(self):
        return f"Intake for {self.booking}"


class IntakeInProgress(models.Model):
    """Answers to the intake that a patient saved to finish later, exactly as typed (valid or
    not), with any photos sent meanwhile. Sending the finished intake moves them into it."""

    booking = models.OneToOneField(
        "bookings.Booking", on_delete=models.CASCADE, related_name="intake_in_progress"
    )
    answers = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Intake in progress for {self.booking}"


class IntakePhoto(models.Model):
    """A scalp photo, re-encoded without metadata, kept in private storage.

    It belongs to a booking draft while the patient is booking (drafts made before the intake
    came after booking), to an intake in progress while the patient answers, then to the intake.
    """

    draft = models.ForeignKey(
        "bookings.BookingDraft",
        on_delete=models.CASCADE,
        related_name="photos",
        null=True,
        blank=True,
    )
    intake = models.ForeignKey(
        HairLossIntake, on_delete=models.CASCADE, related_name="photos", null=True, blank=True
    )
    in_progress = models.ForeignKey(
        IntakeInProgress, on_delete=models.CASCADE, related_name="photos", null=True, blank=True
    )
    view = models.CharField(max_length=16, choices=choices.PHOTO_VIEWS)
    image = models.FileField(storage=private_storage, upload_to="scalp-photos/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["view", "uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(draft__isnull=False)
                | Q(intake__isnull=False)
                | Q(in_progress__isnull=False),
                name="intake_photo_has_owner",
            )
        ]

    def __str__(self):
        return f"{self.get_view_display()} photo"


class Consent(models.Model):
    """What a patient agreed to, which version of the text, and when; and when they withdrew it.

    The rows are the history: a consent given is a row, withdrawing it dates that row, and
    giving it again is a new row. Given at booking, a consent names the booking; given from the
    patient's home, none.
    """

    class Kind(models.TextChoices):
        CARE = "care", "Processing of my data for my care"
        PHOTOS_BEYOND_CARE = "photos_beyond_care", "Use of my photos beyond my care"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.CASCADE,
        related_name="consents",
        null=True,
        blank=True,
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    text_version = models.CharField(max_length=20)
    text = models.TextField()
    agreed_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agreed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("agreed_at")),
                name="consent_withdrawn_after_agreed",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.text_version})"


class ErasureRequest(models.Model):
    """A patient's request, from their home, that the clinic erase their personal data.

    A clinic admin carries it out with the staff erasure (``bookings.privacy.patient_erase``),
    after checking what the law obliges the clinic to keep. One request per patient.
    """

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="erasure_request"
    )
    requested_at = models.DateTimeField()

    def __str__(self):
        return f"Erasure requested {self.requested_at:%Y-%m-%d}"


class ScreeningRule(models.Model):
    """One screening rule, kept as data: an answer to a question flags a treatment."""

    question = models.CharField(max_length=32, choices=choices.SCREENING_QUESTION_CHOICES)
    answer = models.CharField(max_length=16, choices=choices.SCREENING_ANSWERS)
    treatment = models.CharField(max_length=16, choices=choices.FLAG_TREATMENTS)
    severity = models.CharField(max_length=16, choices=choices.SEVERITIES)
    reason = models.CharField(max_length=300, help_text="Shown to the practitioner.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["question", "treatment"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "answer", "treatment"], name="screening_rule_unique"
            )
        ]

    def __str__(self):
        return f"{self.get_question_display()} = {self.answer} → {self.severity} {self.treatment}"


class ScreeningFlag(models.Model):
    """A rule that fired for one intake, stored with it for the practitioner's review."""

    intake = models.ForeignKey(HairLossIntake, on_delete=models.CASCADE, related_name="flags")
    rule = models.ForeignKey(ScreeningRule, on_delete=models.SET_NULL, null=True, blank=True)
    treatment = models.CharField(max_length=16, choices=choices.FLAG_TREATMENTS)
    severity = models.CharField(max_length=16, choices=choices.SEVERITIES)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.get_severity_display()}: {self.get_treatment_display()}"


class Assessment(models.Model):
    """A practitioner's assessment of one consultation and what they recommend.

    The patient sees ``patient_summary`` through their private link once it is signed off.
    """

    booking = models.OneToOneField(
        "bookings.Booking", on_delete=models.CASCADE, related_name="assessment"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    # A draft may leave any of these for later; signing off asks for every one
    # (``REQUIRED_TO_SIGN_OFF``), and the constraint below holds the coded ones.
    pattern = models.CharField(max_length=24, choices=choices.PATTERNS, blank=True)
    stage = models.CharField(max_length=16, choices=choices.STAGES, blank=True)
    likely_cause = models.CharField(max_length=24, choices=choices.LIKELY_CAUSES, blank=True)
    recommendations = models.JSONField(default=list, blank=True)
    rationale = models.TextField(blank=True)
    patient_summary = models.TextField(help_text="Plain words, for the patient.", blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    # Recorded as the flags read when the practitioner saved, so that a rule changed later
    # does not rewrite what they were shown and weighed.
    acknowledged_flags = models.JSONField(
        default=list,
        blank=True,
        help_text="The screening flags against a recommended option that the practitioner "
        "acknowledged: treatment, severity and reason of each.",
    )
    follow_up = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The next visit booked with this assessment.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = audited()

    class Meta:
        # The dashboard reads the few made since a moment that ``RecommendationDay`` does not
        # count by whole days (staff/charts.py).
        indexes = [models.Index(fields=["created_at"], name="assessment_created_idx")]
        constraints = [
            # What a plan is made from and the clinic's figures count is never half-written.
            # The words (rationale, summary) are asked for at sign-off too (the service), but
            # are not held here: an erasure removes them and keeps the coded findings.
            models.CheckConstraint(
                condition=Q(signed_off_at__isnull=True)
                | (~Q(pattern="") & ~Q(stage="") & ~Q(likely_cause="") & ~Q(recommendations=[])),
                name="assessment_signed_off_complete",
            )
        ]

    # What a draft may leave empty and a signed-off assessment may not, in the form's order.
    REQUIRED_TO_SIGN_OFF = (
        "pattern",
        "stage",
        "likely_cause",
        "recommendations",
        "rationale",
        "patient_summary",
    )

    def __str__(self):
        return f"Assessment of {self.booking}"

    def missing(self) -> list[str]:
        """The parts still empty (``REQUIRED_TO_SIGN_OFF``), by name; none once complete."""
        return [name for name in self.REQUIRED_TO_SIGN_OFF if not getattr(self, name)]

    @property
    def is_complete(self) -> bool:
        return not self.missing()

    def finding(self) -> str:
        """Cause, pattern and stage in words, those chosen (a draft may leave some for later)."""
        parts = [
            self.get_likely_cause_display(),
            self.get_pattern_display(),
            self.get_stage_display(),
        ]
        return " · ".join(part for part in parts if part) or "Not chosen yet"

    def recommendation_labels(self) -> list[str]:
        """The recommended options in words, in the order the practitioner chose them."""
        names = dict(choices.RECOMMENDATIONS)
        return [names.get(code, code) for code in self.recommendations]

    def acknowledged_flag_labels(self) -> list[str]:
        """The acknowledged screening flags in words, as they read when acknowledged."""
        severities = dict(choices.SEVERITIES)
        return [
            f"{severities.get(flag.get('severity'), flag.get('severity'))}: {flag.get('reason')}"
            for flag in self.acknowledged_flags
        ]


class RecommendationDay(models.Model):
    """How many times the signed-off assessments made on one day (UTC) recommend one option:
    the dashboard's "recommendations by treatment" adds up a few hundred of these, where reading
    every assessment of twelve weeks took tens of milliseconds in a busy clinic. A draft counts
    once signed off (it may be half-written, or its options tried and changed, until then), on
    the day it was made: signing off an old draft adds to that day's figures.

    Kept by the database (triggers on the assessment table, migrations 0016 and 0018) however an
    assessment is added, changed, signed off or deleted; never written from Python. A day's count
    of an option no longer recommended stays, at 0."""

    day = models.DateField()
    option = models.TextField()
    count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "option"], name="recommendation_day_unique")
        ]

    def __str__(self):
        return f"{self.option} on {self.day}: {self.count}"


# The sane ranges of the practitioner's figures, for the form, the service and the database.
DENSITY_MAX = 500  # hairs per cm²: a full, healthy scalp has about 150 to 300
PULL_TEST_MAX = 60  # hairs come out of a pull of about 60 hairs
SHEDDING_RANGE = (1, 6)  # Sinclair's shedding scale
DENSITY_FIELDS = [f"{zone}_density" for zone, _ in choices.SCALP_ZONES]
THIN_FIELDS = [f"{zone}_thin" for zone, _ in choices.SCALP_ZONES]


def _between(field, low, high):
    """A check that ``field`` is empty or within [low, high]."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": low, f"{field}__lte": high}),
        name=f"measures_{field}_range",
    )


class VisitMeasures(models.Model):
    """What the practitioner measured at one visit (a consultation, review or procedure).

    Every figure is optional, since not every visit measures everything; a chart shows a gap
    where a figure is missing rather than a zero.
    """

    booking = models.OneToOneField(
        "bookings.Booking", on_delete=models.CASCADE, related_name="measures"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=4, blank=True, choices=choices.VISIT_STAGES)
    frontal_density = models.PositiveSmallIntegerField(null=True, blank=True)
    mid_scalp_density = models.PositiveSmallIntegerField(null=True, blank=True)
    crown_density = models.PositiveSmallIntegerField(null=True, blank=True)
    donor_density = models.PositiveSmallIntegerField(null=True, blank=True)
    frontal_thin = models.PositiveSmallIntegerField(null=True, blank=True)
    mid_scalp_thin = models.PositiveSmallIntegerField(null=True, blank=True)
    crown_thin = models.PositiveSmallIntegerField(null=True, blank=True)
    donor_thin = models.PositiveSmallIntegerField(null=True, blank=True)
    pull_test = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Hairs out of a gentle pull of about 60."
    )
    shedding = models.PositiveSmallIntegerField(null=True, blank=True, choices=choices.SHEDDING)
    notes = models.TextField(blank=True)
    shared_with_patient = models.BooleanField(
        default=False, help_text="The patient may see this visit's figures and photos."
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = audited()

    class Meta:
        verbose_name = "visit measures"
        verbose_name_plural = "visit measures"
        constraints = [
            models.CheckConstraint(
                condition=Q(stage="") | Q(stage__in=choices.VISIT_STAGE_CODES),
                name="measures_stage_known",
            ),
            *(_between(name, 0, DENSITY_MAX) for name in DENSITY_FIELDS),
            *(_between(name, 0, 100) for name in THIN_FIELDS),
            _between("pull_test", 0, PULL_TEST_MAX),
            _between("shedding", *SHEDDING_RANGE),
        ]

    def __str__(self):
        return f"Measures at {self.booking}"

    @property
    def scale(self) -> str:
        """The stage's scale code ("nw", "lu", "si"), or "" with no stage."""
        return self.stage[:2]


class ClinicPhoto(models.Model):
    """A standard view photographed by staff at a visit: re-encoded without metadata, kept in
    private storage, one per view and visit (a retake replaces it)."""

    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.CASCADE, related_name="clinic_photos"
    )
    view = models.CharField(max_length=8, choices=choices.CLINIC_PHOTO_VIEWS)
    image = models.FileField(storage=private_storage, upload_to="scalp-photos/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(auto_now_add=True)
    history = audited()

    class Meta:
        ordering = ["booking", "view"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "view"], name="clinic_photo_one_per_view"),
            models.CheckConstraint(
                condition=Q(view__in=[code for code, _ in choices.CLINIC_PHOTO_VIEWS]),
                name="clinic_photo_view_known",
            ),
        ]

    def __str__(self):
        return f"{self.get_view_display()} photo at {self.booking_id}"


class SelfRating(models.Model):
    """The patient's own view of their hair, given through their link before a review: how
    they rate it now (0 to 10) and how satisfied they are (1 to 5). One per visit; answering
    again before the visit corrects it."""

    booking = models.OneToOneField(
        "bookings.Booking", on_delete=models.CASCADE, related_name="self_rating"
    )
    hair_now = models.PositiveSmallIntegerField(
        help_text="How the patient rates their hair now, 0 (worst) to 10 (best)."
    )
    satisfaction = models.PositiveSmallIntegerField(choices=choices.SATISFACTION)
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(hair_now__gte=choices.HAIR_RATING_RANGE[0])
                & Q(hair_now__lte=choices.HAIR_RATING_RANGE[1]),
                name="self_rating_hair_now_range",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1, satisfaction__lte=len(choices.SATISFACTION)),
                name="self_rating_satisfaction_range",
            ),
        ]

    def __str__(self):
        return f"Patient's own rating at {self.booking_id}"
