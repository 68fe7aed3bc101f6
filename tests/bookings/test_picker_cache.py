"""The slot picker's shared availability: every visitor's times come from it after one query
of the schedule versions, and every change that moves a free time, from any process, is seen
on the next request; changes that cannot move one (check-in, completion, no-show) keep it."""

import threading
from datetime import time, timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings import picker_cache
from bookings.arrivals import booking_check_in, booking_close
from bookings.drafts import format_start
from bookings.models import Booking, ConsultationType, ScheduleVersion, TimeOff, WorkingHours
from bookings.services import booking_cancel, booking_create, booking_reschedule
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    bookable_clinic,
    next_slot,
)

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


def test_a_second_visitor_gets_the_same_times_after_one_version_check(clinic):
    first, cold = look(clinic)
    second, warm = look(clinic)
    assert offered(second, next_slot()) and offered(first, next_slot())
    # The type and its practitioners' schedule versions, in one query; where and by whom it
    # is offered, the hours, time off, the days closed and bookings only when they are not kept
    # yet.
    assert warm == 1 and cold == 6


def test_a_visitor_with_a_session_gets_the_kept_times_on_a_page_of_their_own(clinic):
    look(clinic)
    returning = Client()
    returning.cookies["sessionid"] = "some-session"
    response, queries = look(clinic, client=returning)
    # The unknown session is looked up once; the times still come from the cache.
    assert queries == 2 and offered(response, next_slot())


def versions(*practitioners):
    return [ScheduleVersion.objects.get(practitioner=p).version for p in practitioners]


def test_check_in_completion_and_no_show_keep_the_versions(clinic):
    location, (practitioner,), consultation_type = clinic
    bookings = [
        booking_create(
            patient=PatientFactory(),
            consultation_type=consultation_type,
            location=location,
            starts_at=next_slot(days=1, hour=9 + n),
            notify=False,
        )
        for n in range(3)
    ]
    before = versions(practitioner)
    # On the day, after each consultation's time: what reception does with them.
    later = next_slot(days=1, hour=16)
    booking_check_in(booking=bookings[0], now=bookings[0].starts_at)
    booking_close(booking=bookings[0], status=Booking.Status.COMPLETED, now=later)
    booking_close(booking=bookings[1], status=Booking.Status.NO_SHOW, now=later)
    booking_close(booking=bookings[2], status=Booking.Status.COMPLETED, now=later)
    assert versions(practitioner) == before
    # A cancellation frees its time: that raises it.
    upcoming = booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=2),
        notify=False,
    )
    made = versions(practitioner)
    assert made > before
    booking_cancel(booking=upcoming, by_staff=True, notify=False)
    assert versions(practitioner) > made


def test_a_booking_moved_to_another_practitioner_raises_both_versions(clinic):
    location, (first,), consultation_type = clinic
    second = PractitionerFactory(locations=[location])
    consultation_type.practitioners.add(second)
    WorkingHours.objects.bulk_create(
        WorkingHours(
            practitioner=second,
            location=location,
            weekday=hours.weekday,
            start_time=hours.start_time,
            end_time=hours.end_time,
        )
        for hours in WorkingHours.objects.filter(practitioner=first)
    )
    booking = booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(),
        practitioner=first,
        notify=False,
    )
    before = versions(first, second)
    booking_reschedule(
        booking=booking, starts_at=next_slot(), practitioner=second, by_staff=True, notify=False
    )
    after = versions(first, second)
    assert after[0] > before[0] and after[1] > before[1]


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


def test_a_kept_time_is_not_offered_once_it_falls_inside_the_notice(clinic):
    location, _, consultation_type = clinic
    assert offered(look(clinic)[0], next_slot())
    # The notice grows past the slot: the type's row is in the key, so nothing kept is used.
    ConsultationType.objects.filter(pk=consultation_type.pk).update(min_notice_hours=24 * 30)
    assert not offered(look(clinic)[0], next_slot())
    # And the times kept are filtered on reading, with the same rule as the engine.
    consultation_type.refresh_from_db()
    eligible = list(consultation_type.practitioners.all())
    state = picker_cache.schedule_state(consultation_type)
    day = next_slot().astimezone(location.zone).date()
    search = {
        "state": state,
        "consultation_type": consultation_type,
        "location": location,
        "first_day": day,
        "last_day": day,
        "practitioner": None,
        "eligible": eligible,
    }
    early = next_slot() - timedelta(days=30)
    kept = picker_cache.available_slots(**search, now=early)
    assert kept.slot_at(next_slot()) is not None
    just_before = next_slot() - timedelta(days=30) + timedelta(minutes=1)
    again = picker_cache.available_slots(**search, now=just_before)
    assert again.slot_at(next_slot()) is None


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


def menu_of(clinic) -> str:
    """The picker as a new visitor sees it, its menus from the shared cache once drawn."""
    return look(clinic, client=Client())[0].content.decode()


def test_the_practitioner_menu_follows_names_titles_and_who_is_active(clinic):
    location, _, consultation_type = clinic
    second = PractitionerFactory(locations=[location], user__first_name="Zora")
    consultation_type.practitioners.add(second)
    assert "Zora" in menu_of(clinic) and "Zora" in menu_of(clinic)  # drawn, then kept
    second.user.first_name = "Yolanda"
    second.user.save()
    assert "Yolanda" in menu_of(clinic) and "Zora" not in menu_of(clinic)
    second.user.first_name = "Xena"
    second.user.save(update_fields=["first_name"])
    assert "Xena" in menu_of(clinic)
    second.title = "Hair surgeon"
    second.save()
    assert "Xena " + second.user.last_name + ", Hair surgeon" in menu_of(clinic)
    second.is_active = False
    second.save()
    assert "Xena" not in menu_of(clinic)


def test_a_sign_in_keeps_the_versions(clinic):
    _, (practitioner,), _ = clinic
    before = versions(practitioner)
    practitioner.user.save(update_fields=["last_login"])
    assert versions(practitioner) == before


def test_the_location_menu_follows_locations_renamed_added_and_deleted(clinic):
    location, (practitioner,), _ = clinic
    assert "Kensington" not in menu_of(clinic)
    other = LocationFactory(name="Kensington")
    practitioner.locations.add(other)
    assert "Kensington" in menu_of(clinic) and "Kensington" in menu_of(clinic)
    other.name = "Chelsea"
    other.save()
    html = menu_of(clinic)
    assert "Chelsea" in html and "Kensington" not in html
    other.delete()
    assert "Chelsea" not in menu_of(clinic)
    location.name = "Belsize Park"
    location.save()
    assert "Belsize Park" in menu_of(clinic)
