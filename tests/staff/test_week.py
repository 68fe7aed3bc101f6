from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import BookingFactory, PatientFactory

pytestmark = pytest.mark.django_db


def add(setup, practitioner, start, status="confirmed"):
    return BookingFactory(
        patient=PatientFactory(first_name="Wendy", last_name=f"Week{start:%H%M}"),
        practitioner=practitioner,
        consultation_type=setup["type"],
        location=setup["location"],
        starts_at=start,
        status=status,
    )


def test_week_puts_each_booking_in_its_practitioner_and_day(reception, clinic_setup):
    zone = clinic_setup["location"].zone
    today = timezone.now().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    wednesday_ten = datetime.combine(monday + timedelta(days=2), time(10), tzinfo=zone)
    first, second = clinic_setup["practitioners"]
    add(clinic_setup, first, wednesday_ten)
    add(clinic_setup, second, wednesday_ten + timedelta(hours=1), status="cancelled")

    def fetch():
        with CaptureQueriesContext(connection) as queries:
            page = reception.get(reverse("staff:week"), {"week": monday.isoformat()})
        return page, len(queries)

    page, count = fetch()
    rows = dict(page.context["rows"])
    assert [b.patient.last_name for b in rows[first][2]] == ["Week1000"]
    assert rows[second][2] == []  # cancelled bookings are not shown
    for n in range(5):
        add(clinic_setup, second, wednesday_ten + timedelta(days=1, hours=n))
    assert fetch()[1] == count  # more bookings, same queries
    # session, the user with their permissions, roles and OTP device (one query), locations,
    # practitioners, the week's bookings, each marked when in its practitioner's time off, the
    # days the location is closed (the session is not saved: its idle stamp is rewritten at
    # most once a minute).
    assert count == 6


def test_week_survives_odd_parameters(reception, clinic_setup):
    for query in ({"week": "9999-12-31"}, {"week": "nope"}, {"location": "x"}):
        assert reception.get(reverse("staff:week"), query).status_code == 200


def test_the_first_week_shown_says_nothing_of_a_range_and_one_far_away_does(
    reception, clinic_setup
):
    """The earliest week's own Monday lies before the first day shown (a year ago today): the
    week asked for is the week shown, so nothing is said. A week far away is held, and said."""
    today = timezone.now().astimezone(clinic_setup["location"].zone).date()
    first = today - timedelta(days=366)
    monday = first - timedelta(days=first.weekday())
    week = reception.get(reverse("staff:week"), {"week": monday.isoformat()}).content.decode()
    assert "can be shown" not in week
    month = reception.get(
        reverse("staff:month"), {"month": first.replace(day=1).isoformat()}
    ).content.decode()
    assert "can be shown" not in month
    far = reception.get(reverse("staff:week"), {"week": "2999-01-04"}).content.decode()
    assert "the nearest to 4 January 2999" in far


def _weeks_later(today):
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(weeks=3)


def _month_after(today):
    first = today.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


@pytest.mark.parametrize(
    ("page", "field", "shown_and_later", "heading", "back"),
    [
        ("staff:week", "week", _weeks_later, "Week of {:%A} {.day} {:%B %Y}</h1>", "This week"),
        ("staff:month", "month", _month_after, "{:%B %Y}</h1>", "This month"),
    ],
)
def test_the_week_and_the_month_say_which_they_are_and_lead_back_to_todays(
    reception, clinic_setup, page, field, shown_and_later, heading, back
):
    """Paged away from today, each page names the week or month it shows and offers the one
    holding today again, at the same location; showing today's, it offers nothing."""
    location = clinic_setup["location"]
    today = timezone.now().astimezone(location.zone).date()
    shown, later = shown_and_later(today)
    back_to_today = f'href="?location={location.pk}">{back}</a>'

    current = reception.get(reverse(page), {"location": location.pk}).content.decode()
    assert heading.format(shown, shown, shown) in current
    assert back_to_today not in current
    away = reception.get(
        reverse(page), {"location": location.pk, field: later.isoformat()}
    ).content.decode()
    assert heading.format(later, later, later) in away
    assert back_to_today in away


def test_a_booking_in_time_off_saved_after_it_is_marked_in_the_week_and_the_day(
    reception, clinic_setup
):
    """Time off saved over a booking leaves it booked, and the admin is told once: the week
    and the day list go on saying so until it is moved or cancelled."""
    from bookings.models import TimeOff

    zone = clinic_setup["location"].zone
    today = timezone.now().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    at_ten = datetime.combine(monday + timedelta(days=2), time(10), tzinfo=zone)
    first, second = clinic_setup["practitioners"]
    clashing = add(clinic_setup, first, at_ten)
    add(clinic_setup, first, at_ten + timedelta(hours=3))  # after the time off ends
    add(clinic_setup, second, at_ten)  # someone else's
    TimeOff.objects.create(
        practitioner=first,
        starts_at=at_ten - timedelta(hours=1),
        ends_at=at_ten + timedelta(hours=2),
    )
    week = reception.get(reverse("staff:week"), {"week": monday.isoformat()})
    rows = dict(week.context["rows"])
    assert [b.during_time_off for b in rows[first][2]] == [True, False]
    assert [b.during_time_off for b in rows[second][2]] == [False]
    assert week.content.decode().count("practitioner off") == 2  # the grid, and by day (phone)
    day = reception.get(reverse("staff:home"), {"day": at_ten.date().isoformat()})
    html = day.content.decode()
    assert html.count("Practitioner off then: move or cancel") == 1
    row = html.split(f"/staff/patients/{clashing.patient_id}/")[1].split("</tr>")[0]
    assert "Practitioner off then" in row


def test_a_practitioners_own_list_marks_it_too_and_a_visit_gone_by_is_not_marked(
    client, roles, clinic_setup
):
    from bookings.models import TimeOff
    from clinic import roles as role_names
    from tests.factories import sign_in_with_second_factor

    zone = clinic_setup["location"].zone
    first = clinic_setup["practitioners"][0]
    first.user.groups.add(roles[role_names.PRACTITIONER])
    sign_in_with_second_factor(client, first.user)
    day = timezone.now().astimezone(zone).date() + timedelta(days=8)
    coming = add(clinic_setup, first, datetime.combine(day, time(10), tzinfo=zone))
    gone = add(clinic_setup, first, timezone.now() - timedelta(days=2))
    for booking in (coming, gone):
        TimeOff.objects.create(
            practitioner=first,
            starts_at=booking.starts_at - timedelta(hours=1),
            ends_at=booking.starts_at + timedelta(hours=1),
        )
    mine = client.get(reverse("staff:home"), {"day": day.isoformat(), "who": "mine"})
    assert mine.content.decode().count("Practitioner off then: move or cancel") == 1
    past_day = gone.starts_at.astimezone(zone).date().isoformat()
    past = client.get(reverse("staff:home"), {"day": past_day, "who": "mine"})
    assert gone.patient.last_name in past.content.decode()  # listed, and not marked
    assert "Practitioner off then" not in past.content.decode()
