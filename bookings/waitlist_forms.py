"""Waitlist forms: joining (a wish and the fewest details to tell the patient), and claiming a
freed time (the details a booking needs that the entry does not hold)."""

from datetime import date, timedelta

from django import forms

from bookings.forms import PatientDetailsForm


class WaitlistJoinForm(forms.Form):
    practitioner = forms.ChoiceField(label="Practitioner")
    first_day = forms.DateField(
        label="From",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Please give a date, e.g. 2026-03-09.", "required": ""},
    )
    last_day = forms.DateField(
        label="Until",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
        help_text="We stop writing to you after this day.",
        error_messages={"invalid": "Please give a date, e.g. 2026-03-20.", "required": ""},
    )
    first_name = PatientDetailsForm.base_fields["first_name"]
    last_name = PatientDetailsForm.base_fields["last_name"]
    email = forms.EmailField(
        max_length=254,
        label="E-mail",
        help_text="We write here when a time frees up, with a link to claim it.",
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    consent_care = PatientDetailsForm.base_fields["consent_care"]

    def __init__(
        self, *args, practitioners, today: date, last_bookable: date, closed_days=None, **kwargs
    ):
        """``closed_days(first, last)``: the location's closed days between them, with the
        closures' names (``selectors.closed_days``), read only when a range is sent."""
        super().__init__(*args, **kwargs)
        self.closed_days = closed_days
        self.fields["first_day"].error_messages["required"] = "Please say from which day."
        self.fields["last_day"].error_messages["required"] = "Please say until which day."
        self.practitioners = {str(p.pk): p for p in practitioners}
        self.fields["practitioner"].choices = [("any", "Any practitioner")] + [
            (str(p.pk), f"{p.display_name}, {p.title}") for p in practitioners
        ]
        self.today, self.last_bookable = today, last_bookable
        for name in ("first_day", "last_day"):
            self.fields[name].widget.attrs.update(
                {"min": today.isoformat(), "max": last_bookable.isoformat()}
            )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and first < self.today:
            self.add_error("first_day", "That day has passed. Please choose today or later.")
        if last and last > self.last_bookable:
            self.add_error(
                "last_day",
                f"We take bookings up to {self.last_bookable:%-d %B %Y}. Please choose that day "
                "or earlier.",
            )
        if first and last and last < first:
            self.add_error("last_day", "The last day must be on or after the first.")
        elif first and last and self.closed_days and not self.errors:
            # No time is ever offered on a day the clinic is closed: a wish for those alone
            # would wait in vain.
            closed = self.closed_days(first, last)
            if len(closed) == (last - first).days + 1:
                names = ", ".join(dict.fromkeys(closed.values()))
                self.add_error(
                    "last_day",
                    f"We are closed on all of those days ({names}). Please choose other days.",
                )
        cleaned["chosen_practitioner"] = self.practitioners.get(cleaned.get("practitioner", ""))
        return cleaned


def default_range(today: date, last_bookable: date) -> tuple[date, date]:
    """The range a new entry starts with: the next two weeks, within the booking horizon."""
    return today, min(today + timedelta(days=14), last_bookable)


class WaitlistClaimForm(PatientDetailsForm):
    """The details a booking needs beyond the waitlist entry's name and e-mail."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email", "consent_care"):
            del self.fields[name]
