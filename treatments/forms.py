"""Shapes of what patients and staff send about plans; the rules are in treatments.services."""

from django import forms

from bookings.drafts import parse_start
from patients.choices import HAIR_RATING_RANGE, SATISFACTION
from treatments.models import RESCREEN_QUESTIONS


class SignForm(forms.Form):
    full_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        widget=forms.TextInput({"autocomplete": "name"}),
        help_text="Your first and last name, as on your booking.",
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why are you declining? (it helps us)",
        max_length=500,
        widget=forms.Textarea({"rows": 2}),
    )


class StopForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500, widget=forms.Textarea({"rows": 2}))


def course_choices(data, orders) -> dict | None:
    """Read "start|practitioner id" for each step order from a course form; None if any is
    missing or unreadable."""
    result = {}
    for order in orders:
        start_text, _, who = data.get(f"step-{order}", "").partition("|")
        starts_at = parse_start(start_text)
        if starts_at is None or not who.isdigit():
            return None
        result[order] = (starts_at, int(who))
    return result


class RescreenForm(forms.Form):
    """The health check before a procedure: one yes/no per question, and details."""

    details = forms.CharField(
        label="Anything to tell us about a “yes”? (which medicine, since when)",
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, question in reversed(RESCREEN_QUESTIONS):
            self.fields = {
                key: forms.ChoiceField(
                    label=question,
                    choices=[("no", "No"), ("yes", "Yes")],
                    widget=forms.RadioSelect,
                ),
                **self.fields,
            }

    def answers(self):
        return {key: self.cleaned_data[key] for key, _ in RESCREEN_QUESTIONS}


class RatingForm(forms.Form):
    """The patient's own rating before a review: the hair now (0 to 10), and satisfaction."""

    hair_now = forms.TypedChoiceField(
        label="How would you rate your hair now?",
        help_text="0 is the worst it could be, 10 the best.",
        choices=[(n, str(n)) for n in range(HAIR_RATING_RANGE[0], HAIR_RATING_RANGE[1] + 1)],
        coerce=int,
        widget=forms.RadioSelect({"class": "btn-check"}),
        error_messages={
            "required": "Choose how you rate your hair now, from 0 to 10.",
            "invalid_choice": "Choose how you rate your hair now, from 0 to 10.",
        },
    )
    satisfaction = forms.TypedChoiceField(
        label="How satisfied are you with your hair?",
        choices=SATISFACTION,
        coerce=int,
        widget=forms.RadioSelect({"class": "form-check-input"}),
        error_messages={
            "required": "Choose how satisfied you are with your hair.",
            "invalid_choice": "Choose how satisfied you are with your hair.",
        },
    )
