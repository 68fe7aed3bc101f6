"""Twenty waitlisted patients claiming one freed time at the same moment, each in a thread of
its own with its own database connection: one booking, nineteen told the time has gone, and
nothing half-written for them."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking, WaitlistEntry, WaitlistOffer, WaitlistOpening
from bookings.services import booking_cancel, booking_create
from bookings.waitlist import WaitlistGone, waitlist_claim, waitlist_join
from patients.models import Consent, Patient
from tests.factories import PatientFactory, all_at_once, bookable_clinic, next_slot, run_worker

WAITING = 20
ROUNDS = 3

pytestmark = pytest.mark.race


@pytest.mark.django_db(transaction=True)
def test_twenty_patients_claiming_one_freed_time_make_one_booking():
    location, _, consultation_type = bookable_clinic()
    today = timezone.now().astimezone(location.zone).date()
    entries = [
        waitlist_join(
            consultation_type=consultation_type,
            location=location,
            practitioner=None,
            first_day=today,
            last_day=today + timedelta(days=20),
            first_name=f"Patient{n}",
            last_name="Waiting",
            email=f"waiting-{n}@example.com",
        )
        for n in range(WAITING)
    ]
    for round_number in range(ROUNDS):
        start = next_slot(days=3 + round_number)
        booking = booking_create(
            patient=PatientFactory(),
            consultation_type=consultation_type,
            location=location,
            starts_at=start,
            notify=False,
        )
        booking_cancel(booking=booking, notify=False)
        run_worker()
        opening = WaitlistOpening.objects.get(starts_at=start)
        # Each round, only the entries still waiting are offered the time.
        offers = list(opening.offers.order_by("entry__created_at"))
        assert len(offers) == WAITING - round_number, round_number
        patients_before = Patient.objects.count()

        def claim(index, offers=offers):
            return waitlist_claim(
                offer=offers[index], phone="+442079460000", date_of_birth=date(1980, 1, 1)
            )

        outcomes = all_at_once(len(offers), lambda index, _: claim(index))
        won = [o for o in outcomes if isinstance(o, Booking)]
        gone = [o for o in outcomes if isinstance(o, WaitlistGone)]
        other = [o for o in outcomes if not isinstance(o, Booking | WaitlistGone)]
        assert not other, f"round {round_number}: unexpected {other!r}"
        assert len(won) == 1 and len(gone) == len(offers) - 1, round_number
        assert all("this time has gone" in error.message for error in gone)
        assert Booking.objects.filter(starts_at=start, status="confirmed").count() == 1
        # One new patient (the winner's); the losers left no patient, consent or booking.
        assert Patient.objects.count() == patients_before + 1
        assert Consent.objects.filter(booking__starts_at=start).count() == 1
        opening.refresh_from_db()
        assert opening.booking == won[0]
        winner = WaitlistOffer.objects.get(opening=opening, entry__booking=won[0])
        assert winner.entry.email == won[0].patient.email
    # Each round's winner left the waitlist's offers; the others still wait.
    assert WaitlistEntry.objects.filter(booking__isnull=False).count() == ROUNDS
    assert len(entries) == WAITING
