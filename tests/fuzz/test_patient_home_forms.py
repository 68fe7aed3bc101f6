"""Fuzzing the patient's home: asking for a sign-in link, opening one, and changing one's
details.

Properties, for every generated case: no server error; no markup reflected; only a real, unused
link signs anyone in; a refused details form changes nothing, an accepted one exactly what the
form read.
"""

from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from bookings.home_forms import HomeDetailsForm
from patients.home import sign_in_token
from patients.models import Consent, Patient
from tests.factories import PatientFactory, bookable_clinic
from tests.fuzz.hostile import TOKENS, FuzzTestCase, known_or_wild, mutated, row_counts

HOME = reverse("bookings:home")


class PatientHomeFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.location, _, _ = bookable_clinic()
        cls.patient = PatientFactory(email="pat@example.com", phone="+447400900456")
        cls.other = PatientFactory(email="other@example.com")

    def sign_in(self):
        # Each example's changes are rolled back: the token is signed over the row as it is.
        self.patient.refresh_from_db()
        link = reverse("bookings:home_open", args=[sign_in_token(self.patient)])
        assert self.send("post", link).status_code == 302
        self.patient.refresh_from_db()

    def details(self):
        row = Patient.objects.get(pk=self.patient.pk)
        return (row.first_name, row.last_name, row.email, row.pending_email, str(row.phone))

    @given(st.data())
    def test_asking_for_a_link_answers_the_same_and_never_fails(self, data):
        form = data.draw(mutated({"email": "pat@example.com"}), label="form")
        response = self.send("post", reverse("bookings:home_sign_in"), form)
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 302:
            assert response["Location"] == reverse("bookings:home_link_sent")
        assert self.send("get", HOME).status_code == 302  # asking signs nobody in

    @given(st.data())
    def test_only_a_real_unused_link_signs_in(self, data):
        real = sign_in_token(self.patient)
        near = (real[:-1] + "x", real + "A", real.upper(), sign_in_token(self.other)[:-2])
        token = known_or_wild(data, (real, *near), TOKENS, "token")
        method = data.draw(st.sampled_from(("get", "post")), label="method")
        link = reverse("bookings:home_open", args=["T"]).replace("T", quote(token, safe=""))
        response = self.send(method, link)
        assert response.status_code in (200, 302, 404, 410), response.status_code
        signed_in = self.send("get", HOME).status_code == 200
        if signed_in:
            event("signed in")
            assert token == real and method == "post"
        else:
            assert not (token == real and method == "post")

    @given(st.data())
    def test_details_change_exactly_what_the_form_read_or_nothing(self, data):
        self.sign_in()
        valid = {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "phone": "020 7946 0000",
        }
        form = data.draw(mutated(valid), label="form")
        before = self.details()
        counts = row_counts(Patient, Consent)
        response = self.send("post", reverse("bookings:home_details"), form)
        assert response.status_code in (302, 400), response.status_code
        assert row_counts(Patient, Consent) == counts
        read = HomeDetailsForm(response.wsgi_request.POST, region="GB")
        if response.status_code == 400:
            assert self.details() == before and not read.is_valid()
            return
        assert read.is_valid()
        cleaned = read.cleaned_data
        first, last, email, pending, phone = self.details()
        assert (first, last, phone) == (
            cleaned["first_name"],
            cleaned["last_name"],
            str(cleaned["phone"]),
        )
        # The address changes only through the link sent to the new one.
        assert email == "pat@example.com"
        assert pending == ("" if cleaned["email"] == "pat@example.com" else cleaned["email"])
        assert Patient.objects.get(pk=self.patient.pk).home_signed_in_at <= timezone.now()
