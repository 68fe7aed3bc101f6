from datetime import UTC, datetime, time

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


def test_working_hours_may_not_overlap_on_one_day_even_at_another_location(db):
    london, dubai = LocationFactory(), LocationFactory()
    practitioner = PractitionerFactory(locations=[london, dubai])
    WorkingHours.objects.create(
        practitioner=practitioner, location=london, weekday=2, start_time=time(9), end_time=time(13)
    )
    clash = WorkingHours(
        practitioner=practitioner, location=dubai, weekday=2, start_time=time(12), end_time=time(15)
    )
    with pytest.raises(ValidationError, match="overlap 09:00–13:00 on Wednesday"):
        clash.full_clean()
    # Back to back is fine, and so is the same time on another day.
    WorkingHours(
        practitioner=practitioner, location=dubai, weekday=2, start_time=time(13), end_time=time(15)
    ).full_clean()
    WorkingHours(
        practitioner=practitioner, location=dubai, weekday=3, start_time=time(12), end_time=time(15)
    ).full_clean()


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
    assert "at least one minute" in str(error.value)


@pytest.fixture
def admin_client_with_practitioner(client, db):
    client.force_login(UserFactory(username="boss", is_superuser=True))
    location = LocationFactory()
    practitioner = PractitionerFactory(locations=[location])
    return client, practitioner, location


def inline_post(practitioner, location, spans):
    data = {
        "user": practitioner.user_id,
        "title": practitioner.title,
        "bio": "",
        "locations": [location.pk],
        "is_active": "on",
        "working_hours-TOTAL_FORMS": str(len(spans)),
        "working_hours-INITIAL_FORMS": "0",
        "time_off-TOTAL_FORMS": "0",
        "time_off-INITIAL_FORMS": "0",
    }
    for index, (weekday, start, end) in enumerate(spans):
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
