"""Procedures hold rooms and equipment: the slots offered, the holds the booking services write,
move and release, the refusals people read, and the admin screens that configure them."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from bookings.arrivals import booking_close, booking_no_show_undo
from bookings.models import Booking, ConsultationType, ResourceHold
from bookings.privacy import patient_erase, patient_export
from bookings.selectors import available_slots
from bookings.services import (
    BookingError,
    booking_cancel,
    booking_create,
    booking_reschedule,
)
from tests.factories import (
    BookingFactory,
    ConsultationTypeFactory,
    LocationFactory,
    PatientFactory,
    ResourceFactory,
    UserFactory,
    procedure_clinic,
    resource_hours,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db

# Monday 2 March 2026 in London (GMT, so UTC equals local time); procedures a week later.
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
MONDAY = date(2026, 3, 9)


def at(hour, minute=0, day=MONDAY):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def book(procedure, location, start, practitioner=None, patient=None, now=NOW):
    return booking_create(
        patient=patient or PatientFactory(),
        consultation_type=procedure,
        location=location,
        starts_at=start,
        practitioner=practitioner,
        now=now,
        notify=False,
    )


def day_slots(procedure, location, practitioner=None, day=MONDAY, exclude=None):
    return available_slots(
        consultation_type=procedure,
        location=location,
        first_day=day,
        last_day=day,
        practitioner=practitioner,
        now=NOW,
        exclude_booking_id=exclude,
    )


def holds_of(booking):
    return sorted(
        ResourceHold.objects.filter(booking=booking).values_list(
            "resource__name", "held_from", "held_until"
        )
    )


# The slots offered.


@pytest.mark.parametrize(("practitioners", "resources"), [(1, 1), (3, 2), (8, 6)])
def test_procedure_slots_take_seven_queries_whatever_the_number_of_resources_and_practitioners(
    django_assert_num_queries, practitioners, resources
):
    names = [f"Room {n}" for n in range(resources)]
    location, staff, _, procedure = procedure_clinic(practitioners, names)
    for n, practitioner in enumerate(staff):
        day = MONDAY + timedelta(days=n // 4)
        book(procedure, location, at(9 + 2 * (n % 4), day=day), practitioner=practitioner)
    with django_assert_num_queries(7):
        result = available_slots(
            consultation_type=procedure,
            location=location,
            first_day=MONDAY,
            last_day=MONDAY + timedelta(days=13),
            now=NOW,
        )
    assert result.slots
    # Every booking holds every room, so no other practitioner is offered its time.
    assert result.slot_at(at(9)) is None
    assert {pid for slot in result.slots for pid in slot.practitioner_ids} == {p.pk for p in staff}


def test_a_consultation_costs_no_more_queries_where_rooms_exist(django_assert_num_queries):
    location, staff, _, _ = procedure_clinic(2)
    consultation = ConsultationTypeFactory(practitioners=staff)
    with django_assert_num_queries(5):
        result = day_slots(consultation, location)
    assert result.slot_at(at(9))


def test_a_procedure_is_offered_only_while_its_room_is_free_of_another_practitioners_booking():
    location, (first, second), _, procedure = procedure_clinic(2)
    booked = book(procedure, location, at(10), practitioner=first)
    # 60 minutes and 15 of cleaning: the room is held 10:00-11:15 for everyone.
    result = day_slots(procedure, location, practitioner=second)
    assert result.slot_at(at(9)) is None  # would hold the room until 10:15
    assert result.slot_at(at(8, 45)) is None  # outside the practitioner's hours
    assert result.slot_at(at(11)) is None and result.slot_at(at(11, 15))
    booking_cancel(booking=booked, by_staff=True, now=NOW, notify=False)
    assert day_slots(procedure, location, practitioner=second).slot_at(at(10))


def test_a_room_out_of_service_or_without_hours_offers_nothing():
    location, _, (room,), procedure = procedure_clinic(1)
    room.active = False
    room.save()
    assert day_slots(procedure, location).slots == []
    room.active = True
    room.save()
    room.hours.all().delete()
    assert day_slots(procedure, location).slots == []


def test_a_procedure_whose_rooms_are_at_another_location_is_not_offered_there(
    django_assert_num_queries,
):
    _, staff, _, procedure = procedure_clinic(1)
    elsewhere = LocationFactory(time_zone="Europe/London")
    staff[0].locations.add(elsewhere)
    staff[0].working_hours.create(
        location=elsewhere, weekday=1, start_time=time(9), end_time=time(17)
    )
    tuesday = MONDAY + timedelta(days=1)
    # Who offers it there, then its resources: none here, so nothing more is read.
    with django_assert_num_queries(2):
        assert day_slots(procedure, elsewhere, day=tuesday).slots == []
    with pytest.raises(BookingError, match="rooms and equipment it needs are at another one"):
        book(procedure, elsewhere, at(10, day=tuesday))


def test_a_procedure_without_resources_is_booked_like_a_consultation():
    location, _, _, procedure = procedure_clinic(1)
    procedure.resources.clear()
    booking = book(procedure, location, at(10))
    assert holds_of(booking) == []


# The holds the services write, move and release.


def test_booking_a_procedure_holds_every_resource_over_the_blocked_interval():
    location, _, _, procedure = procedure_clinic(1, ["Procedure room", "Centrifuge"])
    procedure.buffer_before_minutes = 10
    procedure.save()
    booking = book(procedure, location, at(10))
    assert (booking.blocked_from, booking.blocked_until) == (at(9, 50), at(11, 15))
    assert holds_of(booking) == [
        ("Centrifuge", at(9, 50), at(11, 15)),
        ("Procedure room", at(9, 50), at(11, 15)),
    ]


def test_a_second_practitioner_is_told_the_room_is_taken_with_the_nearest_free_times():
    location, (first, second), _, procedure = procedure_clinic(2)
    book(procedure, location, at(10), practitioner=first)
    with pytest.raises(BookingError) as refusal:
        book(procedure, location, at(10, 30), practitioner=second)
    assert refusal.value.message == (
        "The procedure room is taken at that time. Please choose another time."
    )
    assert refusal.value.alternatives
    held = (at(10), at(11, 15))
    for slot in refusal.value.alternatives:
        assert slot.end + timedelta(minutes=15) <= held[0] or slot.start >= held[1]


def test_every_taken_resource_is_named():
    location, (first, second), _, procedure = procedure_clinic(
        2, ["Procedure room", "Centrifuge", "PRP kit"]
    )
    book(procedure, location, at(10), practitioner=first)
    with pytest.raises(BookingError) as refusal:
        book(procedure, location, at(10), practitioner=second)
    assert refusal.value.message.startswith(
        "The procedure room, the centrifuge and the PRP kit are taken at that time."
    )


def test_the_same_practitioner_busy_is_still_the_usual_taken_message():
    location, (first, _), _, procedure = procedure_clinic(2)
    book(procedure, location, at(10), practitioner=first)
    with pytest.raises(BookingError, match="just been taken"):
        book(procedure, location, at(10), practitioner=first)


def test_first_available_for_a_procedure_takes_a_free_practitioner_but_never_a_held_room():
    location, _, _, procedure = procedure_clinic(2)
    book(procedure, location, at(10))
    with pytest.raises(BookingError, match="The procedure room is taken at that time"):
        book(procedure, location, at(10))
    assert Booking.objects.count() == 1


def test_cancelling_or_a_no_show_frees_the_room_and_completing_keeps_the_record():
    location, (first, second), _, procedure = procedure_clinic(2)
    cancelled = book(procedure, location, at(10), practitioner=first)
    booking_cancel(booking=cancelled, by_staff=True, now=NOW, notify=False)
    assert holds_of(cancelled) == []
    missed = book(procedure, location, at(10), practitioner=second)
    booking_close(booking=missed, status=Booking.Status.NO_SHOW, now=at(10, 20))
    assert holds_of(missed) == []
    done = book(procedure, location, at(13), practitioner=first)
    booking_close(booking=done, status=Booking.Status.COMPLETED, now=at(14))
    assert len(holds_of(done)) == 1


def test_a_no_show_undone_holds_the_room_again_unless_it_was_taken_since():
    location, (first, second), _, procedure = procedure_clinic(2)
    late = book(procedure, location, at(10), practitioner=first)
    held = holds_of(late)
    booking_close(booking=late, status=Booking.Status.NO_SHOW, now=at(10, 20))
    booking_no_show_undo(booking=late, now=at(10, 25))
    assert holds_of(late) == held
    late.refresh_from_db()
    assert late.status == Booking.Status.CONFIRMED
    booking_close(booking=late, status=Booking.Status.NO_SHOW, now=at(10, 30))
    # The room, free once they were missing, given to the other practitioner's patient.
    ResourceHold.objects.create(
        booking=BookingFactory(practitioner=second, location=location, starts_at=at(10, 30)),
        resource=location.resources.get(),
        held_from=at(10, 30),
        held_until=at(11),
    )
    with pytest.raises(BookingError, match=r"taken at that time\. The no-show stays"):
        booking_no_show_undo(booking=late, now=at(10, 35))
    late.refresh_from_db()
    assert late.status == Booking.Status.NO_SHOW and holds_of(late) == []


def test_rescheduling_moves_the_holds_and_a_refused_move_keeps_them():
    location, (first, second), _, procedure = procedure_clinic(2)
    mine = book(procedure, location, at(10), practitioner=first)
    booking_reschedule(booking=mine, starts_at=at(14), by_staff=True, now=NOW, notify=False)
    assert holds_of(mine) == [("Procedure room", at(14), at(15, 15))]
    # The old time is free for everyone again.
    book(procedure, location, at(10), practitioner=second)
    with pytest.raises(BookingError, match="procedure room is taken"):
        booking_reschedule(booking=mine, starts_at=at(10, 30), by_staff=True, now=NOW)
    assert holds_of(mine) == [("Procedure room", at(14), at(15, 15))]
    # Moving within its own hold is fine: it does not clash with itself.
    booking_reschedule(booking=mine, starts_at=at(14, 30), by_staff=True, now=NOW, notify=False)
    assert holds_of(mine) == [("Procedure room", at(14, 30), at(15, 45))]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's exclusion constraint")
def test_database_refuses_two_holds_of_one_room_even_when_the_service_is_bypassed():
    location, (first, second), (room,), procedure = procedure_clinic(2)
    booking = book(procedure, location, at(10), practitioner=first)
    other = BookingFactory(
        practitioner=second, consultation_type=procedure, location=location, starts_at=at(12)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceHold.objects.create(
            booking=other, resource=room, held_from=at(11), held_until=at(12)
        )
    # Touching is not overlapping: the hold ends at 11:15.
    ResourceHold.objects.create(
        booking=other, resource=room, held_from=booking.blocked_until, held_until=at(12)
    )


# Export and erasure.


def test_erasure_leaves_no_hold_for_the_bookings_it_cancels_and_export_still_works():
    location, (first, _), _, procedure = procedure_clinic(2)
    patient = PatientFactory()
    future = book(procedure, location, at(10), practitioner=first, patient=patient)
    name, content = patient_export(patient=patient)
    assert name.endswith(".zip") and content
    patient_erase(patient=patient, now=NOW)
    future.refresh_from_db()
    assert future.status == Booking.Status.CANCELLED
    assert holds_of(future) == []
    assert day_slots(procedure, location).slot_at(at(10))


# The public booking flow offers consultations only.


def test_the_public_flow_neither_lists_nor_books_a_procedure(client):
    location, staff, _, procedure = procedure_clinic(1)
    consultation = ConsultationTypeFactory(practitioners=staff, name="Initial consultation")
    page = client.get(reverse("bookings:start")).content.decode()
    assert consultation.name in page and procedure.name not in page
    assert client.get(reverse("bookings:times", args=[procedure.slug])).status_code == 404
    details = reverse("bookings:details", args=[procedure.slug])
    assert client.get(details, {"location": location.pk}).status_code == 404


# The admin screens.


@pytest.fixture
def admin_client(client):
    return sign_in_with_second_factor(client, UserFactory(username="boss", is_superuser=True))


def resource_post(location, spans, name="Procedure room"):
    data = {
        "name": name,
        "kind": "room",
        "location": location.pk,
        "active": "on",
        "hours-TOTAL_FORMS": str(len(spans)),
        "hours-INITIAL_FORMS": "0",
    }
    for index, (weekday, start, end) in enumerate(spans):
        data |= {
            f"hours-{index}-weekday": weekday,
            f"hours-{index}-start_time": start,
            f"hours-{index}-end_time": end,
        }
    return data


def test_admin_adds_a_room_with_its_hours_and_refuses_overlapping_spans(admin_client):
    location = LocationFactory()
    url = reverse("admin:bookings_resource_add")
    assert admin_client.get(url).status_code == 200
    overlapping = resource_post(location, [(0, "09:00", "13:00"), (0, "12:00", "17:00")])
    response = admin_client.post(url, overlapping)
    assert response.status_code == 200
    assert "Two spans overlap on Monday: 09:00–13:00 and 12:00–17:00." in response.content.decode()
    assert not location.resources.exists()
    response = admin_client.post(url, resource_post(location, [(0, "09:00", "17:00")]))
    assert response.status_code == 302
    room = location.resources.get()
    assert list(room.hours.values_list("weekday", "start_time")) == [(0, time(9))]
    listing = admin_client.get(reverse("admin:bookings_resource_changelist"), {"q": "room"})
    assert listing.status_code == 200 and "Procedure room" in listing.content.decode()


def test_admin_refuses_rooms_for_a_consultation(admin_client):
    location = LocationFactory()
    room = ResourceFactory(location=location)
    resource_hours(room)
    consultation = ConsultationTypeFactory()
    url = reverse("admin:bookings_consultationtype_change", args=[consultation.pk])
    data = {
        "name": consultation.name,
        "slug": consultation.slug,
        "description": "A consultation.",
        "kind": "consultation",
        "mode": "in_person",
        "price": "0",
        "position": "0",
        "is_active": "on",
        "duration_minutes": "30",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "0",
        "slot_interval_minutes": "15",
        "min_notice_hours": "0",
        "horizon_days": "60",
        "late_cancel_hours": "24",
        "resources": [room.pk],
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Only procedures hold rooms and equipment" in response.content.decode()
    assert not consultation.resources.exists()
    response = admin_client.post(url, data | {"kind": "procedure"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.kind == ConsultationType.Kind.PROCEDURE
    assert list(consultation.resources.all()) == [room]
    # A procedure asks no hair-loss questions: the box ticked is refused, and the database
    # refuses it from anywhere else.
    response = admin_client.post(url, data | {"kind": "procedure", "intake_required": "on"})
    assert response.status_code == 200
    assert "A procedure does not ask the hair-loss questions" in response.content.decode()
    consultation.refresh_from_db()
    assert not consultation.intake_required
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationType.objects.filter(pk=consultation.pk).update(intake_required=True)
