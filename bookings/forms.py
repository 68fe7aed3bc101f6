"""Booking forms: the patient's contact details and consents, cancelling, and the day a page
shows."""

from datetime import date

from django import forms

from clinic.text import validate_single_line
from patients.consent import CARE, PHOTOS_BEYOND_CARE

MINIMUM_AGE = 18


class PatientDetailsForm(forms.Form):
    # Names go into the clinic's e-mail subjects: a line break there would stop the e-mail.
    first_name = forms.CharField(
        max_length=100,
        label="First name",
        widget=forms.TextInput({"autocomplete": "given-name"}),
        validators=[validate_single_line],
    )
    last_name = forms.CharField(
        max_length=100,
        label="Last name",
        widget=forms.TextInput({"autocomplete": "family-name"}),
        validators=[validate_single_line],
    )
    email = forms.EmailField(
        max_length=254,
        label="E-mail",
        help_text="We send your confirmation and private booking link here.",
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    phone = forms.CharField(
        max_length=40,
        label="Mobile phone",
        help_text="In case we need to reach you on the day.",
        widget=forms.TextInput({"type": "tel", "autocomplete": "tel"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    consent_care = forms.BooleanField(
        label=CARE.text,
        required=True,
        error_messages={"required": "Please tick to agree, so that we can prepare your care."},
    )
    consent_photos = forms.BooleanField(label=PHOTOS_BEYOND_CARE.text, required=False)

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        digits = [c for c in phone if c.isdigit()]
        if len(digits) < 7 or any(c not in "0123456789+-() ." for c in phone):
            raise forms.ValidationError("Please enter a phone number, e.g. 07700 900123.")
        return phone

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = date.today()
        if born > today or born.year < 1900:
            raise forms.ValidationError("Please check your date of birth.")
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age < MINIMUM_AGE:
            raise forms.ValidationError(
                "Online booking is for adults. For anyone under 18, please call the clinic."
            )
        return born


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DayForm(forms.Form):
    """A day asked for in the query string (``?day=YYYY-MM-DD`` or another parameter), kept
    between ``first`` and ``last``; a missing or unreadable day gives ``default``.

    It never refuses a page: a hand-edited or stale link still opens something sensible.
    """

    day = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def __init__(self, data, *, first: date, last: date, default=None, field: str = "day"):
        super().__init__({"day": data.get(field, "")})
        self.first, self.last, self.default = first, last, default

    def chosen(self) -> date | None:
        wanted = self.default
        if self.is_valid() and self.cleaned_data["day"] is not None:
            wanted = self.cleaned_data["day"]
        if wanted is None:
            return None
        return min(max(wanted, self.first), self.last)
