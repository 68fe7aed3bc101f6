"""Staff see the days a location is closed: on the day list (with the bookings still to move),
the week, the month and the phone booking page."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Closure
from tests.factories import BookingFactory, PatientFactory

pytestmark = pytest.mark.django_db


def closed_day(setup, days=9, name="Christmas Day"):
    location = setup["location"]
    day = timezone.now().astimezone(location.zone).date() + timedelta(days=days)
    Closure.objects.create(location=location, first_day=day, last_day=day, name=name)
    return day


def booked_on(setup, day):
    return BookingFactory(
        patient=PatientFactory(first_name="Ada", last_name="Lovelace"),
        practitioner=setup["practitioners"][0],
        consultation_type=setup["type"],
        location=setup["location"],
        starts_at=datetime.combine(day, time(10), tzinfo=setup["location"].zone),
    )


def test_the_day_list_says_the_location_is_closed_and_to_move_what_is_booked(
    clinic_admin, clinic_setup
):
    day = closed_day(clinic_setup)
    booked_on(clinic_setup, day)
    page = clinic_admin.get(reverse("staff:home"), {"day": day.isoformat()}).content.decode()
    assert "Closed: Christmas Day." in page
    assert "move or cancel the bookings below" in page and "Lovelace" in page
    # The day before is open.
    before = (day - timedelta(days=1)).isoformat()
    assert (
        "Closed:" not in clinic_admin.get(reverse("staff:home"), {"day": before}).content.decode()
    )


def test_reception_s_arrivals_say_today_is_closed(reception, clinic_setup):
    closed_day(clinic_setup, days=0, name="Staff training day")
    page = reception.get(reverse("staff:home")).content.decode()
    assert "Closed: Staff training day." in page
    assert "move or cancel" not in page  # nobody is booked


def test_the_week_and_the_month_mark_the_closed_day(reception, clinic_setup):
    day = closed_day(clinic_setup, days=2, name="Boxing Day")
    week = reception.get(reverse("staff:week"), {"week": day.isoformat()}).content.decode()
    # In the grid's heading and in the phone's list of days.
    assert week.count("Closed: Boxing Day") == 2
    month = reception.get(reverse("staff:month"), {"month": day.isoformat()}).content.decode()
    assert month.count("Closed: Boxing Day") == 1


def test_the_week_marks_each_booking_still_to_move_off_a_closed_day(reception, clinic_setup):
    day = closed_day(clinic_setup, days=2, name="Boxing Day")
    to_move = booked_on(clinic_setup, day)
    booked_on(clinic_setup, day + timedelta(days=1))  # an open day: nothing to move
    week = reception.get(reverse("staff:week"), {"week": day.isoformat()}).content.decode()
    # On the booking, in the grid and in the phone's list of days.
    assert week.count("closed: move") == 2
    to_move.status = to_move.Status.CANCELLED
    to_move.save()
    week = reception.get(reverse("staff:week"), {"week": day.isoformat()}).content.decode()
    assert "closed: move" not in week


def test_the_month_lists_nobody_as_working_on_a_closed_day_but_who_is_booked(
    reception, clinic_setup
):
    day = closed_day(clinic_setup, days=3)
    booked_on(clinic_setup, day)
    response = reception.get(reverse("staff:month"), {"month": day.isoformat()})
    (cell,) = [c for week in response.context["weeks"] for c in week if c.day == day]
    assert cell.closed == "Christmas Day"
    (load,) = cell.loads
    assert load.practitioner == clinic_setup["practitioners"][0] and load.percent is None
    open_cell = next(
        c for week in response.context["weeks"] for c in week if c.day == day + timedelta(1)
    )
    assert len(open_cell.loads) == 2 and not open_cell.closed


def test_phone_booking_says_the_day_chosen_is_closed(reception, clinic_setup):
    day = closed_day(clinic_setup, days=4, name="New Year's Day")
    query = {
        "type": clinic_setup["type"].slug,
        "location": clinic_setup["location"].pk,
        "day": day.isoformat(),
    }
    response = reception.get(reverse("staff:phone_booking"), query)
    assert response.context["slots"] == []
    assert "Test clinic is closed that day: New Year&#x27;s Day." in response.content.decode()


def test_the_day_list_asks_to_move_only_bookings_still_confirmed(clinic_admin, clinic_setup):
    day = closed_day(clinic_setup)
    booking = booked_on(clinic_setup, day)
    booking.status = booking.Status.CANCELLED
    booking.save()
    page = clinic_admin.get(reverse("staff:home"), {"day": day.isoformat()}).content.decode()
    assert "Closed: Christmas Day." in page and "move or cancel" not in page


def test_moving_a_booking_off_a_closed_day_says_why_that_day_has_no_times(reception, clinic_setup):
    day = closed_day(clinic_setup)
    booking = booked_on(clinic_setup, day)
    page = reception.get(reverse("staff:reschedule", args=[booking.pk])).content.decode()
    assert "Test clinic is closed that day: Christmas Day. Choose another day." in page


def test_a_closure_keeps_its_location_once_saved(clinic_admin, clinic_setup):
    closed_day(clinic_setup)
    closure = Closure.objects.get()
    page = clinic_admin.get(reverse("admin:bookings_closure_change", args=[closure.pk]))
    assert 'name="location"' not in page.content.decode()
    assert 'name="name"' in page.content.decode()
