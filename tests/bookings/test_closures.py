"""Days a location is closed (a bank holiday, the Christmas break): nothing is offered or booked
there on them, whoever the practitioner, and what was booked before is named to be moved."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from bookings import availability, selectors
from bookings.models import Booking, Closure, WaitlistEntry
from bookings.services import BookingError, booking_create
from tests.factories import (
    BookingFactory,
    LocationFactory,
    PatientFactory,
    bookable_clinic,
    weekly_hours,
)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def day_ahead(days):
    return timezone.now().astimezone(LONDON).date() + timedelta(days=days)


def at_ten(day):
    return datetime.combine(day, time(10), tzinfo=LONDON)


def offered_days(location, consultation_type, first, last, practitioner=None):
    result = selectors.available_slots(
        consultation_type=consultation_type,
        location=location,
        first_day=first,
        last_day=last,
        practitioner=practitioner,
    )
    return {day for day, _ in result.slots_by_day()}, result


def test_a_closed_day_offers_no_time_with_anyone_and_the_days_around_it_stay_open():
    location, staff, consultation_type = bookable_clinic(practitioners=2)
    closed = day_ahead(5)
    Closure.objects.create(location=location, first_day=closed, last_day=closed, name="Boxing Day")
    first, last = closed - timedelta(days=1), closed + timedelta(days=1)
    days, result = offered_days(location, consultation_type, first, last)
    assert days == {first, last}
    assert result.closed == {closed: "Boxing Day"}
    days, _ = offered_days(location, consultation_type, first, last, practitioner=staff[1])
    assert days == {first, last}


def test_a_closure_of_one_location_leaves_another_open_for_the_same_practitioner():
    location, (practitioner,), consultation_type = bookable_clinic()
    other = LocationFactory(name="Harley Street", time_zone="Europe/London")
    practitioner.locations.add(other)
    # Hampstead on Monday to Wednesday, Harley Street from Thursday (one place a day).
    practitioner.working_hours.all().delete()
    weekly_hours(practitioner, location, weekdays=range(3))
    weekly_hours(practitioner, other, weekdays=range(3, 7))
    first, last = day_ahead(3), day_ahead(16)
    Closure.objects.create(location=location, first_day=first, last_day=last, name="Refit")
    assert offered_days(location, consultation_type, first, last)[0] == set()
    open_days, _ = offered_days(other, consultation_type, first, last)
    assert open_days and all(day.weekday() >= 3 for day in open_days)


def test_booking_a_closed_day_is_refused_with_its_name_and_nothing_is_written():
    location, (practitioner,), consultation_type = bookable_clinic()
    closed = day_ahead(6)
    Closure.objects.create(
        location=location, first_day=closed, last_day=closed, name="Christmas Day"
    )
    for who in (practitioner, None):  # the practitioner asked for, and "first available"
        with pytest.raises(BookingError) as refused:
            booking_create(
                patient=PatientFactory(),
                consultation_type=consultation_type,
                location=location,
                starts_at=at_ten(closed),
                practitioner=who,
                notify=False,
            )
        assert "Hampstead is closed on" in refused.value.message
        assert "(Christmas Day)" in refused.value.message
        # The nearest free times offered instead are on open days.
        assert refused.value.alternatives
        assert all(s.start.astimezone(LONDON).date() != closed for s in refused.value.alternatives)
    assert not Booking.objects.exists()
    # The day after is bookable as ever.
    booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=at_ten(closed + timedelta(days=1)),
        notify=False,
    )


def test_the_database_refuses_a_closure_that_ends_before_it_starts():
    location = LocationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Closure.objects.create(
            location=location, first_day=date(2027, 1, 2), last_day=date(2027, 1, 1), name="Oops"
        )


def test_a_closed_day_on_the_clocks_change_is_closed_for_its_23_hours():
    # The clocks go forward in London on Sunday 28 March 2027.
    (interval,) = availability.closed_day_intervals([date(2027, 3, 28)], LONDON)
    assert interval.start == datetime(2027, 3, 28, 0, tzinfo=UTC)
    assert interval.end == datetime(2027, 3, 28, 23, tzinfo=UTC)


def test_the_picker_drops_the_times_of_a_day_closed_since_they_were_kept(client):
    location, _, consultation_type = bookable_clinic()
    closed = day_ahead(4)
    picker = reverse("bookings:times", args=[consultation_type.slug])
    query = {"location": location.pk, "practitioner": "any", "day": closed.isoformat()}
    before = client.get(picker, query).content.decode()
    assert "No free times on this day" not in before and "slot-button" in before
    Closure.objects.create(location=location, first_day=closed, last_day=closed, name="Boxing Day")
    after = client.get(picker, query).content.decode()
    assert "Closed on this day: Boxing Day." in after
    # The week's list says it for that day, and only that day.
    assert after.count("Closed: Boxing Day.") == 1
    # Opened again, the day's times come back.
    Closure.objects.all().delete()
    assert "Closed on this day" not in client.get(picker, query).content.decode()


def test_the_admin_names_the_bookings_already_made_on_the_days_closed(clinic_admin):
    location, (practitioner,), consultation_type = bookable_clinic()
    closed = day_ahead(8)
    booking = BookingFactory(
        patient=PatientFactory(first_name="Ada", last_name="Lovelace"),
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=at_ten(closed),
    )
    BookingFactory(  # the day after: not named
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=at_ten(closed + timedelta(days=1)),
    )
    form = {
        "location": location.pk,
        "name": "Christmas Day",
        "first_day": closed.isoformat(),
        "last_day": closed.isoformat(),
    }
    response = clinic_admin.post(reverse("admin:bookings_closure_add"), form, follow=True)
    page = response.content.decode()
    assert (
        "1 confirmed booking still to come falls on Christmas Day, when Hampstead is closed, and "
        "stays booked" in page
    )
    assert "Ada Lovelace" in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED  # moved by a person, not by the closure


@pytest.mark.parametrize(
    ("first", "last", "error"),
    [
        (10, 9, "The last day cannot come before the first."),
        (10, 10 + 366, "A closure of more than a year: check the dates."),
        (800, 800, "A closure more than two years ahead: check the year."),
    ],
)
def test_the_admin_refuses_days_that_cannot_be_meant_and_keeps_the_typing(
    clinic_admin, first, last, error
):
    location = LocationFactory()
    form = {
        "location": location.pk,
        "name": "Summer break",
        "first_day": day_ahead(first).isoformat(),
        "last_day": day_ahead(last).isoformat(),
    }
    response = clinic_admin.post(reverse("admin:bookings_closure_add"), form)
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page and 'value="Summer break"' in page
    assert not Closure.objects.exists()


def test_reception_sees_the_closures_but_only_a_clinic_admin_sets_them(reception):
    assert reception.get(reverse("admin:bookings_closure_changelist")).status_code == 200
    assert reception.get(reverse("admin:bookings_closure_add")).status_code == 403


def test_the_admin_names_no_booking_already_past(clinic_admin):
    location, (practitioner,), consultation_type = bookable_clinic()
    today = day_ahead(0)
    BookingFactory(
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=timezone.now() - timedelta(minutes=30),
    )
    form = {
        "location": location.pk,
        "name": "Burst pipe",
        "first_day": today.isoformat(),
        "last_day": today.isoformat(),
    }
    response = clinic_admin.post(reverse("admin:bookings_closure_add"), form, follow=True)
    assert "still to come" not in response.content.decode()
    assert Closure.objects.filter(name="Burst pipe").exists()


def test_the_waitlist_refuses_a_wish_for_closed_days_alone_and_keeps_the_typing(client):
    location, _, consultation_type = bookable_clinic()
    first, last = day_ahead(20), day_ahead(21)
    Closure.objects.create(location=location, first_day=first, last_day=last, name="Refit")
    url = reverse("bookings:waitlist", args=[consultation_type.slug])
    form = {
        "location": location.pk,
        "practitioner": "any",
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "consent_care": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "We are closed on all of those days (Refit). Please choose other days." in page
    assert 'value="Ada"' in page and 'value="ada@example.com"' in page
    assert not WaitlistEntry.objects.exists()
    # One open day in the range is enough.
    response = client.post(url, {**form, "last_day": (last + timedelta(days=1)).isoformat()})
    assert response.status_code == 302 and WaitlistEntry.objects.count() == 1
