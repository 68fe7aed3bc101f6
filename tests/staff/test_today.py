"""The day view: today by default, any other day on asking, actions that return to that day."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, make_booking, sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def local_noon(setup, days_ahead):
    zone = setup["location"].zone
    day = timezone.now().astimezone(zone) + timedelta(days=days_ahead)
    return day.replace(hour=12, minute=0, second=0, microsecond=0)


def named(setup, start, name):
    booking = make_booking(setup, start)
    first, last = name.split()
    type(booking.patient).objects.filter(pk=booking.patient_id).update(
        first_name=first, last_name=last
    )
    return booking


def test_another_day_lists_that_days_consultations_only(reception, clinic_setup):
    named(clinic_setup, local_noon(clinic_setup, 0), "Today Patient")
    later = named(clinic_setup, local_noon(clinic_setup, 3), "Later Patient")
    day = later.starts_at.astimezone(clinic_setup["location"].zone).date()

    page = reception.get(reverse("staff:home"), {"day": day.isoformat()}).content.decode()

    assert "Later Patient" in page and "Today Patient" not in page
    # Check-in is for the day itself; moving and cancelling are offered ahead.
    assert "Check in" not in page and "Move" in page and "Cancel" in page
    assert f"{day:%A} {day.day} {day:%B %Y}" in page  # the heading names the day
    assert "Previous day" in page and f"?day={day - timedelta(days=1)}" in page
    today = reception.get(reverse("staff:home")).content.decode()
    assert "Today Patient" in today and "Later Patient" not in today
    assert "Check in" in today


@pytest.mark.parametrize("day", ["not-a-date", "2026-02-30", "", "9999-12-31x"])
def test_a_day_that_cannot_be_read_shows_today(reception, clinic_setup, day):
    named(clinic_setup, local_noon(clinic_setup, 0), "Today Patient")
    response = reception.get(reverse("staff:home"), {"day": day})
    assert response.status_code == 200
    assert '<h1 class="h3 mb-0">Today</h1>' in response.content.decode()
    assert "Today Patient" in response.content.decode()
    said = "That date could not be read, so the usual day is shown."
    assert (said in response.content.decode()) == bool(day)


def test_a_day_far_away_is_held_to_a_year_from_today_and_says_so(reception, clinic_setup):
    response = reception.get(reverse("staff:home"), {"day": "2999-01-01"})
    shown = response.context["day"]
    today = timezone.now().astimezone(clinic_setup["location"].zone).date()
    assert shown == today + timedelta(days=366)
    assert f"{shown:%-d %B %Y} is shown, the nearest to 1 January 2999." in (
        response.content.decode()
    )
    # A day in range is shown without a word.
    near = reception.get(reverse("staff:home"), {"day": today.isoformat()}).content.decode()
    assert "can be shown" not in near and "could not be read" not in near


# A booking a minute ago is on yesterday's list in the first minute after midnight.
@pytest.mark.usefixtures("winter_noon")
def test_an_action_on_another_days_booking_returns_to_that_day(reception, clinic_setup):
    later = make_booking(clinic_setup, local_noon(clinic_setup, 2))
    response = reception.post(reverse("staff:booking_action", args=[later.pk, "cancel"]))
    day = later.starts_at.astimezone(clinic_setup["location"].zone).date()
    assert response.status_code == 302
    assert response.url == reverse("staff:home") + f"?day={day.isoformat()}"
    today = make_booking(clinic_setup, timezone.now() - timedelta(minutes=1))
    response = reception.post(reverse("staff:booking_action", args=[today.pk, "check-in"]))
    assert response.url == reverse("staff:home")


def test_staff_without_a_role_are_refused_the_day(client, clinic_setup):
    booking = make_booking(clinic_setup, local_noon(clinic_setup, 0))
    # A name found on no page by chance (a random one such as "Ho" is in "Home").
    booking.patient.last_name = "Quillfeather"
    booking.patient.save()
    newcomer = sign_in_with_second_factor(client, UserFactory(username="newcomer"))
    response = newcomer.get(reverse("staff:home"))
    assert response.status_code == 403
    assert "Quillfeather" not in response.content.decode()
