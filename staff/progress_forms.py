"""Forms of the progress pages: a visit's measures, a standard photo, two visits to compare.

They validate shape; the ranges are checked again by the services and the database.
"""

from django import forms

from patients import choices
from patients.models import DENSITY_MAX, PULL_TEST_MAX
from patients.progress import NOTES_MAX

STAGE_CHOICES = [("", "Not assessed this visit"), *choices.VISIT_STAGES]
SHEDDING_CHOICES = [("", "Not assessed"), *choices.SHEDDING]


def _density(zone):
    return forms.IntegerField(
        label=f"{zone}: density",
        help_text="Hairs per cm²",
        min_value=0,
        max_value=DENSITY_MAX,
        required=False,
        widget=forms.NumberInput({"inputmode": "numeric"}),
    )


def _thin(zone):
    return forms.IntegerField(
        label=f"{zone}: thin hairs",
        help_text="% of hairs",
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput({"inputmode": "numeric"}),
    )


class MeasuresForm(forms.Form):
    stage = forms.ChoiceField(
        label="Stage",
        choices=STAGE_CHOICES,
        required=False,
        # Chosen from the project's drawings of each stage (templates/staff/visit_measures.html).
        widget=forms.RadioSelect,
    )
    frontal_density = _density("Frontal")
    frontal_thin = _thin("Frontal")
    mid_scalp_density = _density("Mid-scalp")
    mid_scalp_thin = _thin("Mid-scalp")
    crown_density = _density("Crown")
    crown_thin = _thin("Crown")
    donor_density = _density("Donor area")
    donor_thin = _thin("Donor area")
    pull_test = forms.IntegerField(
        label="Pull test",
        help_text="Hairs out of a gentle pull of about 60 hairs",
        min_value=0,
        max_value=PULL_TEST_MAX,
        required=False,
        widget=forms.NumberInput({"inputmode": "numeric"}),
    )
    shedding = forms.TypedChoiceField(
        label="Shedding",
        choices=SHEDDING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select({"class": "form-select"}),
    )
    notes = forms.CharField(
        label="Notes", max_length=NOTES_MAX, required=False, widget=forms.Textarea({"rows": 3})
    )
    shared_with_patient = forms.BooleanField(
        label="Share this visit with the patient (their measures and photos, on their own page)",
        required=False,
    )

    def stage_scales(self):
        """The stages by scale, for a drawing each: (scale, [(value, label, id, checked)])."""
        current = self["stage"].value() or ""
        return [
            (scale, [(code, label, f"id_stage_{code}", code == current) for code, label in group])
            for scale, group in choices.VISIT_STAGES
        ]

    # (zone, its density field, its thin-hair field), for the rows of zones.
    ZONE_ROWS = [(label, f"{code}_density", f"{code}_thin") for code, label in choices.SCALP_ZONES]


class ClinicPhotoForm(forms.Form):
    view = forms.ChoiceField(choices=choices.CLINIC_PHOTO_VIEWS, widget=forms.HiddenInput)
    photo = forms.FileField(label="Photo")


class CompareForm(forms.Form):
    """Two visits, by booking id; anything else falls back to the first and the latest."""

    first = forms.IntegerField(required=False, min_value=1)
    second = forms.IntegerField(required=False, min_value=1)

    def chosen(self):
        if not self.is_valid():
            return None, None
        return self.cleaned_data["first"], self.cleaned_data["second"]
