"""Reception books for a patient who phones, under the booking rules but not the online limits."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.drafts import format_start
from bookings.models import Booking, Location
from clinic import roles as role_names
from patients.models import Consent, Patient
from tests.factories import (
    BookingFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    bookable_clinic,
    next_slot,
    procedure_clinic,
    sign_in_with_second_factor,
    weekly_hours,
)

pytestmark = pytest.mark.django_db


def phone_form(clinic, when, **overrides):
    location, _, consultation_type = clinic
    data = {
        "type": consultation_type.slug,
        "location": location.pk,
        "practitioner": "any",
        "start": format_start(when),
        "first_name": "Tom",
        "last_name": "Becker",
        "email": "tom@example.com",
        "phone": "07400 900789",
        "date_of_birth": "1990-04-02",
        "consent_care": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_reception_books_a_caller_beyond_the_online_horizon(
    reception, django_capture_on_commit_callbacks
):
    clinic = bookable_clinic()
    far = next_slot(days=90)  # past the type's 60-day online horizon
    assert reception.get(reverse("staff:phone_booking")).status_code == 200
    with django_capture_on_commit_callbacks() as queued:
        response = reception.post(reverse("staff:phone_booking"), phone_form(clinic, far))
    assert response.status_code == 302
    # Back on the day booked, where the new booking is listed.
    assert response["Location"] == f"{reverse('staff:home')}?day={far.date().isoformat()}"
    booking = Booking.objects.get()
    assert booking.starts_at == far and booking.patient.email == "tom@example.com"
    assert Consent.objects.get().kind == "care"
    assert queued  # confirmation e-mail and reminder queued for after the commit


def test_a_taken_time_is_refused_with_the_typing_kept_and_nearest_times(reception):
    clinic = bookable_clinic()
    location, _, consultation_type = clinic
    start = next_slot(days=3)
    BookingFactory(
        patient=PatientFactory(),
        practitioner=clinic[1][0],
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
    )
    response = reception.post(reverse("staff:phone_booking"), phone_form(clinic, start))
    assert response.status_code == 409
    html = response.content.decode()
    assert "just been taken" in html and 'value="Becker"' in html
    assert response.context["alternatives"]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    "overrides",
    [{"consent_care": None}, {"start": "garbage"}, {"email": "nope"}, {"type": "no-such"}],
)
def test_incomplete_or_tampered_phone_bookings_are_refused(reception, overrides):
    clinic = bookable_clinic()
    response = reception.post(
        reverse("staff:phone_booking"), phone_form(clinic, next_slot(), **overrides)
    )
    assert response.status_code in (400, 409)
    assert not Booking.objects.filter(patient__email="tom@example.com").exists()


def test_only_staff_with_the_right_to_add_bookings_book_by_phone(client, roles):
    bookable_clinic()
    doctor = UserFactory(username="doc")
    doctor.groups.add(roles[role_names.PRACTITIONER])  # practitioners may add bookings
    sign_in_with_second_factor(client, doctor)
    assert client.get(reverse("staff:phone_booking")).status_code == 200
    bystander = UserFactory(username="temp")
    from django.test import Client

    other = sign_in_with_second_factor(Client(), bystander)
    assert other.get(reverse("staff:phone_booking")).status_code == 403


def test_the_page_shows_free_times_of_the_day_chosen(reception):
    location, _, consultation_type = bookable_clinic()
    day = (timezone.now() + timedelta(days=5)).date()
    page = reception.get(
        reverse("staff:phone_booking"),
        {"type": consultation_type.slug, "location": location.pk, "day": day.isoformat()},
    )
    assert page.status_code == 200 and len(page.context["slots"]) > 10
    assert all(s.start.astimezone(location.zone).date() == day for s in page.context["slots"])


@pytest.fixture
def on_file(db):
    """A returning patient, on file from an earlier visit."""
    return PatientFactory(
        first_name="Ada",
        last_name="Moss",
        email="ada.moss@example.com",
        phone="07700 900555",
        date_of_birth="1979-11-23",
    )


@pytest.mark.parametrize("query", ["Moss", "ada m", "900555", "ada.moss@example", "1979-11-23"])
def test_reception_finds_a_patient_by_name_phone_email_or_birth_date(reception, on_file, query):
    clinic = bookable_clinic()
    PatientFactory(first_name="Zed", last_name="Quill")
    form = phone_form(clinic, next_slot(), first_name="", action="find", find=query)
    response = reception.post(reverse("staff:phone_booking"), form)
    assert response.status_code == 200
    assert response.context["found"] == [on_file]
    html = response.content.decode()
    assert f'name="use_patient" value="{on_file.pk}"' in html and "Zed Quill" not in html
    assert 'value="Becker"' in html  # what was typed meanwhile is kept
    assert not Booking.objects.exists()


def test_a_patient_found_fills_the_details_and_the_booking_is_theirs(reception, on_file):
    clinic = bookable_clinic()
    when = next_slot(days=4)
    chosen = reception.post(
        reverse("staff:phone_booking"),
        phone_form(clinic, when, use_patient=str(on_file.pk), first_name="Adah"),
    )
    assert chosen.status_code == 200
    html = chosen.content.decode()
    assert "Booking for Ada Moss" in html and f'name="patient" value="{on_file.pk}"' in html
    assert 'name="first_name"' not in html  # their details are on file, not asked again
    assert not Booking.objects.exists()

    # The details still in the form are those of someone else: the patient chosen wins.
    form = phone_form(clinic, when, patient=str(on_file.pk), email="else@example.com")
    response = reception.post(reverse("staff:phone_booking"), form)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.patient == on_file and booking.starts_at == when
    assert Patient.objects.count() == 1
    assert Consent.objects.get(booking=booking).patient == on_file


@pytest.mark.parametrize("patient", ["999999", "x1", "1" * 30])
def test_a_patient_no_longer_on_file_books_nothing(reception, on_file, patient):
    clinic = bookable_clinic()
    response = reception.post(
        reverse("staff:phone_booking"), phone_form(clinic, next_slot(), patient=patient)
    )
    assert response.status_code == 400
    assert "could not be found" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_patient_booked_already_shows_their_next_visits_to_move_one(reception, on_file):
    """Reception booking a caller who is booked already sees it before booking a second."""
    location, (practitioner,), consultation_type = bookable_clinic()
    visit = {"location": location, "practitioner": practitioner}
    coming = BookingFactory(
        patient=on_file, starts_at=next_slot(days=3), consultation_type=consultation_type, **visit
    )
    BookingFactory(patient=on_file, starts_at=next_slot(days=5), status="cancelled", **visit)
    BookingFactory(patient=on_file, starts_at=next_slot(days=-5), status="completed", **visit)
    page = reception.get(reverse("staff:phone_booking"), {"patient": on_file.pk})
    html = page.content.decode()
    assert "Booked already" in html
    when = coming.starts_at.astimezone(location.zone).strftime("%A %-d %B %Y, %H:%M")
    assert f"{when} ({location.name} time): {consultation_type.name}" in html
    assert html.count(reverse("staff:reschedule", args=[coming.pk])) == 1
    assert [b for _, b in page.context["upcoming"]] == [coming]  # not the cancelled, nor the past
    assert "And more" not in html
    # Six to come: five listed, and the rest on their page.
    for days in range(6, 11):
        BookingFactory(patient=on_file, starts_at=next_slot(days=days), **visit)
    page = reception.get(reverse("staff:phone_booking"), {"patient": on_file.pk})
    assert len(page.context["upcoming"]) == 5 and page.context["upcoming"][0][1] == coming
    assert "And more" in page.content.decode()
    assert reverse("staff:patient", args=[on_file.pk]) in page.content.decode()
    # Someone with nothing to come: nothing said.
    other = PatientFactory()
    page = reception.get(reverse("staff:phone_booking"), {"patient": other.pk})
    assert "Booked already" not in page.content.decode()


def test_an_erased_patient_is_neither_found_nor_booked(reception, on_file):
    clinic = bookable_clinic()
    Patient.objects.filter(pk=on_file.pk).update(erased_at=timezone.now())
    found = reception.post(
        reverse("staff:phone_booking"), phone_form(clinic, next_slot(), action="find", find="Moss")
    )
    assert found.context["found"] == []
    response = reception.post(
        reverse("staff:phone_booking"), phone_form(clinic, next_slot(), patient=str(on_file.pk))
    )
    assert response.status_code == 400 and not Booking.objects.exists()


def test_the_patient_page_link_opens_the_booking_for_that_patient(reception, on_file):
    bookable_clinic()
    page = reception.get(reverse("staff:phone_booking"), {"patient": on_file.pk})
    assert page.context["patient"] == on_file
    assert "Booking for Ada Moss" in page.content.decode()


def test_free_times_refresh_with_everything_typed_kept(reception):
    clinic = bookable_clinic()
    day = (timezone.now() + timedelta(days=6)).date()
    form = phone_form(clinic, next_slot(), action="times", day=day.isoformat(), consent_care="on")
    del form["start"], form["date_of_birth"]
    form |= {"date_of_birth_0": "2", "date_of_birth_1": "4", "date_of_birth_2": "1990"}
    # As htmx sends it when the day changes: the whole form, and only the times swapped in.
    response = reception.post(reverse("staff:phone_booking"), form, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.context["day"] == day and response.context["slots"]
    html = response.content.decode()
    for typed in ('value="Tom"', 'value="Becker"', 'value="tom@example.com"'):
        assert typed in html
    # The date of birth comes back in its three boxes.
    for name, value in (
        ("date_of_birth_0", "2"),
        ("date_of_birth_1", "4"),
        ("date_of_birth_2", "1990"),
    ):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group()
        assert f'value="{value}"' in box
    assert " checked" in re.search(r'<input[^>]*name="consent_care"[^>]*>', html).group()
    assert "is-invalid" not in html and "alert-danger" not in html  # no error for a refresh
    assert 'id="free-times"' in html and 'hx-select="#free-times"' in html
    assert not Booking.objects.exists()


def test_the_day_after_button_works_without_javascript(reception):
    clinic = bookable_clinic()
    day = (timezone.now() + timedelta(days=6)).date()
    form = phone_form(clinic, next_slot(), action="later", day=day.isoformat())
    response = reception.post(reverse("staff:phone_booking"), form)
    assert response.context["day"] == day + timedelta(days=1)
    assert 'value="Becker"' in response.content.decode()


def test_a_day_past_the_staff_horizon_shows_the_last_and_says_so(reception):
    clinic = bookable_clinic()
    form = phone_form(clinic, next_slot(), action="times", day="2999-01-01")
    response = reception.post(reverse("staff:phone_booking"), form)
    last = response.context["last_day"]
    assert response.context["day"] == last
    html = response.content.decode()
    assert f"{last:%-d %B %Y} is shown, the nearest to 1 January 2999." in html
    assert f'max="{last.isoformat()}"' in html
    assert "Day after" not in html


def test_hostile_names_in_the_lookup_show_escaped(reception):
    bookable_clinic()
    PatientFactory(first_name="<script>alert(1)</script>", last_name="Moss")
    response = reception.post(reverse("staff:phone_booking"), {"action": "find", "find": "Moss"})
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_lookup_costs_the_same_queries_for_more_patients_found(
    reception, django_assert_num_queries
):
    clinic = bookable_clinic()
    PatientFactory(last_name="Moss")
    form = phone_form(clinic, next_slot(), action="find", find="Moss")
    # Session, the user with their permissions, roles and second factor (one query); types,
    # locations, practitioners (the list, and the slot engine's); the patients found; the free
    # times (hours, time off, the days closed, bookings). The session is not saved: its idle
    # stamp is rewritten at most once a minute.
    with django_assert_num_queries(QUERIES_LOOKUP):
        assert len(reception.post(reverse("staff:phone_booking"), form).context["found"]) == 1
    for _ in range(4):
        PatientFactory(last_name="Moss")
    with django_assert_num_queries(QUERIES_LOOKUP):
        assert len(reception.post(reverse("staff:phone_booking"), form).context["found"]) == 5


def test_the_page_for_a_chosen_patient_costs_a_fixed_number_of_queries(
    reception, on_file, django_assert_num_queries
):
    bookable_clinic()
    with django_assert_num_queries(QUERIES_CHOSEN):
        reception.get(reverse("staff:phone_booking"), {"patient": on_file.pk})


QUERIES_LOOKUP = 11
# As the lookup, with the patient chosen read instead of the patients found, and their bookings
# still to come.
QUERIES_CHOSEN = 12


def test_reception_books_a_procedure_and_hears_which_room_is_taken(reception):
    """Staff book procedures (patients cannot, online); a room held by another practitioner's
    session is named in the refusal, its name escaped, and the typing is kept."""
    location, (first, second), (room,), procedure = procedure_clinic(2, ["<b>Procedure</b> room"])
    start = next_slot(days=3)
    clinic = (location, None, procedure)
    form = phone_form(clinic, start, practitioner=str(first.pk))
    assert reception.post(reverse("staff:phone_booking"), form).status_code == 302
    booking = Booking.objects.get()
    assert list(booking.holds.values_list("resource", flat=True)) == [room.pk]
    other = phone_form(clinic, start, practitioner=str(second.pk), email="ann@example.com")
    response = reception.post(reverse("staff:phone_booking"), other)
    assert response.status_code == 409
    html = response.content.decode()
    assert "The &lt;b&gt;Procedure&lt;/b&gt; room is taken at that time." in html
    assert "<b>Procedure</b>" not in html and 'value="ann@example.com"' in html
    assert Booking.objects.count() == 1


def two_locations():
    """``bookable_clinic`` at Hampstead, and Richmond, where only a second practitioner works
    (the same consultation)."""
    hampstead, (only_hampstead,), consultation_type = bookable_clinic()
    richmond = LocationFactory(name="Richmond", time_zone="Europe/London")
    only_richmond = PractitionerFactory(locations=[richmond])
    weekly_hours(only_richmond, richmond)
    consultation_type.practitioners.add(only_richmond)
    return hampstead, richmond, only_hampstead, only_richmond, consultation_type


def test_a_practitioner_not_at_the_location_chosen_is_not_swapped_for_another(reception):
    _, richmond, only_hampstead, _, consultation_type = two_locations()
    # Without JavaScript the times do not follow the location: Book sends the practitioner
    # chosen at Hampstead with Richmond.
    form = phone_form(
        (richmond, None, consultation_type),
        next_slot(days=4),
        practitioner=str(only_hampstead.pk),
    )
    response = reception.post(reverse("staff:phone_booking"), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        f"{only_hampstead.display_name} does not see this consultation at Richmond: choose a "
        "practitioner who does, or First available"
    ) in html
    assert 'value="Becker"' in html
    assert not Booking.objects.exists()


def test_the_times_say_whose_they_are_when_the_practitioner_is_not_at_the_location(reception):
    hampstead, richmond, only_hampstead, only_richmond, consultation_type = two_locations()
    day = (timezone.now() + timedelta(days=5)).date()
    form = phone_form(
        (richmond, None, consultation_type),
        next_slot(),
        practitioner=str(only_hampstead.pk),
        action="times",
        day=day.isoformat(),
    )
    # As htmx sends the form when the location changes.
    response = reception.post(reverse("staff:phone_booking"), form, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f"{only_hampstead.display_name} does not see {consultation_type.name} at Richmond: the "
        "times shown are the first available practitioner&#x27;s."
    ) in html
    assert response.context["practitioner"] is None and response.context["slots"]
    select = re.search(r'<select[^>]*name="practitioner".*?</select>', html, re.S).group()
    assert re.findall(r'<option value="(\w+)"', select) == ["any", str(only_richmond.pk)]
    # At a location where they work, or on First available, nothing is said.
    for location, practitioner in ((hampstead, only_hampstead.pk), (richmond, "any")):
        form |= {"location": location.pk, "practitioner": practitioner}
        page = reception.post(reverse("staff:phone_booking"), form)
        assert page.context["slots"] and "does not see" not in page.content.decode()


@pytest.mark.parametrize("change", ["use", "someone_else"])
def test_the_agreement_is_asked_afresh_when_the_patient_changes(reception, on_file, change):
    clinic = bookable_clinic()
    # Ticked for the caller typed in, then another patient is chosen.
    form = phone_form(clinic, next_slot(days=4), consent_care="on")
    if change == "use":
        form["use_patient"] = str(on_file.pk)
    else:
        form |= {"patient": str(on_file.pk), "action": "someone_else"}
    html = reception.post(reverse("staff:phone_booking"), form).content.decode()
    box = re.search(r'<input[^>]*name="consent_care"[^>]*>', html).group()
    assert " checked" not in box
    # Any other refresh keeps the tick, as it keeps the rest of the typing.
    form = phone_form(clinic, next_slot(days=4), consent_care="on", action="times")
    html = reception.post(reverse("staff:phone_booking"), form).content.decode()
    assert " checked" in re.search(r'<input[^>]*name="consent_care"[^>]*>', html).group()


def test_find_with_nothing_typed_says_what_to_type(reception, on_file):
    clinic = bookable_clinic()
    form = phone_form(clinic, next_slot(), action="find", find="  ")
    html = reception.post(reverse("staff:phone_booking"), form).content.decode()
    assert "Type a name, e-mail, phone or date of birth to find a patient on file." in html
    assert "No patient on file matches" not in html


def test_a_procedure_whose_rooms_are_elsewhere_says_why_it_has_no_times(reception):
    location, practitioners, _, procedure = procedure_clinic(1, ["Procedure room"])
    elsewhere = LocationFactory(name="Dubai", time_zone="Asia/Dubai")
    practitioners[0].locations.add(elsewhere)
    weekly_hours(practitioners[0], elsewhere)
    day = (timezone.now() + timedelta(days=5)).date().isoformat()
    query = {"type": procedure.slug, "day": day}
    there = reception.get(reverse("staff:phone_booking"), {**query, "location": elsewhere.pk})
    assert there.context["slots"] == []
    said = f"{procedure.name} cannot be booked at Dubai: the rooms and equipment it needs are at"
    assert said in there.content.decode()
    here = reception.get(reverse("staff:phone_booking"), {**query, "location": location.pk})
    assert here.context["slots"] and "cannot be booked at" not in here.content.decode()


@pytest.mark.parametrize("sent", ["²", "-3", "abc", "9" * 30, "999999"])
def test_a_practitioner_that_cannot_be_read_or_found_is_refused_not_swapped(reception, sent):
    clinic = bookable_clinic()
    form = phone_form(clinic, next_slot(days=4), practitioner=sent)
    page = reception.get(reverse("staff:phone_booking"), {"practitioner": sent, "patient": sent})
    assert page.status_code == 200
    assert "The practitioner chosen does not see" in page.content.decode()
    response = reception.post(reverse("staff:phone_booking"), form)
    assert response.status_code == 400
    assert "The practitioner chosen does not see this consultation" in response.content.decode()
    assert not Booking.objects.exists()


def test_the_practitioner_is_read_as_a_number(reception):
    clinic = bookable_clinic()
    (practitioner,) = clinic[1]
    form = phone_form(clinic, next_slot(days=4), practitioner=f"0{practitioner.pk}")
    assert reception.post(reverse("staff:phone_booking"), form).status_code == 302
    assert Booking.objects.get().practitioner == practitioner


@pytest.mark.parametrize(
    ("country", "zone", "typed", "stored"),
    [
        ("AE", "Asia/Dubai", "050 123 4567", "+971501234567"),
        ("GB", "Europe/London", "07400 900789", "+447400900789"),
        ("GB", "Europe/London", "+971 50 123 4567", "+971501234567"),
    ],
)
def test_a_number_is_read_in_the_country_of_the_location_booked(
    reception, country, zone, typed, stored
):
    """A caller to Dubai gives their mobile as they say it (050 …), as the online form takes it."""
    clinic = bookable_clinic()
    Location.objects.filter(pk=clinic[0].pk).update(country=country, time_zone=zone)
    response = reception.post(
        reverse("staff:phone_booking"), phone_form(clinic, next_slot(), phone=typed)
    )
    assert response.status_code == 302
    assert Booking.objects.get().patient.phone.as_e164 == stored


def test_a_dubai_number_without_its_code_is_refused_at_a_london_location(reception):
    clinic = bookable_clinic()
    response = reception.post(
        reverse("staff:phone_booking"), phone_form(clinic, next_slot(), phone="050 123 4567")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "e.g. 07400 123456, or with its country code" in html
    assert 'value="050 123 4567"' in html and not Booking.objects.exists()


def test_the_patient_page_opens_the_booking_at_the_location_of_their_latest(reception):
    clinic = bookable_clinic()
    dubai = LocationFactory(name="Healthcare City", time_zone="Asia/Dubai", country="AE")
    patient = PatientFactory(first_name="Zoe")
    BookingFactory(patient=patient, location=clinic[0], starts_at=next_slot(days=-30))
    BookingFactory(patient=patient, location=dubai, starts_at=next_slot(days=-3))
    page = reception.get(reverse("staff:patient", args=[patient.pk])).content.decode()
    link = f"{reverse('staff:phone_booking')}?patient={patient.pk}&amp;location={dubai.pk}"
    assert f'href="{link}"' in page
    opened = reception.get(link.replace("&amp;", "&"))
    assert opened.context["location"] == dubai and opened.context["patient"] == patient
