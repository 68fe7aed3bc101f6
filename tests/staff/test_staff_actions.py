"""Today's actions: check in, completed, no-show, cancel; each with its refusals."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import BookingFactory, UserFactory, make_booking, sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def act(client, booking, action):
    url = reverse("staff:booking_action", args=[booking.pk, action])
    return client.post(url, follow=True)


def test_reception_checks_a_patient_in_then_marks_the_consultation_completed(
    reception, clinic_setup
):
    booking = make_booking(clinic_setup, timezone.now() - timedelta(seconds=1))
    page = act(reception, booking, "check-in")
    assert "checked in" in page.content.decode()
    booking.refresh_from_db()
    assert booking.checked_in_at is not None
    assert "already checked in" in act(reception, booking, "check-in").content.decode()
    assert "not a no-show" in act(reception, booking, "no-show").content.decode()
    act(reception, booking, "complete")
    booking.refresh_from_db()
    assert booking.status == "completed"
    assert booking.history.count() == 3  # created, checked in, completed


def test_no_show_only_once_the_consultation_has_begun(reception, clinic_setup):
    later = make_booking(clinic_setup, timezone.now() + timedelta(hours=2))
    assert "not started yet" in act(reception, later, "no-show").content.decode()
    started = make_booking(clinic_setup, timezone.now() - timedelta(minutes=20))
    act(reception, started, "no-show")
    started.refresh_from_db()
    assert started.status == "no_show"


def test_check_in_is_for_the_day_of_the_consultation(reception, clinic_setup):
    tomorrow = make_booking(clinic_setup, timezone.now() + timedelta(days=1, hours=1))
    assert "on the day" in act(reception, tomorrow, "check-in").content.decode()
    tomorrow.refresh_from_db()
    assert tomorrow.checked_in_at is None


def test_staff_cancel_even_inside_the_patient_cutoff(reception, clinic_setup):
    soon = make_booking(clinic_setup, timezone.now() + timedelta(hours=1))
    act(reception, soon, "cancel")
    soon.refresh_from_db()
    assert soon.status == "cancelled"


def test_actions_need_the_permission_to_change_bookings(client, clinic_setup):
    staff_without_role = UserFactory(username="temp")
    sign_in_with_second_factor(client, staff_without_role)
    booking = make_booking(clinic_setup, timezone.now())
    response = client.post(reverse("staff:booking_action", args=[booking.pk, "check-in"]))
    assert response.status_code == 403
    assert client.get(
        reverse("staff:booking_action", args=[booking.pk, "check-in"])
    ).status_code in (403, 405)
    booking.refresh_from_db()
    assert booking.checked_in_at is None


def test_an_unknown_action_is_a_404(reception, clinic_setup):
    booking = make_booking(clinic_setup, timezone.now())
    response = reception.post(reverse("staff:booking_action", args=[booking.pk, "explode"]))
    assert response.status_code == 404


@pytest.mark.usefixtures("winter_noon")  # an hour from now is still today (not so after 23:00)
def test_a_check_in_made_by_mistake_is_undone_from_the_day_list(reception, clinic_setup):
    booking = make_booking(clinic_setup, timezone.now() + timedelta(hours=1))
    undo = reverse("staff:booking_action", args=[booking.pk, "undo-check-in"])
    act(reception, booking, "check-in")
    page = reception.get(reverse("staff:home")).content.decode()
    assert undo in page and "Undo check-in" in page
    assert "check-in undone" in act(reception, booking, "undo-check-in").content.decode()
    booking.refresh_from_db()
    assert booking.checked_in_at is None and booking.status == "confirmed"
    assert "not checked in" in act(reception, booking, "undo-check-in").content.decode()
    page = reception.get(reverse("staff:home")).content.decode()
    assert undo not in page
    assert reverse("staff:booking_action", args=[booking.pk, "check-in"]) in page


def test_a_check_in_of_another_day_is_not_undone(reception, clinic_setup):
    booking = make_booking(clinic_setup, timezone.now() - timedelta(days=1, hours=1))
    booking.checked_in_at = booking.starts_at
    booking.save()
    page = act(reception, booking, "undo-check-in").content.decode()
    assert "on the day of the consultation only" in page
    booking.refresh_from_db()
    assert booking.checked_in_at is not None


@pytest.mark.usefixtures("winter_noon")
def test_a_patient_marked_a_no_show_who_arrives_after_all_is_checked_in(reception, clinic_setup):
    booking = make_booking(clinic_setup, timezone.now() - timedelta(minutes=20))
    undo = reverse("staff:booking_action", args=[booking.pk, "undo-no-show"])
    page = act(reception, booking, "no-show").content.decode()
    assert "undo it today if they arrive after all" in page
    assert undo in page and "Undo no-show" in page
    # A stale tab's check-in says why it is refused, in words.
    assert "already marked a no-show" in act(reception, booking, "check-in").content.decode()
    assert "no-show undone" in act(reception, booking, "undo-no-show").content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert "not marked a no-show" in act(reception, booking, "undo-no-show").content.decode()
    act(reception, booking, "check-in")
    booking.refresh_from_db()
    assert booking.checked_in_at is not None
    assert booking.history.count() == 4  # created, no-show, confirmed again, checked in


@pytest.mark.usefixtures("winter_noon")
def test_completed_clicked_on_the_wrong_row_is_undone_the_same_day(reception, clinic_setup):
    booking = make_booking(clinic_setup, timezone.now() - timedelta(minutes=20))
    undo = reverse("staff:booking_action", args=[booking.pk, "undo-complete"])
    act(reception, booking, "check-in")
    page = act(reception, booking, "complete").content.decode()
    assert "marked completed" in page and undo in page and "Undo completed" in page
    assert "completion undone" in act(reception, booking, "undo-complete").content.decode()
    booking.refresh_from_db()
    # Back to where it was: confirmed, the patient still here.
    assert booking.status == "confirmed" and booking.checked_in_at is not None
    assert "not marked completed" in act(reception, booking, "undo-complete").content.decode()
    page = reception.get(reverse("staff:home")).content.decode()
    assert undo not in page
    assert reverse("staff:booking_action", args=[booking.pk, "complete"]) in page
    assert booking.history.count() == 4  # created, checked in, completed, confirmed again


@pytest.mark.usefixtures("winter_noon")
def test_a_completion_is_not_undone_once_the_patient_is_booked_over_it(reception, clinic_setup):
    booking = make_booking(clinic_setup, timezone.now() - timedelta(minutes=20))
    act(reception, booking, "check-in")
    act(reception, booking, "complete")
    # Seen early and gone: booked again, with the other practitioner, over the same time.
    BookingFactory(
        patient=booking.patient,
        practitioner=clinic_setup["practitioners"][1],
        location=booking.location,
        consultation_type=booking.consultation_type,
        starts_at=booking.starts_at + timedelta(minutes=10),
    )
    page = act(reception, booking, "undo-complete").content.decode()
    assert "booked at an overlapping time since, so it stays completed" in page
    booking.refresh_from_db()
    assert booking.status == "completed"


@pytest.mark.usefixtures("winter_noon")
def test_a_completion_of_another_day_is_not_undone(reception, clinic_setup):
    booking = make_booking(clinic_setup, timezone.now() - timedelta(days=1))
    booking.status = "completed"
    booking.save()
    page = act(reception, booking, "undo-complete").content.decode()
    assert "on the day of the consultation only" in page
    booking.refresh_from_db()
    assert booking.status == "completed"


@pytest.mark.usefixtures("winter_noon")
def test_a_no_show_of_another_day_is_not_undone(reception, clinic_setup):
    booking = make_booking(clinic_setup, timezone.now() - timedelta(days=1))
    booking.status = "no_show"
    booking.save()
    page = act(reception, booking, "undo-no-show").content.decode()
    assert "on the day of the consultation only" in page
    assert reverse("staff:booking_action", args=[booking.pk, "undo-no-show"]) not in page
    booking.refresh_from_db()
    assert booking.status == "no_show"


@pytest.mark.usefixtures("winter_noon")
def test_a_no_show_is_not_undone_once_the_patient_is_booked_again_over_it(reception, clinic_setup):
    booking = make_booking(clinic_setup, timezone.now() - timedelta(minutes=20))
    act(reception, booking, "no-show")
    # Booked again by phone, with the other practitioner, once they were marked missing.
    BookingFactory(
        patient=booking.patient,
        practitioner=clinic_setup["practitioners"][1],
        consultation_type=clinic_setup["type"],
        location=clinic_setup["location"],
        starts_at=booking.starts_at + timedelta(minutes=15),
        ends_at=booking.starts_at + timedelta(minutes=45),
    )
    page = act(reception, booking, "undo-no-show").content.decode()
    assert "booked at an overlapping time since, so the no-show stays" in page
    booking.refresh_from_db()
    assert booking.status == "no_show"


def test_closing_a_consultation_asks_first_and_a_cancel_from_the_record_returns_to_it(
    reception, clinic_setup
):
    started = make_booking(clinic_setup, timezone.now() - timedelta(minutes=1))
    page = reception.get(reverse("staff:home") + "?day=" + started.starts_at.date().isoformat())
    html = page.content.decode()
    assert 'data-confirm="Mark this consultation completed?' in html
    assert 'data-confirm="Mark this patient a no-show?' in html
    later = make_booking(clinic_setup, timezone.now() + timedelta(days=2))
    record = reverse("staff:patient", args=[later.patient_id])
    cancel = reverse("staff:booking_action", args=[later.pk, "cancel"])
    assert 'name="back" value="patient"' in reception.get(record).content.decode()
    assert reception.post(cancel, {"back": "patient"})["Location"] == record
    later.refresh_from_db()
    assert later.status == "cancelled"


@pytest.mark.usefixtures("winter_noon")
def test_a_patient_who_has_arrived_is_not_cancelled_until_the_check_in_is_undone(
    reception, clinic_setup
):
    booking = make_booking(clinic_setup, timezone.now() + timedelta(hours=1))
    cancel = reverse("staff:booking_action", args=[booking.pk, "cancel"])
    act(reception, booking, "check-in")
    page = reception.get(reverse("staff:home")).content.decode()
    assert cancel not in page
    assert reverse("staff:reschedule", args=[booking.pk]) in page  # moved on the day, it stays
    move_page = reception.get(reverse("staff:reschedule", args=[booking.pk])).content.decode()
    assert "checked in at 12:" in move_page and "the check-in is cleared" in move_page
    # A tab opened before the check-in still shows the button: refused, in words.
    refused = act(reception, booking, "cancel").content.decode()
    assert "has checked in, so the booking was not cancelled" in refused
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    act(reception, booking, "undo-check-in")
    act(reception, booking, "cancel")
    booking.refresh_from_db()
    assert booking.status == "cancelled"
