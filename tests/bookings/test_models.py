from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from bookings.models import Location, TimeOff, WorkingHours
from tests.factories import (
    ConsultationTypeFactory,
    LocationFactory,
    PractitionerFactory,
    UserFactory,
    sign_in_with_second_factor,
)


def test_location_time_zone_must_be_a_real_zone(db):
    location = Location(name="Somewhere", address="1 Street", time_zone="Europe/Londn")
    with pytest.raises(ValidationError) as error:
        location.full_clean()
    assert "not a time zone name" in str(error.value)


def test_working_hours_must_end_after_they_start(db):
    location = LocationFactory()
    practitioner = PractitionerFactory(locations=[location])
    hours = WorkingHours(
        practitioner=practitioner,
        location=location,
        weekday=0,
        start_time=time(17),
        end_time=time(9),
    )
    with pytest.raises(ValidationError) as error:
        hours.full_clean()
    assert error.value.message_dict["end_time"] == ["The end time must be after the start time."]
    with pytest.raises(IntegrityError), transaction.atomic():
        hours.save()


def test_time_off_must_end_after_it_starts(db):
    practitioner = PractitionerFactory()
    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    time_off = TimeOff(practitioner=practitioner, starts_at=start, ends_at=start)
    with pytest.raises(ValidationError) as error:
        time_off.full_clean()
    assert error.value.message_dict["ends_at"] == ["Time off must end after it starts."]
    with pytest.raises(IntegrityError), transaction.atomic():
        time_off.save()


def test_consultation_type_needs_a_positive_duration(db):
    consultation_type = ConsultationTypeFactory.build(duration_minutes=0)
    with pytest.raises(ValidationError) as error:
        consultation_type.full_clean()
    assert error.value.message_dict["duration_minutes"] == [
        "A consultation lasts 5 minutes at least."
    ]


@pytest.fixture
def admin_client_with_practitioner(client, db):
    sign_in_with_second_factor(client, UserFactory(username="boss", is_superuser=True))
    location = LocationFactory()
    practitioner = PractitionerFactory(locations=[location])
    return client, practitioner, location


def inline_post(practitioner, location, spans, existing=()):
    data = {
        "user": practitioner.user_id,
        "title": practitioner.title,
        "bio": "",
        "locations": [location.pk],
        "is_active": "on",
        "working_hours-TOTAL_FORMS": str(len(existing) + len(spans)),
        "working_hours-INITIAL_FORMS": str(len(existing)),
        "time_off-TOTAL_FORMS": "0",
        "time_off-INITIAL_FORMS": "0",
    }
    rows = [(hours.pk, hours.weekday, start, end, delete) for hours, start, end, delete in existing]
    rows += [(None, weekday, start, end, False) for weekday, start, end in spans]
    for index, (pk, weekday, start, end, delete) in enumerate(rows):
        if pk:
            data[f"working_hours-{index}-id"] = pk
            data[f"working_hours-{index}-practitioner"] = practitioner.pk
        if delete:
            data[f"working_hours-{index}-DELETE"] = "on"
        data |= {
            f"working_hours-{index}-weekday": weekday,
            f"working_hours-{index}-start_time": start,
            f"working_hours-{index}-end_time": end,
            f"working_hours-{index}-location": location.pk,
        }
    return data


def test_admin_refuses_overlapping_spans_submitted_together(admin_client_with_practitioner):
    client, practitioner, location = admin_client_with_practitioner
    url = reverse("admin:bookings_practitioner_change", args=[practitioner.pk])
    response = client.post(
        url, inline_post(practitioner, location, [(0, "09:00", "12:30"), (0, "12:00", "17:00")])
    )
    assert response.status_code == 200
    assert "Two spans overlap on Monday" in response.content.decode()
    assert not WorkingHours.objects.exists()
    # The split day a clinic really uses is accepted.
    response = client.post(
        url, inline_post(practitioner, location, [(0, "09:00", "12:30"), (0, "13:30", "17:00")])
    )
    assert response.status_code == 302
    assert WorkingHours.objects.filter(practitioner=practitioner).count() == 2


def test_admin_accepts_deleting_one_span_and_stretching_another_in_one_save(
    admin_client_with_practitioner,
):
    client, practitioner, location = admin_client_with_practitioner
    morning = WorkingHours.objects.create(
        practitioner=practitioner,
        location=location,
        weekday=0,
        start_time=time(9),
        end_time=time(12, 30),
    )
    afternoon = WorkingHours.objects.create(
        practitioner=practitioner,
        location=location,
        weekday=0,
        start_time=time(13, 30),
        end_time=time(17),
    )
    existing = [(morning, "09:00", "17:00", False), (afternoon, "13:30", "17:00", True)]
    url = reverse("admin:bookings_practitioner_change", args=[practitioner.pk])
    response = client.post(url, inline_post(practitioner, location, [], existing=existing))
    assert response.status_code == 302
    assert list(WorkingHours.objects.values_list("start_time", "end_time")) == [(time(9), time(17))]


def test_admin_refuses_one_day_in_two_time_zones(admin_client_with_practitioner):
    client, practitioner, london = admin_client_with_practitioner
    dubai = LocationFactory(time_zone="Asia/Dubai")
    practitioner.locations.add(dubai)
    data = inline_post(practitioner, london, [(3, "09:00", "12:00"), (3, "13:00", "18:00")])
    data["working_hours-1-location"] = dubai.pk
    data["locations"] = [london.pk, dubai.pk]
    url = reverse("admin:bookings_practitioner_change", args=[practitioner.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "different time zones" in response.content.decode()
    assert not WorkingHours.objects.exists()


def test_admin_row_with_a_missing_weekday_gets_a_message_not_an_error(
    admin_client_with_practitioner,
):
    client, practitioner, location = admin_client_with_practitioner
    data = inline_post(practitioner, location, [("", "09:00", "12:00"), (0, "10:00", "11:00")])
    url = reverse("admin:bookings_practitioner_change", args=[practitioner.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()


def test_admin_hours_at_a_new_location_add_the_location(admin_client_with_practitioner):
    client, practitioner, location = admin_client_with_practitioner
    other = LocationFactory()
    data = inline_post(practitioner, other, [(2, "10:00", "14:00")])
    data["locations"] = [location.pk]  # the admin forgot to tick the new location
    url = reverse("admin:bookings_practitioner_change", args=[practitioner.pk])
    assert client.post(url, data).status_code == 302
    assert set(practitioner.locations.all()) == {location, other}


@pytest.mark.parametrize(
    "name",
    ["location", "practitioner", "consultationtype", "timeoff", "booking"],
)
def test_admin_list_and_search_pages_open(admin_client_with_practitioner, name):
    client, _, _ = admin_client_with_practitioner
    response = client.get(reverse(f"admin:bookings_{name}_changelist"), {"q": "x"})
    assert response.status_code == 200


def test_bookings_are_read_only_in_the_admin(admin_client_with_practitioner):
    client, _, _ = admin_client_with_practitioner
    assert client.get(reverse("admin:bookings_booking_add")).status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", Decimal("-50"), "A price cannot be negative."),
        ("duration_minutes", 30000, "A consultation lasts 12 hours at most: check the minutes."),
        ("min_notice_hours", 65535, "90 days (2,160 hours) at most."),
        ("buffer_after_minutes", 600, "4 hours (240 minutes) at most."),
        ("horizon_days", 5000, "Two years (730 days) ahead at most."),
    ],
)
def test_consultation_type_values_that_are_typing_errors_are_refused(db, field, value, message):
    consultation_type = ConsultationTypeFactory.build(**{field: value})
    with pytest.raises(ValidationError) as error:
        consultation_type.full_clean()
    assert error.value.message_dict[field] == [message]


def test_a_negative_price_is_refused_by_the_database_too(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationTypeFactory(price=Decimal("-1"))


def test_hours_shortened_over_a_confirmed_booking_are_saved_and_the_booking_named(
    admin_client_with_practitioner,
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import BookingFactory

    client, practitioner, location = admin_client_with_practitioner
    day = timezone.localdate() + timedelta(days=7)
    hours = WorkingHours.objects.create(
        practitioner=practitioner,
        location=location,
        weekday=day.weekday(),
        start_time=time(9),
        end_time=time(17),
    )
    early = datetime.combine(day, time(9, 15), tzinfo=location.zone)
    BookingFactory(
        practitioner=practitioner,
        location=location,
        starts_at=early,
        patient__first_name="Tom",
        patient__last_name="Becker",
    )
    url = reverse("admin:bookings_practitioner_change", args=[practitioner.pk])
    later_start = [(hours, "11:00", "17:00", False)]
    page = client.post(
        url, inline_post(practitioner, location, [], existing=later_start), follow=True
    )
    html = page.content.decode()
    assert "1 confirmed booking with" in html and "Tom Becker" in html
    assert WorkingHours.objects.get().start_time == time(11)
    # Saved again with the booking inside the hours, nothing is said.
    back = [(WorkingHours.objects.get(), "09:00", "17:00", False)]
    page = client.post(url, inline_post(practitioner, location, [], existing=back), follow=True)
    assert "Tom Becker" not in page.content.decode()
