"""Real threads, each with its own database connection, submitting bookings at the same moment."""

import threading
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from django.db import OperationalError, connection, connections, transaction

from bookings import first_available
from bookings.models import Booking, Practitioner, ResourceHold
from bookings.services import BookingError, booking_create
from tests.factories import (
    ConsultationTypeFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    all_at_once,
    procedure_clinic,
    weekly_hours,
)

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
SLOT = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
PATIENTS = 10
ROUNDS = 20

pytestmark = pytest.mark.race


def race(target, arguments):
    """Run ``target`` once per argument, all threads released at the same instant."""
    return all_at_once(len(arguments), lambda index, _: target(arguments[index]))


@pytest.fixture
def race_setup(transactional_db):
    location = LocationFactory(time_zone="Europe/London")
    practitioner = PractitionerFactory(locations=[location])
    weekly_hours(practitioner, location)
    consultation_type = ConsultationTypeFactory(practitioners=[practitioner])
    patients = PatientFactory.create_batch(PATIENTS)
    return location, practitioner, consultation_type, patients


def assert_no_overlap(practitioner):
    bookings = list(
        Booking.objects.active().filter(practitioner=practitioner).order_by("blocked_from")
    )
    for earlier, later in pairwise(bookings):
        assert earlier.blocked_until <= later.blocked_from, (earlier, later)


def test_ten_patients_submitting_the_same_slot_get_exactly_one_booking(race_setup):
    location, practitioner, consultation_type, patients = race_setup
    for round_number in range(ROUNDS):
        start = SLOT + timedelta(days=round_number)

        def submit(patient, start=start):
            return booking_create(
                patient=patient,
                consultation_type=consultation_type,
                location=location,
                starts_at=start,
                practitioner=practitioner,
                now=NOW,
            )

        outcomes = race(submit, patients)
        booked = [o for o in outcomes if isinstance(o, Booking)]
        refused = [o for o in outcomes if isinstance(o, BookingError)]
        other = [o for o in outcomes if not isinstance(o, Booking | BookingError)]
        assert not other, f"round {round_number}: unexpected errors {other!r}"
        assert len(booked) == 1 and len(refused) == PATIENTS - 1, round_number
        assert all("just been taken" in error.message for error in refused)
        assert Booking.objects.filter(starts_at=start).count() == 1
    assert_no_overlap(practitioner)


def test_partially_overlapping_requests_never_store_an_overlap(race_setup):
    location, practitioner, consultation_type, patients = race_setup
    consultation_type.buffer_after_minutes = 5
    consultation_type.save()
    for round_number in range(ROUNDS):
        day = SLOT + timedelta(days=round_number)
        # Starts 15 minutes apart for a 30-minute consultation: each overlaps its neighbours.
        starts = [day + timedelta(minutes=15 * i) for i in range(PATIENTS)]

        def submit(index, day=day, starts=starts):
            return booking_create(
                patient=patients[index],
                consultation_type=consultation_type,
                location=location,
                starts_at=starts[index],
                practitioner=practitioner,
                now=NOW,
            )

        outcomes = race(submit, list(range(PATIENTS)))
        other = [o for o in outcomes if not isinstance(o, Booking | BookingError)]
        assert not other, f"round {round_number}: unexpected errors {other!r}"
        assert any(isinstance(o, Booking) for o in outcomes)
    assert_no_overlap(practitioner)


def test_first_available_race_spreads_over_free_practitioners(transactional_db):
    location = LocationFactory(time_zone="Europe/London")
    practitioners = PractitionerFactory.create_batch(3, locations=[location])
    for practitioner in practitioners:
        weekly_hours(practitioner, location)
    consultation_type = ConsultationTypeFactory(practitioners=practitioners)
    patients = PatientFactory.create_batch(PATIENTS)
    for round_number in range(ROUNDS):
        start = SLOT + timedelta(days=round_number)

        def submit(patient, start=start):
            return booking_create(
                patient=patient,
                consultation_type=consultation_type,
                location=location,
                starts_at=start,
                now=NOW,
            )

        outcomes = race(submit, patients)
        booked = [o for o in outcomes if isinstance(o, Booking)]
        other = [o for o in outcomes if not isinstance(o, Booking | BookingError)]
        assert not other, f"round {round_number}: unexpected errors {other!r}"
        # Three practitioners free: exactly three bookings, one each.
        assert sorted(b.practitioner_id for b in booked) == sorted(p.pk for p in practitioners)
    for practitioner in practitioners:
        assert_no_overlap(practitioner)


def test_two_confirms_of_one_form_at_the_same_moment_make_one_booking(transactional_db):
    """A double click that reaches the server as two simultaneous requests."""
    from django.test import Client

    from bookings.models import BookingDraft
    from tests.factories import bookable_clinic, details_url, next_slot, valid_form

    location, _, consultation_type = bookable_clinic()
    rounds = 6
    for round_number in range(rounds):
        browser = Client()
        start = next_slot(days=2 + round_number)
        review = browser.post(details_url(consultation_type, location, start), valid_form()).url
        cookies = browser.cookies

        def confirm(_, review=review, cookies=cookies):
            click = Client()
            click.cookies = cookies  # the same browser session, a second request
            return click.post(review).status_code

        outcomes = race(confirm, [0, 1])
        assert outcomes == [302, 302], outcomes
        assert Booking.objects.filter(starts_at=start).count() == 1
    assert BookingDraft.objects.filter(booking__isnull=True).count() == 0


def test_one_persons_details_confirmed_from_two_browsers_at_once_make_one_booking(
    transactional_db,
):
    """Two browsers with one person's details confirm a "first available" time at the same
    moment, with two practitioners free: one booking and one patient, the other browser told
    that they already have a consultation then, with their answers kept. New patients and
    returning ones alike."""
    from django.test import Client

    from patients.models import Patient
    from tests.factories import bookable_clinic, details_url, next_slot, valid_form

    location, _, consultation_type = bookable_clinic(practitioners=2)
    returning = PatientFactory(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        date_of_birth=date(1985, 6, 1),
    )
    rounds = 6
    for round_number in range(rounds):
        if round_number % 2:
            person = {"email": "ada@example.com", "date_of_birth": "1985-06-01"}
        else:
            person = {"email": f"new-{round_number}@example.com"}
        start = next_slot(days=2 + round_number)
        reviews = []
        for _ in range(2):
            browser = Client()
            form = valid_form(**person)
            review = browser.post(details_url(consultation_type, location, start), form).url
            reviews.append((browser.cookies, review))

        def confirm(index, reviews=reviews):
            cookies, review = reviews[index]
            click = Client()
            click.cookies = cookies
            response = click.post(review)
            return response.status_code, response.content.decode()

        outcomes = race(confirm, [0, 1])
        other = [o for o in outcomes if not isinstance(o, tuple)]
        assert not other, f"round {round_number}: unexpected errors {other!r}"
        assert sorted(status for status, _ in outcomes) == [302, 409], round_number
        refused = next(page for status, page in outcomes if status == 409)
        assert "You already have a consultation at that time" in refused
        assert "Lovelace" in refused  # the answers are kept for another try
        patients = Patient.objects.filter(email__iexact=person["email"])
        assert patients.count() == 1, round_number
        assert Booking.objects.filter(starts_at=start).count() == 1, round_number
    assert returning.bookings.count() == rounds // 2


def test_two_procedures_with_different_practitioners_racing_for_one_room_make_one_booking(
    transactional_db,
):
    """Two practitioners, each free, book a procedure needing the one procedure room at the
    same moment, each on its own connection: one wins, the other is told the room is taken,
    and the room is never held twice. Rounds at partly overlapping times too."""
    location, practitioners, (room,), procedure = procedure_clinic(2)
    patients = PatientFactory.create_batch(2)
    for round_number in range(ROUNDS):
        day = SLOT + timedelta(days=round_number)
        # Even rounds: the same start. Odd rounds: 30 minutes apart, still one room.
        starts = [day, day + timedelta(minutes=30 * (round_number % 2))]

        def submit(index, starts=starts):
            return booking_create(
                patient=patients[index],
                consultation_type=procedure,
                location=location,
                starts_at=starts[index],
                practitioner=practitioners[index],
                now=NOW,
                notify=False,
            )

        outcomes = race(submit, [0, 1])
        booked = [o for o in outcomes if isinstance(o, Booking)]
        refused = [o for o in outcomes if isinstance(o, BookingError)]
        other = [o for o in outcomes if not isinstance(o, Booking | BookingError)]
        assert not other, f"round {round_number}: unexpected errors {other!r}"
        assert len(booked) == 1 and len(refused) == 1, round_number
        assert refused[0].message == (
            "The procedure room is taken at that time. Please choose another time."
        )
        assert ResourceHold.objects.filter(booking=booked[0], resource=room).count() == 1
    holds = list(ResourceHold.objects.filter(resource=room).order_by("held_from"))
    assert len(holds) == ROUNDS
    for earlier, later in pairwise(holds):
        assert earlier.held_until <= later.held_from, (earlier, later)


def two_practitioners_the_first_booked_at(starts_at):
    """A clinic of two practitioners working every day, the first booked at ``starts_at``:
    the location, the two, and the type both offer."""
    location = LocationFactory(time_zone="Europe/London")
    first, second = PractitionerFactory.create_batch(2, locations=[location])
    for practitioner in (first, second):
        weekly_hours(practitioner, location)
    consultation_type = ConsultationTypeFactory(practitioners=[first, second])
    booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=starts_at,
        practitioner=first,
        now=NOW,
    )
    return location, (first, second), consultation_type


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_first_available_locks_only_the_practitioner_it_chooses(transactional_db):
    """A confirm for "first available" does not wait for a practitioner it does not choose:
    one whose row another transaction holds locked (a long booking of theirs, say)."""
    # ``busy`` already has a booking that day, so the fair rule chooses ``free`` for SLOT.
    location, (busy, free), consultation_type = two_practitioners_the_first_booked_at(
        SLOT + timedelta(hours=3)
    )
    locked, release = threading.Event(), threading.Event()

    def hold_the_busy_practitioners_row():
        try:
            with transaction.atomic():
                Practitioner.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_busy_practitioners_row, daemon=True)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with connection.cursor() as cursor:
            # Were the busy practitioner's row locked too, this would fail after 2 s.
            cursor.execute("SET lock_timeout = '2s'")
        booking = booking_create(
            patient=PatientFactory(),
            consultation_type=consultation_type,
            location=location,
            starts_at=SLOT,
            now=NOW,
        )
        assert booking.practitioner_id == free.pk
    finally:
        release.set()
        holder.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


@pytest.mark.parametrize("new_patient", [True, False], ids=["new-patient", "returning"])
def test_a_candidate_found_taken_under_its_lock_is_given_back_for_the_next(
    transactional_db, monkeypatch, new_patient
):
    """ "First available" read ``taken`` free, but another booking took them before their lock
    was held: the try gives their lock back (and keeps the patient's) and books the next."""
    location, (taken, free), consultation_type = two_practitioners_the_first_booked_at(SLOT)
    # The read as it was just before that booking.
    monkeypatch.setattr(
        first_available, "ranked_free_practitioners", lambda **_: [taken.pk, free.pk]
    )
    patient = PatientFactory()
    other = connections.create_connection("default")
    try:
        with transaction.atomic():
            booking = booking_create(
                patient=patient,
                consultation_type=consultation_type,
                location=location,
                starts_at=SLOT,
                now=NOW,
                new_patient=new_patient,
            )
            assert booking.practitioner_id == free.pk
            if connection.vendor == "postgresql":
                with other.cursor() as cursor:
                    # Given back: another transaction locks it at once. The patient's lock
                    # (a returning one's) is still held, as is the one chosen.
                    cursor.execute("SET lock_timeout = '1s'")
                    cursor.execute(
                        "SELECT id FROM bookings_practitioner WHERE id = %s FOR UPDATE",
                        [taken.pk],
                    )
                    if not new_patient:
                        with pytest.raises(OperationalError):
                            cursor.execute(
                                "SELECT id FROM patients_patient WHERE id = %s FOR UPDATE",
                                [patient.pk],
                            )
    finally:
        other.close()
    assert Booking.objects.filter(patient=patient, practitioner=free).count() == 1
