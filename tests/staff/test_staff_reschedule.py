"""Reception moves a booking from the dashboard: same rules, not the online cutoff."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from bookings.drafts import format_start
from tests.factories import (
    BookingFactory,
    PatientFactory,
    bookable_clinic,
    next_slot,
)

pytestmark = pytest.mark.django_db


def book(clinic, start, practitioner=None):
    location, practitioners, consultation_type = clinic
    return BookingFactory(
        patient=PatientFactory(first_name="Ada", last_name="Moss"),
        practitioner=practitioner or practitioners[0],
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
    )


def move(client, booking, start, practitioner=None):
    return client.post(
        reverse("staff:reschedule", args=[booking.pk]),
        {
            "practitioner": (practitioner or booking.practitioner).pk,
            "start": format_start(start),
            "day": start.date().isoformat(),
        },
    )


@pytest.mark.django_db(transaction=True)
def test_reception_moves_a_booking_inside_the_patients_cutoff_and_the_patient_is_told(reception):
    from tests.factories import run_worker

    clinic = bookable_clinic()
    clinic[2].late_cancel_hours = 96  # patients could no longer move it online
    clinic[2].save()
    soon = next_slot(days=2)
    booking = book(clinic, soon)
    page = reception.get(reverse("staff:reschedule", args=[booking.pk]))
    assert page.status_code == 200
    # Kept as it is, the booking leads back to its day.
    day = soon.astimezone(clinic[0].zone).date().isoformat()
    assert f'href="{reverse("staff:home")}?day={day}">Keep the booking' in page.content.decode()
    offered = [slot.start for slot in page.context["slots"]]
    assert soon in offered  # the booking's own time is not counted as busy
    later = soon + timedelta(hours=2)
    response = move(reception, booking, later)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == later and booking.sequence == 1
    run_worker()
    assert any(message.subject.startswith("Moved:") for message in mail.outbox)
    assert booking.history.first().history_user.username == "rosa"


def test_moving_to_the_time_it_has_already_changes_nothing_and_says_so(
    reception, django_capture_on_commit_callbacks
):
    clinic = bookable_clinic()
    booking = book(clinic, next_slot(days=3))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        page = reception.post(
            reverse("staff:reschedule", args=[booking.pk]),
            {
                "practitioner": booking.practitioner.pk,
                "start": format_start(booking.starts_at),
                "sequence": booking.sequence,
            },
            follow=True,
        ).content.decode()
    assert "Ada Moss is booked for" in page and "already: nothing was changed" in page
    assert "The patient is e-mailed the new time" not in page
    booking.refresh_from_db()
    assert booking.sequence == 0 and booking.history.count() == 1
    assert not queued


def test_moving_to_another_practitioner(reception):
    clinic = bookable_clinic(practitioners=2)
    booking = book(clinic, next_slot(days=4))
    other = clinic[1][1]
    response = move(reception, booking, booking.starts_at, practitioner=other)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.practitioner == other


def test_a_taken_time_is_refused_with_the_nearest_free_times(reception):
    clinic = bookable_clinic()
    booking = book(clinic, next_slot(days=3))
    taken = book(clinic, booking.starts_at + timedelta(hours=1))
    response = move(reception, booking, taken.starts_at)
    assert response.status_code == 409
    assert "taken" in response.content.decode() or "not free" in response.content.decode()
    assert response.context["alternatives"]
    booking.refresh_from_db()
    assert booking.starts_at != taken.starts_at and booking.sequence == 0


@pytest.mark.parametrize("field", ["start", "practitioner"])
def test_a_missing_or_tampered_choice_is_refused_plainly(reception, field):
    clinic = bookable_clinic()
    booking = book(clinic, next_slot(days=3))
    data = {"practitioner": booking.practitioner.pk, "start": format_start(booking.starts_at)}
    data[field] = "nonsense"
    response = reception.post(reverse("staff:reschedule", args=[booking.pk]), data)
    assert response.status_code == 400
    assert "Choose a practitioner and a free time" in response.content.decode()


def test_a_past_or_cancelled_booking_cannot_be_moved(reception):
    clinic = bookable_clinic()
    past = book(clinic, timezone.now() - timedelta(hours=1))
    page = reception.get(reverse("staff:reschedule", args=[past.pk]))
    assert "can no longer be moved" in page.content.decode()
    response = move(reception, past, next_slot(days=2))
    assert response.status_code == 409
    past.refresh_from_db()
    assert past.starts_at < timezone.now()


def test_the_move_lands_on_the_day_the_booking_moved_to(reception):
    clinic = bookable_clinic()
    booking = book(clinic, next_slot(days=3))
    later = next_slot(days=5, hour=11)
    response = move(reception, booking, later)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('staff:home')}?day={later.date().isoformat()}"


def test_a_page_left_open_while_the_booking_moved_elsewhere_moves_nothing(reception):
    """Two tabs on one booking: the second move, chosen from a time no longer shown, is
    refused rather than silently winning (and e-mailing the patient twice)."""
    clinic = bookable_clinic()
    booking = book(clinic, next_slot(days=3))
    tab_a = reception.get(reverse("staff:reschedule", args=[booking.pk]))
    assert 'name="sequence" value="0"' in tab_a.content.decode()
    first = booking.starts_at + timedelta(hours=1)
    second = booking.starts_at + timedelta(hours=2)
    seen = {"sequence": "0", "practitioner": booking.practitioner.pk}
    data = {**seen, "start": format_start(first)}
    assert reception.post(reverse("staff:reschedule", args=[booking.pk]), data).status_code == 302
    data = {**seen, "start": format_start(second)}
    stale = reception.post(reverse("staff:reschedule", args=[booking.pk]), data)
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "changed while this page was open" in page
    assert 'name="sequence" value="1"' in page  # chosen again, it moves
    booking.refresh_from_db()
    assert booking.starts_at == first and booking.sequence == 1


def test_a_check_in_stays_with_a_move_on_the_day_and_not_with_one_to_another_day():
    from bookings.services import booking_reschedule

    clinic = bookable_clinic()
    start = next_slot(days=3, hour=10)
    now = start - timedelta(hours=2)
    booking = book(clinic, start)
    booking.checked_in_at = now
    booking.save()
    # Running late: the patient is here, later the same day.
    moved = booking_reschedule(
        booking=booking, starts_at=start + timedelta(hours=2), by_staff=True, now=now
    )
    assert moved.checked_in_at == now
    moved = booking_reschedule(
        booking=booking, starts_at=start + timedelta(days=1), by_staff=True, now=now
    )
    moved.refresh_from_db()
    assert moved.checked_in_at is None
