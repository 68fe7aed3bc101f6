"""Fuzzing the waitlist's forms: joining, and claiming a freed time.

Properties, for every generated case: no server error; joining writes one entry only when it
succeeds (a refusal writes nothing); claiming books the time with its patient and consent at
once, or writes nothing at all.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from bookings.models import Booking, WaitlistEntry, WaitlistOffer, WaitlistOpening
from bookings.services import booking_cancel, booking_create
from bookings.waitlist import waitlist_join
from patients.models import Consent, Patient
from tests.factories import PatientFactory, bookable_clinic
from tests.fuzz.hostile import FuzzTestCase, local_slot, mutated, row_counts

RECORDS = (Booking, Patient, Consent)


class WaitlistFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.location, cls.staff, cls.type = bookable_clinic()
        cls.today = timezone.now().astimezone(cls.location.zone).date()
        start = local_slot(cls.location, 3, 10)
        freed = booking_create(
            patient=PatientFactory(),
            consultation_type=cls.type,
            location=cls.location,
            starts_at=start,
            notify=False,
        )
        booking_cancel(booking=freed, notify=False)
        cls.entry = waitlist_join(
            consultation_type=cls.type,
            location=cls.location,
            practitioner=None,
            first_day=cls.today,
            last_day=cls.today + timedelta(days=10),
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
        )
        opening = WaitlistOpening.objects.create(
            freed_by=freed,
            freed_sequence=freed.sequence,
            practitioner=cls.staff[0],
            location=cls.location,
            starts_at=start,
        )
        cls.offer = WaitlistOffer.objects.create(opening=opening, entry=cls.entry)

    @given(st.data())
    def test_join_form_writes_one_entry_or_nothing(self, data):
        valid = {
            "location": self.location.pk,
            "practitioner": "any",
            "first_day": self.today.isoformat(),
            "last_day": (self.today + timedelta(days=7)).isoformat(),
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "consent_care": "on",
        }
        form = data.draw(mutated(valid), label="form")
        before = WaitlistEntry.objects.count()

        response = self.send("post", reverse("bookings:waitlist", args=[self.type.slug]), form)

        assert response.status_code in (302, 400), response.status_code
        written = WaitlistEntry.objects.count() - before
        assert written == (1 if response.status_code == 302 else 0)

    @given(st.data())
    def test_claim_form_books_whole_or_writes_nothing(self, data):
        valid = {
            "phone": "020 7946 0000",
            "date_of_birth_0": "7",
            "date_of_birth_1": "3",
            "date_of_birth_2": "1985",
            "consent_photos": "on",
        }
        form = data.draw(mutated(valid, tamper=["date_of_birth", "email"]), label="form")
        before = row_counts(*RECORDS)

        response = self.send(
            "post", reverse("bookings:waitlist_claim", args=[self.offer.token]), form
        )

        status = response.status_code
        assert status in (302, 400, 409), status
        after = row_counts(*RECORDS)
        if status == 302:
            assert after["Booking"] == before["Booking"] + 1
            assert after["Consent"] > before["Consent"]
        else:
            assert after == before
