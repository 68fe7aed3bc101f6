"""The slot picker's shared cache: a first-time visitor's page comes from it in one query, and
every change that moves a free time, from any process, is seen on the next request."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings import picker_cache
from bookings.availability import Slot
from bookings.drafts import format_start
from bookings.models import Booking, ConsultationType, ScheduleVersion, TimeOff, WorkingHours
from bookings.services import booking_cancel, booking_create
from tests.factories import PatientFactory, PractitionerFactory, bookable_clinic, next_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return bookable_clinic()


def picker(clinic, **query):
    location, _, consultation_type = clinic
    url = reverse("bookings:times", args=[consultation_type.slug])
    return url, {"location": location.pk, "practitioner": "any", **query}


def offered(response, start) -> bool:
    return f"start={format_start(start)}" in response.content.decode()


def look(clinic, day_ahead=3, client=None):
    """A first-time visitor (no cookies) opening the picker on the day of ``next_slot``."""
    url, query = picker(clinic, day=next_slot(days=day_ahead).date().isoformat())
    with CaptureQueriesContext(connection) as queries:
        response = (client or Client()).get(url, query)
    assert response.status_code == 200
    return response, len(queries)


def test_a_second_visitor_gets_the_same_page_in_one_query(clinic):
    first, cold = look(clinic)
    second, warm = look(clinic)
    assert second.content == first.content and offered(second, next_slot())
    # The type with its practitioners' versions: the key. Nothing else.
    assert warm == 1 and cold > warm


def test_a_booking_takes_the_time_off_the_next_page_and_a_cancellation_brings_it_back(clinic):
    location, _, consultation_type = clinic
    assert offered(look(clinic)[0], next_slot())
    booking = booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(),
        notify=False,
    )
    assert not offered(look(clinic)[0], next_slot())
    booking_cancel(booking=booking, by_staff=True, notify=False)
    assert offered(look(clinic)[0], next_slot())


# next_slot() is 10:00 UTC, which is 11:00 in London in summer: moving the day's start to 11:00
# would then leave the slot offered. In winter, 10:00 UTC is the 10:00 slot the test means.
@pytest.mark.usefixtures("winter_noon")
def test_hours_time_off_and_the_consultation_type_are_seen_at_once(clinic):
    location, (practitioner,), consultation_type = clinic
    start = next_slot()
    assert offered(look(clinic)[0], start)
    time_off = TimeOff.objects.create(
        practitioner=practitioner,
        starts_at=start - timedelta(hours=1),
        ends_at=start + timedelta(hours=1),
    )
    assert not offered(look(clinic)[0], start)
    time_off.delete()
    assert offered(look(clinic)[0], start)
    hours = WorkingHours.objects.filter(practitioner=practitioner)
    for row in hours:
        row.start_time = time(11)  # the 10:00 slot is now before the day begins
        row.save()
    assert not offered(look(clinic)[0], start)
    WorkingHours.objects.filter(practitioner=practitioner).delete()
    for weekday in range(7):
        WorkingHours.objects.create(
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=time(9),
            end_time=time(17),
        )
    assert offered(look(clinic)[0], start)
    ConsultationType.objects.filter(pk=consultation_type.pk).update(horizon_days=1)
    assert not offered(look(clinic)[0], start)  # beyond the new horizon


def test_a_new_practitioner_offering_the_type_changes_the_page(clinic):
    location, _, consultation_type = clinic
    before = look(clinic)[0].content
    newcomer = PractitionerFactory(locations=[location], user__first_name="Zora")
    consultation_type.practitioners.add(newcomer)
    after = look(clinic, client=Client())[0].content.decode()
    assert after != before.decode() and "Zora" in after


def test_visitors_with_a_session_or_a_booking_in_progress_are_never_served_from_it(clinic):
    look(clinic)
    url, query = picker(clinic, day=next_slot(days=3).date().isoformat())
    returning = Client()
    returning.cookies["sessionid"] = "some-session"
    with CaptureQueriesContext(connection) as queries:
        returning.get(url, query)
    assert len(queries) > 1
    with CaptureQueriesContext(connection) as queries:
        Client().get(url, {**query, "draft": "abc"})
    assert len(queries) > 1


def test_a_page_expires_before_its_first_time_falls_inside_the_notice():
    zone = UTC
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    first = Slot(start=now + timedelta(hours=2, seconds=90), end=now + timedelta(hours=3))
    later = Slot(start=now + timedelta(hours=5), end=now + timedelta(hours=6))
    week = [(now.date(), [first]), (now.date() + timedelta(days=1), [later])]
    # 90 s: then the first time is less than the two hours' notice away.
    assert picker_cache.expires_in(week, timedelta(hours=2), zone, now) == 90
    # Without a time on the page, it lasts MAX_AGE; never past the clinic's midnight.
    assert picker_cache.expires_in([], timedelta(hours=2), zone, now) == 300
    late = datetime(2026, 3, 2, 23, 58, tzinfo=UTC)
    assert picker_cache.expires_in([], timedelta(hours=2), zone, late) == 120


def test_a_practitioner_made_by_a_bulk_insert_still_gets_a_version(clinic):
    _, (practitioner,), _ = clinic
    ScheduleVersion.objects.filter(practitioner=practitioner).delete()
    picker_cache.schedules_changed([practitioner.pk])
    assert ScheduleVersion.objects.get(practitioner=practitioner).version >= 1


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_a_booking_made_by_another_process_is_seen_on_the_next_request():
    """Another app server books through its own database connection, with its own cache: the
    version it raises in the database makes this server's cached page stale."""
    clinic = bookable_clinic()
    location, _, consultation_type = clinic
    assert offered(look(clinic)[0], next_slot())

    def other_server():
        try:
            booking_create(
                patient=PatientFactory(),
                consultation_type=consultation_type,
                location=location,
                starts_at=next_slot(),
                notify=False,
            )
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_server, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the other server's booking hung"
    assert Booking.objects.count() == 1
    assert not offered(look(clinic)[0], next_slot())


def test_a_practitioner_leaving_the_location_is_seen_at_once(clinic):
    location, (practitioner,), _ = clinic
    assert offered(look(clinic)[0], next_slot())
    practitioner.locations.remove(location)
    url, query = picker(clinic, day=next_slot(days=3).date().isoformat())
    assert Client().get(url, query).status_code == 404  # nobody offers it there any more
    location.practitioners.add(practitioner)
    assert offered(look(clinic)[0], next_slot())
