"""The practitioner's assessment and recommendation form."""

from django import forms

from bookings.models import ConsultationType
from patients import choices


class AssessmentForm(forms.Form):
    pattern = forms.ChoiceField(label="Pattern", choices=choices.PATTERNS)
    stage = forms.ChoiceField(label="Stage", choices=choices.STAGES)
    likely_cause = forms.ChoiceField(label="Likely cause", choices=choices.LIKELY_CAUSES)
    recommendations = forms.MultipleChoiceField(
        label="Recommended options",
        choices=choices.RECOMMENDATIONS,
        widget=forms.CheckboxSelectMultiple,
    )
    rationale = forms.CharField(
        label="Rationale (for the clinical record)",
        max_length=5000,
        widget=forms.Textarea({"rows": 4}),
    )
    patient_summary = forms.CharField(
        label="Summary for the patient",
        help_text="Plain words. The patient reads this through their booking link once signed off.",
        max_length=5000,
        widget=forms.Textarea({"rows": 4}),
    )
    follow_up_type = forms.ModelChoiceField(
        label="Book a follow-up",
        queryset=ConsultationType.objects.filter(is_active=True),
        required=False,
        empty_label="No follow-up now",
    )
    follow_up_weeks = forms.IntegerField(
        label="In how many weeks", min_value=1, max_value=52, required=False
    )
    sign_off = forms.BooleanField(
        label="Sign off: the patient can read the summary", required=False
    )

    MODEL_FIELDS = [
        "pattern",
        "stage",
        "likely_cause",
        "recommendations",
        "rationale",
        "patient_summary",
    ]

    def clean(self):
        cleaned = super().clean()
        options = cleaned.get("recommendations") or []
        if "no_treatment" in options and len(options) > 1:
            self.add_error("recommendations", "“No treatment” cannot be chosen with other options.")
        if cleaned.get("likely_cause") == "scarring" and "referral" not in options:
            self.add_error("recommendations", "Scarring alopecia needs a specialist referral.")
        if bool(cleaned.get("follow_up_type")) != bool(cleaned.get("follow_up_weeks")):
            self.add_error("follow_up_weeks", "Choose both the follow-up and when it should be.")
        return cleaned

    def values(self):
        return {name: self.cleaned_data[name] for name in self.MODEL_FIELDS}

    def follow_up(self):
        if self.cleaned_data.get("follow_up_type"):
            return self.cleaned_data["follow_up_type"], self.cleaned_data["follow_up_weeks"]
        return None
