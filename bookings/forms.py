"""Booking forms: the patient's contact details and consents, cancelling, and the day a page
shows."""

import functools
from datetime import date

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber

from clinic.text import validate_single_line
from patients.consent import CARE, PHOTOS_BEYOND_CARE

MINIMUM_AGE = 18
DATE_PARTS = ("Day", "Month", "Year")


class DateOfBirthWidget(forms.MultiWidget):
    """Three boxes, day, month and year: quicker to type on a phone than a date picker that
    opens on today and must be scrolled back decades."""

    template_name = "bookings/widgets/date_parts.html"

    def __init__(self, attrs=None):
        boxes = [
            forms.TextInput({"inputmode": "numeric", "autocomplete": "bday-day", "size": 2}),
            forms.TextInput({"inputmode": "numeric", "autocomplete": "bday-month", "size": 2}),
            forms.TextInput({"inputmode": "numeric", "autocomplete": "bday-year", "size": 4}),
        ]
        super().__init__(boxes, attrs)

    def decompress(self, value):
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, label in zip(context["widget"]["subwidgets"], DATE_PARTS, strict=True):
            subwidget["part_label"] = label
        return context

    def value_from_datadict(self, data, files, name):
        # One ISO date, as the staff phone-booking form and scripts send it, is read too.
        single = data.get(name)
        if isinstance(single, str) and single.count("-") == 2:
            year, month, day = single.split("-")
            return [day, month, year]
        return super().value_from_datadict(data, files, name)

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_


def _date_part(label, low, high, example, out_of_range):
    message = f"Please write the {label.lower()} as a number, e.g. {example}."
    return forms.IntegerField(
        min_value=low,
        max_value=high,
        error_messages={"invalid": message, "min_value": out_of_range, "max_value": out_of_range},
    )


class DateOfBirthField(forms.MultiValueField):
    """``whose``: "your" where patients type their own, "the patient's" where staff type it."""

    widget = DateOfBirthWidget

    def __init__(self, whose="your", **kwargs):
        self.whose = whose
        parts = (
            _date_part("Day", 1, 31, "7", "Please check the day: from 1 to 31."),
            _date_part("Month", 1, 12, "3 for March", "Please check the month: from 1 to 12."),
            _date_part(
                "Year",
                1900,
                2200,
                "1985",
                f"Please check the year of {whose} date of birth: all four digits, from 1900 on "
                "(e.g. 1985).",
            ),
        )
        message = f"Please enter {whose} date of birth: day, month and year."
        super().__init__(
            fields=parts,
            require_all_fields=True,
            error_messages={"required": message, "incomplete": message},
            **kwargs,
        )

    def compress(self, data_list):
        if not data_list:
            return None
        day, month, year = data_list
        try:
            return date(year, month, day)
        except ValueError:
            raise ValidationError(
                f"Please check {self.whose} date of birth: that day does not exist."
            ) from None


@functools.cache
def _phone_invalid_message(region: str) -> str:
    """Say how to write a phone number, with an example mobile number of ``region``: the same
    for every form of that region, so worked out once per process (the form is built on every
    booking step, the confirm included)."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    local = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    return (
        f"Please enter a phone number we can call, e.g. {local}, or with its country code, "
        "e.g. +971 50 123 4567."
    )


class CheckedPhoneNumber(PhoneNumber):
    """A phone number that works out whether it is valid once, and remembers.

    The form's validators asked it three times, and each save of the patient's row and of its
    audit row twice more, every time a walk through the country's number patterns, on every
    booking confirmed. A number is never changed once read, so the answer cannot go stale.
    """

    _valid = None

    def is_valid(self):
        if self._valid is None:
            self._valid = super().is_valid()
        return self._valid


class CheckedPhoneNumberField(PhoneNumberField):
    """The phone field whose number is a ``CheckedPhoneNumber``."""

    def to_python(self, value):
        number = super().to_python(value)
        if not isinstance(number, PhoneNumber):
            return number  # nothing typed
        checked = CheckedPhoneNumber()
        checked.merge_from(number)
        return checked


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
    phone = CheckedPhoneNumberField(
        max_length=40,
        label="Mobile phone",
        help_text="In case we need to reach you on the day.",
        widget=forms.TextInput({"type": "tel", "autocomplete": "tel"}),
    )
    date_of_birth = DateOfBirthField(label="Date of birth")
    consent_care = forms.BooleanField(
        label=CARE.text,
        required=True,
        error_messages={"required": "Please tick to agree, so that we can prepare your care."},
    )
    consent_photos = forms.BooleanField(label=PHOTOS_BEYOND_CARE.text, required=False)

    def __init__(self, *args, region: str | None = None, **kwargs):
        """``region``: the country whose numbers may be written without a country code (the
        booking's location); the settings' PHONENUMBER_DEFAULT_REGION where not given."""
        super().__init__(*args, **kwargs)
        phone = self.fields["phone"]
        phone.region = region or settings.PHONENUMBER_DEFAULT_REGION
        phone.error_messages["invalid"] = _phone_invalid_message(phone.region)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    # Said to the patient; the staff's form says them of the patient (staff.forms).
    BORN_IN_FUTURE = "That date of birth is in the future: please check the year."
    UNDER_AGE = "Online booking is for adults. For anyone under 18, please call the clinic."

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = date.today()
        if born > today:
            raise forms.ValidationError(self.BORN_IN_FUTURE)
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age < MINIMUM_AGE:
            raise forms.ValidationError(self.UNDER_AGE)
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

    @property
    def note(self) -> str:
        """What to tell the person when the day shown is not the one they asked for (a date
        out of range, or one that could not be read); "" when it is."""
        asked = self.data.get("day", "")
        if not asked:
            return ""
        if not self.is_valid() or self.cleaned_data["day"] is None:
            return "That date could not be read, so the usual day is shown."
        day = self.cleaned_data["day"]
        if self.first <= day <= self.last:
            return ""
        return (
            f"Days from {self.first:%-d %B %Y} to {self.last:%-d %B %Y} can be shown: "
            f"{self.chosen():%-d %B %Y} is shown, the nearest to {day:%-d %B %Y}."
        )


def posted_number(data, name: str) -> int | None:
    """A whole number a page sent back hidden (what it showed); None when it sent none, or
    garbage."""
    try:
        return int(data.get(name, ""))
    except ValueError:
        return None


def posted_sequence(data) -> int | None:
    """The booking's sequence as the page that posts showed it (its ``sequence`` field); None
    when the page sent none (or garbage), which moves whatever the booking is now."""
    return posted_number(data, "sequence")
