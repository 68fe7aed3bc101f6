"""A practitioner's private diary feed: an iCalendar address with a revocable token, naming
each consultation's type and the patient's initials only. Tested like the private link."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from bookings.models import Booking, CalendarFeed, token_digest
from clinic import roles as role_names
from patients.models import Patient
from tests.factories import (
    BookingFactory,
    PatientFactory,
    UserFactory,
    assessed,
    bookable_clinic,
    booking_with_intake,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db

NEW = reverse("staff:calendar_feed_change", args=["new"])
STOP = reverse("staff:calendar_feed_change", args=["stop"])


@pytest.fixture
def diary(client, roles, screening_rules):
    """A practitioner signed in, with a consultation whose patient answered (a flag raised)
    and was assessed, and a colleague's consultation."""
    location, (mine, theirs), consultation_type = bookable_clinic(practitioners=2)
    for practitioner in (mine, theirs):
        practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(
        location,
        consultation_type,
        mine,
        2,
        screen_anticoagulants="yes",
        goals="Keep the hair I have",
    )
    Patient.objects.filter(pk=booking.patient_id).update(
        # Names no generated practitioner or place carries, so that finding them is a leak.
        first_name="Xanthe",
        last_name="Vellacott",
        phone="07700 900123",
    )
    assessed(booking, mine.user)
    colleague = BookingFactory(
        patient=PatientFactory(first_name="Zed", last_name="Quill"),
        practitioner=theirs,
        consultation_type=consultation_type,
        location=location,
    )
    sign_in_with_second_factor(client, mine.user)
    return mine, booking, colleague


def make_feed(client) -> str:
    """Make a feed address through the profile page; return its path, as shown once."""
    assert client.post(NEW).status_code == 302
    page = client.get(reverse("staff:profile"))
    url = page.context["feed_url"]
    assert url and url in page.content.decode()
    return url.removeprefix("http://testserver")


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return [c for c in calendar.walk("VEVENT")]


def test_the_feed_is_a_calendar_of_own_consultations_with_type_and_initials(client, diary):
    _, booking, _ = diary
    path = make_feed(client)
    [event] = events(Client().get(path))  # a calendar app signs in to nothing
    assert str(event["summary"]) == f"{booking.consultation_type.name} · X. V."
    assert event.decoded("dtstart") == booking.starts_at
    assert event.decoded("dtend") == booking.ends_at
    assert str(event["location"]) == booking.location.name


def test_the_feed_holds_no_full_name_contact_or_clinical_data(client, diary):
    _, booking, _ = diary
    body = Client().get(make_feed(client)).content.decode()
    unfolded = body.replace("\r\n ", "")
    patient = Patient.objects.get(pk=booking.patient_id)
    for secret in (
        "Vellacott",
        "Xanthe",
        patient.email,
        "07700",
        "Keep the hair I have",  # an answer
        "anticoagulant",  # a screening flag
        booking.assessment.rationale,
        booking.assessment.patient_summary,
        "Androgenetic",
        "PRP",
        "Quill",  # a colleague's patient
        booking.token,
    ):
        assert secret not in unfolded, secret
    assert "Z. Q." not in unfolded


def test_cancelled_and_long_past_consultations_are_left_out(client, diary):
    mine, booking, _ = diary
    old = BookingFactory(
        practitioner=mine,
        consultation_type=booking.consultation_type,
        location=booking.location,
        starts_at=timezone.now() - timedelta(days=40),
    )
    recent = BookingFactory(
        practitioner=mine,
        consultation_type=booking.consultation_type,
        location=booking.location,
        starts_at=booking.starts_at - timedelta(days=5),
    )
    BookingFactory(
        practitioner=mine,
        consultation_type=booking.consultation_type,
        location=booking.location,
        starts_at=booking.starts_at + timedelta(days=1),
        status=Booking.Status.CANCELLED,
    )
    starts = [e.decoded("dtstart") for e in events(Client().get(make_feed(client)))]
    assert starts == [recent.starts_at, booking.starts_at]
    assert old.starts_at not in starts


def test_a_new_address_kills_the_old_one_and_stopping_kills_both(client, diary):
    first = make_feed(client)
    assert Client().get(first).status_code == 200
    second = make_feed(client)
    assert second != first
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    assert client.post(STOP).status_code == 302
    assert Client().get(second).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_the_address_is_shown_once_and_only_its_digest_is_kept(client, diary):
    path = make_feed(client)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    again = client.get(reverse("staff:profile"))
    assert again.context["feed_url"] is None and token not in again.content.decode()
    assert "Address made" in again.content.decode()
    feed = CalendarFeed.objects.get()
    assert feed.token_digest == token_digest(token) != token


@pytest.mark.parametrize("token", ["x", "A" * 43, "..%2F..%2Fetc%2Fpasswd", "%00", "é" * 43])
def test_an_unknown_token_opens_nothing(client, diary, token):
    make_feed(client)
    assert Client().get(f"/staff/diary/{token}.ics").status_code == 404


def test_hostile_text_is_escaped_in_the_feed(client, diary):
    _, booking, _ = diary
    hostile = "Check\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:forged;,\\ <script>"
    booking.consultation_type.name = hostile
    booking.consultation_type.save()
    Patient.objects.filter(pk=booking.patient_id).update(first_name="<b>", last_name=";x")
    # One event still, whose summary reads back as typed (line ends as the format keeps them).
    [event] = events(Client().get(make_feed(client)))
    assert str(event["summary"]) == f"{hostile} · <. ;.".replace("\r\n", "\n")


def test_the_feed_is_rate_limited_like_the_private_link(client, diary, settings):
    settings.PRIVATE_LINK_LOOKUPS_PER_HOUR = 3
    path = make_feed(client)
    guesser = Client()
    for _ in range(2):
        assert guesser.get(reverse("staff:calendar_feed", args=["guess"])).status_code == 404
    assert guesser.get(path).status_code == 200
    assert guesser.get(path).status_code == 429


def test_the_feed_is_not_kept_by_browsers_or_proxies(client, diary):
    response = Client().get(make_feed(client))
    assert "no-store" in response["Cache-Control"]


def test_the_feed_costs_the_same_queries_for_a_fuller_diary(
    client, diary, django_assert_num_queries
):
    mine, booking, _ = diary
    path = make_feed(client)
    calendar_app = Client()
    # The token's feed and practitioner, then the consultations with patient, type, place.
    with django_assert_num_queries(2):
        assert len(events(calendar_app.get(path))) == 1
    for days in range(1, 6):
        BookingFactory(
            practitioner=mine,
            consultation_type=booking.consultation_type,
            location=booking.location,
            starts_at=booking.starts_at + timedelta(days=days),
        )
    with django_assert_num_queries(2):
        assert len(events(calendar_app.get(path))) == 6


def test_the_profile_page_costs_a_fixed_number_of_queries(client, diary, django_assert_num_queries):
    make_feed(client)
    # Session, the user with their permissions, roles and second factor (one query); the
    # practitioner with the feed; the session is not saved (no token to remove, and the idle
    # stamp is rewritten at most once a minute).
    with django_assert_num_queries(4):
        assert client.get(reverse("staff:profile")).status_code == 200


def test_staff_who_see_no_patients_have_no_feed_to_make(client, roles):
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    sign_in_with_second_factor(client, rosa)
    page = client.get(reverse("staff:profile"))
    assert page.status_code == 200 and "Reception" in page.content.decode()
    assert "diary address" not in page.content.decode()
    assert client.post(NEW).status_code == 403
    assert not CalendarFeed.objects.exists()
