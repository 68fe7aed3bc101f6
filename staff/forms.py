"""Staff forms: the assessment, phone booking, and the query-string filters of the staff pages.

A filter form never refuses a page: a value that does not parse, or lies out of range, falls back
to its default, so that a hand-edited or stale link still opens something sensible.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.contrib import messages
from django.utils import timezone

from bookings.forms import DateOfBirthField, DayForm, PatientDetailsForm
from bookings.models import ConsultationType
from patients import choices
from patients.models import Assessment
from patients.screening import flags_against
from patients.services import flags_unacknowledged_message
from treatments.models import Protocol, SessionRecord

# How far from today the day and week views go: a year either way.
DAYS_SHOWN_EITHER_WAY = 366
PATIENT_QUERY_LENGTH = 100


# The two ways an assessment is saved: the name and values of its two submit buttons.
SAVE_DRAFT, SIGN_OFF = "draft", "sign_off"
SIGN_OFF_NEEDS = "Needed to sign off (a draft may leave it for later)."
SIGNED_OFF_KEEPS = "A signed-off assessment keeps every part: change it rather than empty it."


# An assessed pattern with a scale of its own: the stage codes' prefix, and how to say it.
STAGE_SCALE_OF_PATTERN = {
    "male_pattern": ("nh", "male pattern", "Norwood–Hamilton"),
    "female_pattern": ("l", "female pattern", "Ludwig"),
}


class AssessmentForm(forms.Form):
    """The assessment and recommendation, validated against the consultation's screening flags
    (``flags``): an option a flag speaks against needs the practitioner's acknowledgement."""

    # A draft may leave any part for later (``clean``): each starts unchosen, so that nothing
    # is signed off because a list happened to open on its first option.
    pattern = forms.ChoiceField(
        label="Pattern", choices=[("", "Choose…"), *choices.PATTERNS], required=False
    )
    stage = forms.ChoiceField(
        label="Stage", choices=[("", "Choose…"), *choices.STAGES], required=False
    )
    likely_cause = forms.ChoiceField(
        label="Likely cause", choices=[("", "Choose…"), *choices.LIKELY_CAUSES], required=False
    )
    recommendations = forms.MultipleChoiceField(
        label="Recommended options",
        choices=choices.RECOMMENDATIONS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    acknowledge_flags = forms.BooleanField(
        label="I have weighed the screening flags against the options I recommend.",
        required=False,
    )
    rationale = forms.CharField(
        label="Rationale (for the clinical record)",
        max_length=5000,
        widget=forms.Textarea({"rows": 4}),
        required=False,
    )
    patient_summary = forms.CharField(
        label="Summary for the patient",
        help_text="Plain words. The patient reads this through their booking link once signed off.",
        max_length=5000,
        widget=forms.Textarea({"rows": 4}),
        required=False,
    )
    follow_up_type = forms.ModelChoiceField(
        label="Book a follow-up",
        # A follow-up is a consultation; a treatment session is booked from its plan.
        queryset=ConsultationType.objects.filter(
            is_active=True, kind=ConsultationType.Kind.CONSULTATION
        ),
        required=False,
        empty_label="No follow-up now",
        help_text="Booked, and the patient e-mailed, when you sign off.",
    )
    follow_up_weeks = forms.IntegerField(
        label="In how many weeks", min_value=1, max_value=52, required=False
    )

    # The assessment's own parts, each asked for at sign-off.
    MODEL_FIELDS = list(Assessment.REQUIRED_TO_SIGN_OFF)

    def __init__(self, *args, flags=(), signed_off=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.flags = list(flags)
        # Saving a signed-off assessment again keeps it signed off (its one button).
        self.signed_off = signed_off
        self.flags_against = []

    @classmethod
    def initial_for(cls, *, assessment, intake) -> dict:
        """Start from the saved assessment; else pattern and stage from the patient's own
        answer, for the practitioner to confirm or correct."""
        if assessment is not None:
            initial = {name: getattr(assessment, name) for name in cls.MODEL_FIELDS}
            initial["acknowledge_flags"] = bool(assessment.acknowledged_flags)
            return initial
        stage = getattr(intake, "stage", "")
        initial = {"stage": stage} if stage else {}
        if stage.startswith("nh"):
            initial["pattern"] = "male_pattern"
        elif stage.startswith("l"):
            initial["pattern"] = "female_pattern"
        return initial

    def clean(self):
        cleaned = super().clean()
        options = cleaned.get("recommendations") or []
        if self.signs_off():
            for name in self.MODEL_FIELDS:
                if name not in self.errors and not cleaned.get(name):
                    self.add_error(name, SIGNED_OFF_KEEPS if self.signed_off else SIGN_OFF_NEEDS)
        if "no_treatment" in options and len(options) > 1:
            self.add_error("recommendations", "“No treatment” cannot be chosen with other options.")
        # A draft may choose the options later; once there are options, or at sign-off, they
        # must hold a referral.
        if (
            cleaned.get("likely_cause") == "scarring"
            and "referral" not in options
            and (options or self.signs_off())
        ):
            self.add_error("recommendations", "Scarring alopecia needs a specialist referral.")
        # (Weeks typed but refused already have their own message.)
        weeks_refused = "follow_up_weeks" in self.errors
        if not weeks_refused and (
            bool(cleaned.get("follow_up_type")) != bool(cleaned.get("follow_up_weeks"))
        ):
            self.add_error("follow_up_weeks", "Choose both the follow-up and when it should be.")
        if cleaned.get("follow_up_type") and not self.signs_off():
            # A booking e-mails the patient: nothing of a draft reaches them.
            self.add_error(
                "follow_up_type",
                "A follow-up is booked when you sign off: sign off now, or choose “No follow-up "
                "now” and clear the weeks to save a draft, and choose it when you sign off.",
            )
        scale = STAGE_SCALE_OF_PATTERN.get(cleaned.get("pattern"))
        stage = cleaned.get("stage") or ""
        if scale and stage != "not_sure" and stage and not stage.startswith(scale[0]):
            self.add_error("stage", f"A {scale[1]} is staged on the {scale[2]} scale.")
        self.flags_against = flags_against(self.flags, options)
        if self.flags_against and not cleaned.get("acknowledge_flags"):
            self.add_error("acknowledge_flags", flags_unacknowledged_message(self.flags_against))
        return cleaned

    def values(self):
        return {name: self.cleaned_data[name] for name in self.MODEL_FIELDS}

    def signs_off(self) -> bool:
        """Which button was pressed: only "Sign off and share" shares; anything else is a
        draft, the safe reading of a form sent without its button."""
        return self.data.get("action") == SIGN_OFF

    def follow_up(self):
        if self.cleaned_data.get("follow_up_type"):
            return self.cleaned_data["follow_up_type"], self.cleaned_data["follow_up_weeks"]
        return None


class PhoneBookingForm(PatientDetailsForm):
    """Reception books for a patient on the phone: the same details, consent given by phone.

    For a ``patient`` found on file the details are theirs already, and not asked again.
    """

    consent_care = forms.BooleanField(
        label="The patient agreed on the phone to the clinic using their information for care.",
        required=True,
        error_messages={"required": "Ask the patient for their agreement first."},
    )
    consent_photos = None
    start = forms.CharField(widget=forms.HiddenInput, required=False)
    date_of_birth = DateOfBirthField(label="Date of birth", whose="the patient's")
    BORN_IN_FUTURE = "That date of birth is in the future: please check the year with the patient."
    # The online form sends anyone under 18 to the phone; the rule here is the same, and the
    # person who takes the call is told who arranges it.
    UNDER_AGE = (
        "The patient is under 18. Bookings here are for adults: ask the clinic admin to arrange it."
    )

    DETAILS = ("first_name", "last_name", "email", "phone", "date_of_birth")

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["email"].help_text = "The confirmation and private link go to this address."
        self.fields["phone"].help_text = ""
        if patient is not None:
            for name in self.DETAILS:
                del self.fields[name]


def clinic_today(locations, now) -> date:
    """The date the diary pages call today: the first location's (by name), or UTC's with no
    location yet."""
    return now.astimezone(locations[0].zone).date() if locations else now.date()


def diary_day(data, *, today: date, field: str = "day", request=None, page_of=None) -> date:
    """The day a diary page shows: the one asked for, within a year of today; else today.
    With ``request``, a day asked for and not shown is explained in a message; ``page_of``
    gives the first day of the page a day is on (its week's Monday, its month's first), for a
    page that shows the one asked for whichever of its days was kept."""
    limit = timedelta(days=DAYS_SHOWN_EITHER_WAY)
    form = DayForm(data, first=today - limit, last=today + limit, default=today, field=field)
    chosen = form.chosen()
    asked = form.cleaned_data.get("day") if form.is_valid() else None
    same_page = page_of is not None and asked and page_of(asked) == page_of(chosen)
    if request is not None and form.note and not same_page:
        messages.info(request, form.note)
    return chosen


def bookable_day(
    data, *, today: date, horizon: timedelta, default: date | None = None, notes=None
) -> date:
    """The day staff book or move to: the one asked for, from today to ``horizon`` ahead.
    ``notes``: a list to which a day asked for and not shown adds why."""
    form = DayForm(data, first=today, last=today + horizon, default=default or today)
    if notes is not None and form.note:
        notes.append(form.note)
    return form.chosen()


class PatientSearchForm(forms.Form):
    """``?q=``: words of a name, e-mail or phone, and dates of birth."""

    q = forms.CharField(required=False, strip=True)

    BIRTH_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")

    def __init__(self, data):
        # NUL bytes cannot be sent to PostgreSQL in a query, and no name or e-mail holds one:
        # they are dropped before the field's own check would refuse the whole search.
        super().__init__({"q": data.get("q", "").replace("\x00", "")})

    def query(self) -> str:
        if not self.is_valid():
            return ""
        return self.cleaned_data["q"][:PATIENT_QUERY_LENGTH]

    @classmethod
    def birth_date(cls, word: str) -> date | None:
        for pattern in cls.BIRTH_DATE_FORMATS:
            try:
                return datetime.strptime(word, pattern).date()
            except ValueError:
                continue
        return None


class PageForm(forms.Form):
    """``?page=``: a page number from 1; else the first page."""

    page = forms.IntegerField(required=False, min_value=1)

    def number(self) -> int:
        if not self.is_valid() or self.cleaned_data["page"] is None:
            return 1
        return self.cleaned_data["page"]


class PlanForm(forms.Form):
    """A plan's protocols, start and note; each step's spacing is read by ``plan_step_rows``."""

    protocols = forms.ModelMultipleChoiceField(
        label="Protocols",
        queryset=Protocol.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="One or several, e.g. PRP with medication. Their visits run side by side.",
    )
    starts_on = forms.DateField(
        label="Start",
        widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
        help_text="Each protocol's first visit is due within its window from this day.",
    )
    patient_note = forms.CharField(
        label="Note for the patient",
        required=False,
        max_length=5000,
        widget=forms.Textarea({"rows": 3}),
    )

    def __init__(self, *args, protocols, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocols"].queryset = protocols

    def clean_starts_on(self):
        # A course starts soon after its consultation; a year's margin, so that a mistyped
        # year (9999, which the date box allows) is caught here rather than breaking the
        # windows worked out from it. (The plan's service refuses a start in the past.)
        starts_on = self.cleaned_data["starts_on"]
        if starts_on > timezone.localdate() + timedelta(days=PLAN_STARTS_WITHIN_DAYS):
            raise forms.ValidationError("Choose a start within a year from today.")
        return starts_on


PLAN_STARTS_WITHIN_DAYS = 365
MAX_SPACING_DAYS = 730


@dataclass
class PlanStepRow:
    """One protocol step as the practitioner set it on the plan form."""

    step: object
    include: bool
    min_days: int
    max_days: int
    error: str = ""
    # What was typed, shown back as typed (a refused "-5" is not replaced by the protocol's 21).
    min_typed: str | None = None
    max_typed: str | None = None

    @property
    def min_shown(self):
        return self.min_days if self.min_typed is None else self.min_typed

    @property
    def max_shown(self):
        return self.max_days if self.max_typed is None else self.max_typed


def plan_step_rows(protocols, data=None) -> list[PlanStepRow]:
    """The steps of ``protocols``: as the protocol has them, or as posted in ``data``
    (``include-<id>``, ``min-<id>``, ``max-<id>``), each with an error where it does not parse."""
    rows = []
    for protocol in protocols:
        for step in protocol.steps.all():
            # A protocol just ticked has no posted steps yet: it starts as the protocol has it.
            if data is None or f"min-{step.pk}" not in data:
                rows.append(PlanStepRow(step, True, step.min_days_after, step.max_days_after))
                continue
            low, high = data.get(f"min-{step.pk}", ""), data.get(f"max-{step.pk}", "")
            row = PlanStepRow(
                step, data.get(f"include-{step.pk}") == "on", 0, 0, min_typed=low, max_typed=high
            )
            if not (low.isdigit() and high.isdigit()):
                row.error = "Enter whole numbers of days."
                row.min_days = step.min_days_after
                row.max_days = step.max_days_after
            else:
                row.min_days, row.max_days = int(low), int(high)
                if row.max_days > MAX_SPACING_DAYS:
                    row.error = f"At most {MAX_SPACING_DAYS} days."
                elif row.max_days < row.min_days:
                    row.error = "The latest day must be on or after the earliest."
            rows.append(row)
    return rows


class SessionRecordForm(forms.ModelForm):
    # The free texts have limits as the short fields do: a pasted document is not a record.
    device_settings = forms.CharField(
        label="Device settings",
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )
    unexpected = forms.CharField(
        label="Anything unexpected",
        required=False,
        max_length=5000,
        widget=forms.Textarea({"rows": 3}),
    )

    class Meta:
        model = SessionRecord
        fields = ["product", "lot", "volume_or_dose", "sites", "device_settings", "unexpected"]

    def clean_volume_or_dose(self):
        # "2-3 ml" and "2 - 3 ml" are ranges; "-5 ml" (a minus that opens the text, or a
        # bracket or a list's item) is a slip.
        value = self.cleaned_data["volume_or_dose"]
        if re.search(r"(?:^|[(,;])\s*[-\u2212]\s*\d", value):
            raise forms.ValidationError("A volume or dose cannot be below zero.")
        return value
