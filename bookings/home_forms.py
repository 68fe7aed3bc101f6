"""Forms of the patient's home: asking for a sign-in link, and changing one's details."""

from django import forms

from bookings.forms import PatientDetailsForm


class SignInLinkForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        label="Your e-mail address",
        help_text="The one you gave when you booked.",
        widget=forms.EmailInput({"autocomplete": "email"}),
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class HomeDetailsForm(PatientDetailsForm):
    """The booking form's name, e-mail and phone fields, checked the same way (a phone number
    read in the country of the patient's clinic); the date of birth, which finds a returning
    patient, and the consents, which have their own place, are not changed here."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("date_of_birth", "consent_care", "consent_photos"):
            del self.fields[name]
        self.fields[
            "email"
        ].help_text = "A new address is used once you open the link we send to it."
