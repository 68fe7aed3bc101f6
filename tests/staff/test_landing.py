"""The staff landing page by role, the staff chrome around every staff page, and the month."""

from datetime import datetime, time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.models import TimeOff
from clinic.models import ClinicalRead
from tests.factories import (
    BookingFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    assessed,
    give_answers,
    sign_in_with_second_factor,
    weekly_hours,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("winter_noon")]


def today_at(setup, hour, practitioner, name, **fields):
    """A consultation today at ``hour`` local time, for a patient called ``name``."""
    zone = setup["location"].zone
    start = datetime.combine(timezone.now().astimezone(zone).date(), time(hour), tzinfo=zone)
    first, last = name.split()
    return BookingFactory(
        patient=PatientFactory(first_name=first, last_name=last),
        practitioner=practitioner,
        consultation_type=setup["type"],
        location=setup["location"],
        starts_at=start,
        **fields,
    )


@pytest.fixture
def my_setup(practitioner_client, clinic_setup):
    """The signed-in practitioner works at the test clinic beside its two practitioners."""
    me = practitioner_client.practitioner
    me.locations.add(clinic_setup["location"])
    clinic_setup["type"].practitioners.add(me)
    return clinic_setup


def test_a_practitioner_lands_on_their_own_day_with_flags_and_their_queue(
    practitioner_client, my_setup, screening_rules
):
    me = practitioner_client.practitioner
    flagged = give_answers(today_at(my_setup, 15, me, "Fenna Flagged"), screen_anticoagulants="yes")
    held = give_answers(today_at(my_setup, 16, me, "Pim Platelets"), screen_bleeding_disorder="yes")
    today_at(my_setup, 14, me, "Nora Noanswers")
    today_at(my_setup, 15, my_setup["practitioners"][0], "Olga Otherpractitioner")

    response = practitioner_client.get(reverse("staff:home"))

    page = response.content.decode()
    assert response.context["mode"] == "mine"
    assert "Fenna Flagged" in page and "Nora Noanswers" in page
    assert "Olga Otherpractitioner" not in page
    assert "Caution: PRP" in page and "No answers yet" in page
    assert reverse("staff:review", args=[flagged.pk]) in page
    assert reverse("staff:patient", args=[flagged.patient_id]) in page
    # Two intakes wait; the platelet disorder contraindicates PRP, which holds that one.
    assert "2 intakes to review" in page and "1 held for review" in page
    assert response.context.get("chart") is None
    # Showing the flags is a read of clinical data: recorded, one row per intake shown.
    reads = ClinicalRead.objects.filter(what="screening flags", user=me.user)
    assert sorted(r.patient_id for r in reads) == sorted([flagged.patient_id, held.patient_id])

    everyone = practitioner_client.get(reverse("staff:home"), {"who": "everyone"})
    assert everyone.context["mode"] == "day"
    assert "Olga Otherpractitioner" in everyone.content.decode()


def test_a_practitioners_day_shows_each_intakes_state_and_who_has_arrived(
    practitioner_client, my_setup, screening_rules
):
    """The day's one query reads whether each consultation is assessed, and the moments it
    shows (an arrival's time), the same on SQLite and PostgreSQL."""
    me = practitioner_client.practitioner
    zone = my_setup["location"].zone
    seen = give_answers(today_at(my_setup, 9, me, "Asa Assessed"))
    signed = assessed(seen, me.user)
    signed.signed_off_at = timezone.now()
    signed.save()
    waiting = give_answers(today_at(my_setup, 10, me, "Wim Waiting"))
    arrival = timezone.now().astimezone(zone).replace(hour=10, minute=52, second=7)
    today_at(my_setup, 11, me, "Ari Arrived", checked_in_at=arrival)
    # A draft (perhaps with parts left for later) has left the review queue: the day list is
    # the way back to it.
    drafted = give_answers(today_at(my_setup, 12, me, "Dora Drafted"))
    assessed(drafted, me.user)

    page = practitioner_client.get(reverse("staff:home")).content.decode()

    assert page.count(">Assessed<") == 1 and page.index("Asa Assessed") < page.index("Assessed<")
    assert reverse("staff:review", args=[waiting.pk]) in page
    assert reverse("staff:review", args=[seen.pk]) not in page
    assert "Confirmed, arrived 10:52" in page
    draft_link = f'<a href="{reverse("staff:review", args=[drafted.pk])}">Draft assessment'
    assert draft_link in page and page.index("Dora Drafted") < page.index(draft_link)


def test_reception_lands_on_arrivals_by_location_with_check_in_first(reception, clinic_setup):
    first, second = clinic_setup["practitioners"]
    today_at(clinic_setup, 15, first, "Ari Arriving")
    today_at(clinic_setup, 9, second, "Hana Here", checked_in_at=timezone.now())
    today_at(clinic_setup, 10, first, "Cal Cancelled", status="cancelled")

    response = reception.get(reverse("staff:home"))

    assert response.context["mode"] == "arrivals"
    ((location, _, _, parts),) = response.context["arrivals"]
    assert location == clinic_setup["location"]
    names = {part: [r.patient_name for r in rows] for part, rows in parts.items()}
    assert names == {
        "to_arrive": ["Ari Arriving"],
        "arrived": ["Hana Here"],
        "other": ["Cal Cancelled"],
    }
    page = response.content.decode()
    # In the arrivals list the check-in button comes before the patient's name.
    arriving = page.index("Check in<span")
    assert arriving < page.index("Ari Arriving</a>")
    assert response.context.get("chart") is None
    # Another day is the plain day list.
    tomorrow = reception.get(reverse("staff:home"), {"day": "2026-01-15"})
    assert tomorrow.context["mode"] == "day"


def test_a_clinic_admin_lands_on_the_day_with_the_chart(clinic_admin, clinic_setup):
    today_at(clinic_setup, 15, clinic_setup["practitioners"][0], "Ada Admin")
    response = clinic_admin.get(reverse("staff:home"))
    assert response.context["mode"] == "admin"
    assert response.context["chart"]["weeks"]
    assert "Ada Admin" in response.content.decode()


def add_day(setup, practitioners, offset=0):
    for n, practitioner in enumerate(practitioners):
        today_at(setup, 10 + n + offset, practitioner, f"Extra Patient{n}{offset}")


@pytest.mark.parametrize(
    ("who", "queries"),
    [
        # session, the user with their permissions, roles and OTP device (one query, see
        # clinic/access.py), locations (the session is not saved: its idle stamp is rewritten at
        # most once a minute), then: today's bookings and the locations closed today
        # (reception); the chart's figures too, in
        # one query (admin); the practitioner row, their bookings, the intakes, their flags, the
        # audit rows, the queue counts and the count of sessions held by a health check
        # (practitioner). A day with procedure sessions costs one more query
        # (tests/staff/test_session_holds.py).
        ("reception", 5),
        ("clinic_admin", 6),
        ("practitioner_client", 11),
    ],
)
def test_each_landing_takes_a_fixed_number_of_queries(
    request, who, queries, my_setup, screening_rules, django_assert_num_queries
):
    client = request.getfixturevalue(who)
    me = getattr(client, "practitioner", None) or my_setup["practitioners"][0]
    give_answers(today_at(my_setup, 15, me, "First Answered"), screen_anticoagulants="yes")
    with django_assert_num_queries(queries):
        assert client.get(reverse("staff:home")).status_code == 200
    LocationFactory(name="Second clinic", time_zone="Asia/Dubai")
    for hour in (16, 17):
        give_answers(today_at(my_setup, hour, me, f"More Answered{hour}"))
    add_day(my_setup, my_setup["practitioners"])
    with django_assert_num_queries(queries):
        assert client.get(reverse("staff:home")).status_code == 200


STAFF_PAGES = ["staff:home", "staff:week", "staff:month", "staff:patient_search"]


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_wear_the_staff_chrome_not_the_public_one(reception, clinic_setup, name):
    response = reception.get(reverse(name))
    page = response.content.decode()
    assert "Book a consultation" not in page
    assert "not medical advice" not in page  # the patients' disclaimer
    assert 'aria-label="Staff"' in page
    assert response.context["user"].get_full_name() in page
    assert "· Reception" in page
    assert 'action="{}"'.format(reverse("staff:sign_out")) in page
    # Configuration: reception keeps time off and patients' details there.
    assert f'href="{reverse("admin:index")}">Configuration</a>' in page
    for link in ("staff:home", "staff:week", "staff:month", "staff:patient_search"):
        assert f'href="{reverse(link)}"' in page
    assert f'href="{reverse("staff:review_queue")}"' not in page  # not reception's


def test_clinic_admins_see_configuration_and_the_sign_in_page_is_staff_too(clinic_admin, client):
    page = clinic_admin.get(reverse("staff:review_queue")).content.decode()
    assert f'href="{reverse("admin:index")}"' in page and "· Clinic admin" in page
    assert f'href="{reverse("staff:review_queue")}" accesskey="r" aria-current="page"' in page
    clinic_admin.post(reverse("staff:sign_out"))
    sign_in = Client().get(reverse("staff:sign_in")).content.decode()
    assert "Book a consultation" not in sign_in and "not medical advice" not in sign_in
    assert 'aria-label="Staff"' in sign_in


def test_every_staff_page_template_extends_the_staff_base():
    """A staff page left on the public base would show patients' navigation to staff."""
    folder = Path(settings.BASE_DIR) / "templates" / "staff"
    pages = [
        p for p in folder.glob("*.html") if not p.name.startswith("_") and p.name != "base.html"
    ]
    assert len(pages) > 10
    wrong = [
        p.name for p in pages if not p.read_text().startswith('{% extends "staff/base.html" %}')
    ]
    assert not wrong


# The month


@pytest.fixture
def month_setup(clinic_setup):
    """January 2026 at the test clinic; the first practitioner has two days off mid-month."""
    first = clinic_setup["practitioners"][0]
    zone = clinic_setup["location"].zone
    TimeOff.objects.create(
        practitioner=first,
        starts_at=datetime(2026, 1, 20, 0, 0, tzinfo=zone),
        ends_at=datetime(2026, 1, 22, 0, 0, tzinfo=zone),
    )
    return clinic_setup


def book(setup, practitioner, day, hour, status="confirmed"):
    zone = setup["location"].zone
    return BookingFactory(
        practitioner=practitioner,
        consultation_type=setup["type"],
        location=setup["location"],
        starts_at=datetime.combine(day, time(hour), tzinfo=zone),
        status=status,
    )


def test_the_month_shows_each_practitioners_load_per_day(reception, month_setup):
    from datetime import date

    first, second = month_setup["practitioners"]
    book(month_setup, first, date(2026, 1, 14), 9)
    book(month_setup, first, date(2026, 1, 14), 10)
    book(month_setup, first, date(2026, 1, 14), 11, status="cancelled")
    book(month_setup, second, date(2026, 1, 15), 9)

    response = reception.get(reverse("staff:month"), {"month": "2026-01-14"})

    weeks = response.context["weeks"]
    cells = {cell.day: cell for week in weeks for cell in week}
    assert min(cells) == date(2025, 12, 29) and max(cells) == date(2026, 2, 1)  # Mon to Sun
    assert all(len(week) == 7 for week in weeks)
    loads = {load.practitioner: load for load in cells[date(2026, 1, 14)].loads}
    # Two 30-minute consultations in an 8-hour day; the cancelled one does not count.
    assert (loads[first].bookings, loads[first].booked_minutes) == (2, 60)
    assert loads[first].working_minutes == 8 * 60 and loads[first].percent == 12
    assert loads[second].bookings == 0
    # A day off: no working time, and shown as such.
    off = {load.practitioner: load for load in cells[date(2026, 1, 20)].loads}
    assert off[first].percent is None and off[second].working_minutes == 8 * 60
    page = response.content.decode()
    assert "2 booked · 12% of 8 h" in page and "not working" in page and "free · 8 h" in page
    assert f'href="{reverse("staff:home")}?day=2026-01-14"' in page
    assert "January 2026" in page and "?location=" in page


def test_the_month_takes_the_same_queries_however_full(
    reception, month_setup, django_assert_num_queries
):
    from datetime import date

    first, second = month_setup["practitioners"]
    # session, the user with their permissions, roles and OTP device (one query), locations, the
    # month (practitioners, hours, time off, bookings, the days closed); the session is not
    # saved (its idle stamp is rewritten at most once a minute).
    with django_assert_num_queries(8):
        reception.get(reverse("staff:month"))
    third = PractitionerFactory(locations=[month_setup["location"]])
    weekly_hours(third, month_setup["location"])
    for day in range(1, 29):
        for practitioner in (first, second, third):
            book(month_setup, practitioner, date(2026, 1, day), 9 + day % 5)
    with django_assert_num_queries(8):
        reception.get(reverse("staff:month"))


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"month": "nope"}, "2026-01-01"),
        ({"month": ""}, "2026-01-01"),
        ({"location": "x"}, "2026-01-01"),
        ({"month": "9999-12-31"}, "2027-01-01"),  # held to a year ahead
        ({"month": "2025-02-30"}, "2026-01-01"),
    ],
)
def test_the_month_survives_odd_parameters(reception, month_setup, query, shown):
    response = reception.get(reverse("staff:month"), query)
    assert response.status_code == 200
    assert response.context["first"].isoformat() == shown


def test_the_month_with_no_location_says_so(reception):
    response = reception.get(reverse("staff:month"))
    assert response.status_code == 200 and "No locations yet." in response.content.decode()


def test_staff_without_a_role_are_refused_the_month(client, clinic_setup):
    newcomer = sign_in_with_second_factor(client, UserFactory(username="newcomer"))
    assert newcomer.get(reverse("staff:month")).status_code == 403


def test_the_week_on_a_phone_lists_the_days_with_their_bookings(reception, clinic_setup):
    first, _ = clinic_setup["practitioners"]
    booking = today_at(clinic_setup, 15, first, "Wanda Weekly")
    page = reception.get(reverse("staff:week")).content.decode()
    # In the day list for phones and in the grid, each time a link to the patient and to move.
    assert page.count(f'href="{reverse("staff:patient", args=[booking.patient_id])}"') == 2
    assert page.count(f'href="{reverse("staff:reschedule", args=[booking.pk])}"') == 2
    day = booking.starts_at.date().isoformat()
    assert f'href="{reverse("staff:home")}?day={day}"' in page


def test_the_day_list_escapes_hostile_names_in_its_rows_and_buttons(reception, clinic_setup):
    first, _ = clinic_setup["practitioners"]
    today_at(clinic_setup, 15, first, '<script>alert(1)</script> "Quote&Co"')
    html = reception.get(reverse("staff:home")).content.decode()
    assert "<script>alert(1)</script>" not in html and '"Quote&Co"' not in html
    # In the patient column and in each button's words for screen readers.
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2
    assert 'name="csrfmiddlewaretoken"' in html and "Check in" in html
