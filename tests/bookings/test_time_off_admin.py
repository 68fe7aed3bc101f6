"""Time off typed in the admin is read in the practitioner's own time, refused when it cannot be
meant, and said when it falls on confirmed bookings."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, Practitioner, TimeOff
from bookings.time_off_admin import TimeOffInline
from tests.factories import BookingFactory, LocationFactory, PractitionerFactory

pytestmark = pytest.mark.django_db
DAY = timezone.localdate() + timedelta(days=10)


@pytest.fixture
def dubai():
    return LocationFactory(name="Dubai", time_zone="Asia/Dubai")


def add_form(practitioner, start="09:00", end="12:00", day=DAY, end_day=None, **extra):
    return {
        "practitioner": practitioner.pk,
        "starts_at_0": day.isoformat(),
        "starts_at_1": start,
        "ends_at_0": (end_day or day).isoformat(),
        "ends_at_1": end,
        "time_zone": "",
        "reason": "leave",
        "note": "",
        **extra,
    }


def at(day, hour, zone_offset_hours):
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(
        hours=zone_offset_hours
    )


def test_a_dubai_practitioner_s_morning_off_is_a_dubai_morning(clinic_admin, dubai):
    layla = PractitionerFactory(locations=[dubai])
    response = clinic_admin.post(reverse("admin:bookings_timeoff_add"), add_form(layla))
    assert response.status_code == 302
    time_off = TimeOff.objects.get()
    assert time_off.starts_at == at(DAY, 9, 4) and time_off.ends_at == at(DAY, 12, 4)
    # Shown again as she reads it, in her zone.
    page = clinic_admin.get(reverse("admin:bookings_timeoff_change", args=[time_off.pk]))
    html = page.content.decode()
    assert 'value="09:00:00"' in html and 'value="12:00:00"' in html
    listing = clinic_admin.get(reverse("admin:bookings_timeoff_changelist")).content.decode()
    assert "09:00 (Asia/Dubai)" in listing


def test_another_zone_of_the_clinic_s_can_be_chosen(clinic_admin, dubai):
    LocationFactory(name="London")  # the zones offered are the locations'
    layla = PractitionerFactory(locations=[dubai])
    form = add_form(layla, time_zone="Europe/London")
    assert clinic_admin.post(reverse("admin:bookings_timeoff_add"), form).status_code == 302
    london = timezone.get_default_timezone()
    expected = datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=london)
    assert TimeOff.objects.get().starts_at == expected


def test_a_practitioner_working_in_two_zones_is_asked_which(clinic_admin, dubai):
    both = PractitionerFactory(locations=[dubai, LocationFactory()])
    response = clinic_admin.post(reverse("admin:bookings_timeoff_add"), add_form(both))
    assert response.status_code == 200
    assert "works in more than one time zone" in response.content.decode()
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at_0": "9999-12-07"}, "Time off of more than a year"),
        ({"ends_at_1": "08:00"}, "Time off must end after it starts."),
        (
            {"starts_at_0": "9998-12-07", "ends_at_0": "9998-12-08"},
            "Time off more than two years ahead",
        ),
    ],
)
def test_time_off_that_cannot_be_meant_is_refused_with_the_typing_kept(
    clinic_admin, dubai, changes, message
):
    layla = PractitionerFactory(locations=[dubai])
    response = clinic_admin.post(
        reverse("admin:bookings_timeoff_add"), {**add_form(layla), **changes}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'value="{next(iter(changes.values()))}"' in page
    assert not TimeOff.objects.exists()


def test_time_off_over_a_confirmed_booking_is_saved_and_the_booking_named(clinic_admin, dubai):
    layla = PractitionerFactory(locations=[dubai])
    booked = BookingFactory(
        practitioner=layla,
        location=dubai,
        starts_at=at(DAY, 10, 4),
        patient__first_name="Omar",
        patient__last_name="Haddad",
    )
    response = clinic_admin.post(
        reverse("admin:bookings_timeoff_add"), add_form(layla), follow=True
    )
    page = response.content.decode()
    assert "falls on 1 confirmed booking with" in page and "Omar Haddad" in page
    # At the booking's own clock, named: the time off may have been typed in another zone.
    local = booked.starts_at.astimezone(dubai.zone)
    assert f"Omar Haddad, {local:%a} {local.day} {local:%b, %H:%M} at {dubai.name}" in page
    assert "which stays booked" in page and "Move or cancel it from the staff day list." in page
    assert TimeOff.objects.count() == 1
    booked.refresh_from_db()
    assert booked.status == Booking.Status.CONFIRMED


def practitioner_page_rows(user, practitioner):
    """The formset of time-off rows on ``practitioner``'s admin page, and its prefix."""
    request = RequestFactory().get("/")
    request.user = user
    formset_class = TimeOffInline(Practitioner, admin.site).get_formset(request, practitioner)
    return formset_class, formset_class.get_default_prefix()


def one_row(prefix, starts, ends, *, zone, existing=None):
    """The page's data for one time-off row typed as ``starts`` to ``ends`` (wall-clock)."""
    row = {
        "starts_at_0": starts.date().isoformat(),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "ends_at_0": ends.date().isoformat(),
        "ends_at_1": ends.strftime("%H:%M:%S"),
        "time_zone": zone,
        "reason": "leave",
        "note": "",
    }
    if existing is not None:
        row |= {"id": str(existing.pk), "practitioner": str(existing.practitioner_id)}
    data = {f"{prefix}-0-{name}": value for name, value in row.items()}
    return data | {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1" if existing is not None else "0",
    }


def test_the_practitioner_page_s_time_off_rows_are_read_in_their_zone_too(admin_user, dubai):
    layla = PractitionerFactory(locations=[dubai])
    formset_class, prefix = practitioner_page_rows(admin_user, layla)
    typed = datetime(DAY.year, DAY.month, DAY.day, 9), datetime(DAY.year, DAY.month, DAY.day, 12)
    data = one_row(prefix, *typed, zone="")
    formset = formset_class(data, instance=layla, prefix=prefix)
    assert formset.is_valid(), formset.errors
    formset.save()
    assert TimeOff.objects.get().starts_at == at(DAY, 9, 4)


def test_a_two_zone_practitioner_s_rows_save_unchanged_and_show_their_zone(admin_user, dubai):
    both = PractitionerFactory(locations=[dubai, LocationFactory(name="London")])
    kept = TimeOff.objects.create(
        practitioner=both, starts_at=at(DAY, 9, 4), ends_at=at(DAY, 12, 4), reason="leave"
    )
    formset_class, prefix = practitioner_page_rows(admin_user, both)
    shown = formset_class(instance=both, prefix=prefix).forms[0]
    assert shown.initial["time_zone"] == "Europe/London"  # the zone its times are shown in
    typed = shown.initial["starts_at"], shown.initial["ends_at"]
    data = one_row(prefix, *typed, zone="Europe/London", existing=kept)
    formset = formset_class(data, instance=both, prefix=prefix)
    assert formset.is_valid(), formset.errors
    formset.save()
    kept.refresh_from_db()
    assert (kept.starts_at, kept.ends_at) == (at(DAY, 9, 4), at(DAY, 12, 4))
