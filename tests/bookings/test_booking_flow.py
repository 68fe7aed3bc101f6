"""The public booking flow through Django's test client, on the real database."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from bookings.drafts import parse_start
from bookings.models import Booking, BookingDraft, ScheduleVersion
from bookings.services import booking_create
from clinic import sql_batch
from patients.models import Consent, HairLossIntake, IntakePhoto, Patient
from tests.factories import (
    PatientFactory,
    bookable_clinic,
    details_url,
    jpeg_upload,
    next_slot,
    run_worker,
    valid_form,
)

pytestmark = pytest.mark.django_db

# The confirm's last four writes, which nobody reads back: sent together on PostgreSQL.
_LAST_WRITES = (
    f'INSERT INTO "{DBTaskResult._meta.db_table}"',
    f'INSERT INTO "{ScheduleVersion._meta.db_table}"',
    f'INSERT INTO "{Consent._meta.db_table}"',
    f'UPDATE "{BookingDraft._meta.db_table}"',
)


@pytest.fixture
def clinic():
    return bookable_clinic()


def start_booking(client, clinic, start=None, **form):
    location, _, consultation_type = clinic
    start = start or next_slot()
    url = details_url(consultation_type, location, start)
    response = client.post(url, valid_form(**form))
    return response, start


def test_picker_opens_on_the_first_free_day_with_a_fixed_number_of_queries(client, clinic):
    location, _, consultation_type = clinic
    url = reverse("bookings:times", args=[consultation_type.slug])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "details/?location=" in html
    first_free = response.context["day"]
    assert response.context["week"][0][0] == first_free

    def count(query):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, query)
        assert response.status_code == 200
        return len(queries), response

    # One query for the type and its practitioners' schedule versions (the key of the shared
    # availability), then, when they are not kept yet, where and by whom it is offered and
    # one slot search of 4 queries (hours, time off, the days closed, bookings) for the month
    # and the week shown.
    for days in (10, 40):
        cache.clear()
        day = next_slot(days=days).date().isoformat()
        queries, response = count({"location": location.pk, "practitioner": "any", "day": day})
        assert queries == 6, days
        assert response.context["week"][0][0].isoformat() == day
        assert response.context["day"].isoformat() == day
        # Once kept, the same times cost only that first query.
        queries, again = count({"location": location.pk, "practitioner": "any", "day": day})
        assert queries == 1 and again.content == response.content
    # More bookings, on more days, cost no more.
    for days in range(5, 12):
        booking_create(
            patient=PatientFactory(),
            consultation_type=consultation_type,
            location=location,
            starts_at=next_slot(days=days, hour=11),
            notify=False,
        )
    day = next_slot(days=10).date().isoformat()
    # (The booking made raised the versions: nothing is kept for the new key.)
    assert count({"location": location.pk, "practitioner": "any", "day": day})[0] == 6


def test_picker_month_marks_free_days_and_groups_the_days_times(client, clinic):
    location, _, consultation_type = clinic
    url = reverse("bookings:times", args=[consultation_type.slug])
    day = next_slot(days=10).date()
    response = client.get(url, {"location": location.pk, "day": day.isoformat()})
    weeks = response.context["month_weeks"]
    cells = [cell for row in weeks for cell, _ in row if cell]
    assert {cell.day.month for cell in cells} == {day.month}
    chosen = [cell for cell in cells if cell.chosen]
    assert [cell.day for cell in chosen] == [day] and chosen[0].free
    parts = dict(response.context["day_parts"])
    # Hampstead opens 09:00–17:00 London time: mornings and afternoons, no evening.
    assert set(parts) == {"Morning", "Afternoon"}
    assert all(s.start.astimezone(location.zone).hour < 12 for s in parts["Morning"])
    assert all(s.start.astimezone(location.zone).hour >= 12 for s in parts["Afternoon"])
    html = response.content.decode()
    assert 'aria-current="date"' in html and "Morning" in html


def test_no_picker_link_leads_into_the_past_or_past_the_horizon(client, clinic):
    location, _, consultation_type = clinic
    url = reverse("bookings:times", args=[consultation_type.slug])
    today = next_slot(days=0).date()
    horizon = today + timedelta(days=consultation_type.horizon_days)
    for asked in ("0001-01-01", today.isoformat(), (horizon - timedelta(days=1)).isoformat()):
        for name in ("day", "month"):
            html = client.get(url, {"location": location.pk, name: asked}).content.decode()
            linked = re.findall(r"(?:day|month)=(\d{4}-\d{2}-\d{2})", html)
            assert linked, asked
            for found in linked:
                assert today - timedelta(days=1) <= date.fromisoformat(found) <= horizon, found
            starts = re.findall(r"start=(\d{8}T\d{4}Z)", html)
            for start in starts:
                moment = parse_start(start)
                assert moment > timezone.now()
                assert moment.date() <= horizon + timedelta(days=1)


def test_first_available_says_who_before_the_patient_confirms(client):
    location, staff, consultation_type = bookable_clinic(practitioners=2)
    start = next_slot(days=4)
    # The first practitioner is busier that day: the fair rule gives the time to the second.
    booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=4, hour=14),
        practitioner=staff[0],
        notify=False,
    )
    page = client.get(details_url(consultation_type, location, start)).content.decode()
    assert f"with {staff[1].display_name}, Trichologist (first available)" in page
    review = client.post(details_url(consultation_type, location, start), valid_form())
    assert f"with {staff[1].display_name}" in client.get(review.url).content.decode()
    client.post(review.url)
    assert Booking.objects.get(patient__email="ada@example.com").practitioner == staff[1]


def test_picker_survives_tampered_parameters(client, clinic):
    _, _, consultation_type = clinic
    url = reverse("bookings:times", args=[consultation_type.slug])
    for query in ({"location": "x"}, {"practitioner": "'; drop"}, {"day": "2026-13-45"}):
        assert client.get(url, query).status_code == 200
    assert client.get(reverse("bookings:times", args=["no-such-type"])).status_code == 404


def test_invalid_details_keep_the_typing_and_say_what_is_wrong(client, clinic):
    response, _ = start_booking(
        client, clinic, email="not-an-email", date_of_birth_0="31", date_of_birth_1="2"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address" in html
    assert "that day does not exist" in html
    assert 'value="Lovelace"' in html  # what was typed comes back
    assert 'value="31"' in html and 'value="1985"' in html
    assert not Booking.objects.exists()
    draft = BookingDraft.objects.get()
    assert draft.form_data["last_name"] == ["Lovelace"]
    # The draft keeps the details page's fields only: no health answer is held before booking.
    assert "goals" not in draft.form_data and "main_concern" not in draft.form_data


@pytest.mark.django_db(transaction=True)
def test_full_booking_holds_the_time_then_takes_the_intake_consent_and_emails(
    client, clinic, screening_rules
):
    response, start = start_booking(client, clinic, consent_photos="on")
    draft = BookingDraft.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("bookings:review", args=[draft.token])
    review = client.get(response.url)
    assert review.status_code == 200
    assert "Lovelace" in review.content.decode()

    confirmed = client.post(response.url)
    assert confirmed.status_code == 302
    booking = Booking.objects.get()
    assert booking.starts_at == start
    assert booking.patient.email == "ada@example.com"
    assert booking.patient.date_of_birth.isoformat() == "1985-12-10"
    assert not HairLossIntake.objects.exists()  # asked for next, on the confirmation
    assert set(Consent.objects.values_list("kind", flat=True)) == {"care", "photos_beyond_care"}
    assert BookingDraft.objects.get().form_data == {}
    done = client.get(confirmed.url).content.decode()
    intake_url = reverse("bookings:intake", args=[booking.token])
    assert "Tell us about your hair loss" in done and intake_url in done

    answers = {
        **valid_form(screen_anticoagulants="yes"),
        "photo_hairline": jpeg_upload(),
    }
    assert client.post(intake_url, answers).status_code == 302
    intake = HairLossIntake.objects.get(booking=booking)
    assert intake.previous_treatments == {"minoxidil": {"duration": "3to12m", "outcome": "helped"}}
    assert {(f.treatment, f.severity) for f in intake.flags.all()} >= {("prp", "caution")}
    assert IntakePhoto.objects.get().intake == intake

    run_worker()
    patient_mail = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    assert patient_mail.subject.startswith("Booked: Consultation at ")
    name, ics, mimetype = patient_mail.attachments[0]
    assert name == "consultation.ics" and mimetype == "text/calendar; method=REQUEST"
    calendar = Calendar.from_ical(ics)
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert str(event["SUMMARY"]).startswith("Consultation at ")
    assert event["DTSTART"].dt == booking.starts_at
    assert event["DTSTART"].to_ical().endswith(b"Z")  # the exact instant, in UTC
    assert booking.token in patient_mail.body
    assert any(m.to == ["reception@localhost"] for m in mail.outbox)
    # Discreet wording: no treatment, concern or consultation-type name anywhere in the mail.
    for message in mail.outbox:
        # The private link's random token could spell anything; it is not wording.
        text = (message.subject + message.body).replace(booking.token, "").lower()
        secrets = ("prp", "minoxidil", "receding", "hair loss", booking.consultation_type.name)
        for secret in (word.lower() for word in secrets):
            assert secret not in text, (secret, message.subject)


def test_confirming_a_booking_runs_a_fixed_number_of_queries(
    client, clinic, screening_rules, monkeypatch
):
    response, _ = start_booking(client, clinic)
    sent_together = []
    send = sql_batch._send
    monkeypatch.setattr(
        sql_batch, "_send", lambda kept: sent_together.append([q for q, _ in kept]) or send(kept)
    )
    with CaptureQueriesContext(connection) as queries:
        assert client.post(response.url).status_code == 302
    # The session; then in one transaction (here a savepoint and its release, as the test
    # runs in one): the locked draft (read once); the lookup of the patient (on PostgreSQL
    # after a lock on the person's identity, sent with it), then their insert with its audit
    # row (one statement on PostgreSQL, two on SQLite); a new patient, so neither their lock
    # nor a check of their bookings; "first available": who is free (one query, unlocked),
    # then the try's savepoint, the chosen practitioner's lock and a re-check of their
    # bookings (one round trip on PostgreSQL; on SQLite, which has no row locks, the
    # savepoint and the re-check), never released; the booking's insert with its audit row
    # (as the patient's); then the practitioner's schedule version raised for the slot
    # picker's cache, its e-mails and reminders queued (their rows, in the same transaction),
    # the consents and the draft's update: kept to the end and sent together
    # (``clinic.sql_batch``), in one round trip on PostgreSQL. The intake comes later,
    # through the private link.
    assert len(queries) == (10 if connection.vendor == "postgresql" else 16)
    assert len(sent_together) == 1
    assert [sum(q.count(write) for q in sent_together[0]) for write in _LAST_WRITES] == [1] * 4


def test_a_confirmed_booking_queues_its_emails_and_reminders_in_one_insert(
    client, clinic, django_capture_on_commit_callbacks, monkeypatch
):
    # Four days ahead at 10:00 UTC, so that the reminder three days before is still to come
    # at any hour the test runs (three days ahead, it was already past after 10:00).
    response, _ = start_booking(client, clinic, next_slot(days=4))
    # The statements as written, before PostgreSQL's are sent by the name they were prepared
    # under (clinic/sql_prepared.py).
    sent_together = []
    send = sql_batch._send
    monkeypatch.setattr(
        sql_batch, "_send", lambda kept: sent_together.extend(q for q, _ in kept) or send(kept)
    )
    # Nothing run after the commit, as when the process dies just after it: the tasks were
    # written with the booking, in its transaction.
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(response.url).status_code == 302
    task_insert = f'INSERT INTO "{DBTaskResult._meta.db_table}"'
    # The e-mails, the reminder and the two intake reminders: four tasks, one statement.
    assert sum(q.count(task_insert) for q in sent_together) == 1
    queued = DBTaskResult.objects.order_by("task_path", "run_after")
    assert [(row.task_path.rpartition(".")[2], row.args_kwargs["args"][1:]) for row in queued] == [
        ("send_booking_emails", ["confirmed", 0]),
        ("send_intake_reminder", [0, 3]),
        ("send_intake_reminder", [0, 1]),
        ("send_reminder", [0]),
    ]


def test_a_booking_rolled_back_leaves_no_task_queued(clinic):
    location, practitioners, consultation_type = clinic
    with pytest.raises(RuntimeError), transaction.atomic():
        booking_create(
            patient=PatientFactory(),
            consultation_type=consultation_type,
            location=location,
            starts_at=next_slot(days=4),
            practitioner=practitioners[0],
        )
        assert DBTaskResult.objects.exists()
        raise RuntimeError("the caller's transaction fails after the booking")
    assert not Booking.objects.exists() and not DBTaskResult.objects.exists()


def test_double_click_on_confirm_makes_one_booking(client, clinic):
    response, _ = start_booking(client, clinic)
    first = client.post(response.url)
    second = client.post(response.url)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Booking.objects.count() == 1


def test_slot_taken_while_typing_keeps_everything_and_offers_nearest_times(client, clinic):
    location, _, consultation_type = clinic
    response, start = start_booking(client, clinic)
    booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        notify=False,
    )
    review = client.get(response.url)
    assert "no longer available" in review.content.decode()
    refused = client.post(response.url)
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "just been taken" in html
    assert "Everything you typed is kept" in html
    draft = BookingDraft.objects.get()
    assert draft.form_data["first_name"] == ["Ada"]

    alternative = refused.context["alternatives"][0]
    from bookings.drafts import format_start

    client.post(
        reverse("bookings:draft_time", args=[draft.token]),
        {"start": format_start(alternative.start)},
    )
    assert client.post(response.url).status_code == 302
    mine = Booking.objects.get(patient__email="ada@example.com")
    assert mine.starts_at == alternative.start


def test_returning_patient_is_matched_by_email_and_birth_date(client, clinic):
    known = PatientFactory(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        date_of_birth="1985-12-10",
        phone="",
    )
    response, _ = start_booking(client, clinic)
    client.post(response.url)
    assert Patient.objects.count() == 1
    known.refresh_from_db()
    assert known.phone == "+447400900123" and known.bookings.count() == 1


@pytest.mark.parametrize(
    "other",
    [
        {"date_of_birth": "1990-01-01", "first_name": "Ada", "last_name": "Lovelace"},
        {"date_of_birth": "1985-12-10", "first_name": "Augusta", "last_name": "Lovelace"},
    ],
    ids=["other-birth-date", "twin-sharing-the-e-mail"],
)
def test_a_near_match_is_a_new_patient_and_the_pages_look_the_same(client, clinic, other):
    PatientFactory(email="ada@example.com", **other)
    response, _ = start_booking(client, clinic)
    done = client.post(response.url, follow=True)
    assert Patient.objects.count() == 2
    # The same words as for a known patient: nothing says whether the e-mail was known.
    text = done.content.decode()
    assert "You are booked in" in text and "ada@example.com" in text
    assert "already" not in text.lower() and "welcome back" not in text.lower()
    # The time is the clinic's, and says so (the browser adds the visitor's own beside it).
    location = clinic[0]
    assert f'<span class="zone-label small text-secondary">({location.name} time)</span>' in text


def test_back_and_submit_again_after_booking_makes_no_second_booking(client, clinic):
    location, _, consultation_type = clinic
    response, start = start_booking(client, clinic)
    client.post(response.url)
    # Back to the cached form, submit it again: this browser is taken to its booking.
    again = client.post(details_url(consultation_type, location, start), valid_form())
    assert again.status_code == 302 and again.url.endswith("/done/")
    # A fresh browser with the same person's details is refused, with everything typed kept:
    # leading it to the booking held would hand its private link to whoever knows a name, an
    # e-mail and a birth date.
    from django.test import Client

    other_browser = Client()
    review = other_browser.post(details_url(consultation_type, location, start), valid_form())
    refused = other_browser.post(review.url)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "You already have a consultation at that time" in page
    assert Booking.objects.get().token not in page
    assert valid_form()["last_name"] in page  # the answers are still there, to try again
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("times", {"day": "9999-12-31"}),
        ("times", {"day": "0001-01-01"}),
        ("details", {"start": "00010101T0000Z"}),
        ("details", {"start": "99991231T2359Z"}),
    ],
)
def test_extreme_dates_get_a_page_not_an_error(client, clinic, path, query):
    location, _, consultation_type = clinic
    url = reverse(f"bookings:{path}", args=[consultation_type.slug])
    assert client.get(url, {"location": location.pk, **query}).status_code in (200, 302)
    if path == "details":
        address = url + "?" + urlencode({"location": location.pk, **query})
        assert client.post(address, valid_form()).status_code in (302, 400)
    assert not Booking.objects.exists()


def test_hostile_values_are_stored_safely_or_refused(client, clinic):
    location, _, consultation_type = clinic
    url = details_url(consultation_type, location, next_slot())
    nul = valid_form(first_name="Ada\x00", last_name="x\x00y")
    assert client.post(url, nul).status_code in (302, 400)
    long_email = valid_form(email="a" * 250 + "@example.com")
    response = client.post(details_url(consultation_type, location, next_slot(hour=11)), long_email)
    assert response.status_code == 400
    assert "at most 254 characters" in response.content.decode()
    draft = BookingDraft.objects.order_by("pk").first()
    weird = client.post(
        reverse("bookings:draft_details", args=[draft.token]), valid_form(date_of_birth_2="²")
    )
    assert weird.status_code == 400
    assert "Please write the year as a number" in weird.content.decode()  # not a digit
    assert not Booking.objects.exists()


def test_a_draft_opens_only_in_the_session_that_started_it(client, clinic):
    from django.test import Client

    response, _ = start_booking(client, clinic)
    stranger = Client()
    assert stranger.get(response.url).status_code == 404
    assert stranger.post(response.url).status_code == 404
    assert not Booking.objects.exists()


def test_tampered_start_is_refused_with_a_clear_message(client, clinic):
    location, _, consultation_type = clinic
    url = details_url(consultation_type, location, next_slot()).replace("start=", "start=garbage")
    response = client.post(url, valid_form())
    assert response.status_code == 302  # back to the picker, with a message
    off_grid = next_slot().replace(minute=7)
    response, _ = start_booking(client, clinic, start=off_grid)
    refused = client.post(response.url)
    assert refused.status_code == 409
    assert "not available" in refused.content.decode()
    assert not Booking.objects.exists()


def test_too_many_submissions_from_one_address_get_a_friendly_page(client, clinic, settings):
    settings.BOOKING_SUBMISSIONS_PER_HOUR = 2
    location, _, consultation_type = clinic
    url = details_url(consultation_type, location, next_slot())
    statuses = [client.post(url, {"first_name": "x"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    # Paused, the form comes back with the typing in it, saying why and how to book instead;
    # nothing of it is kept.
    drafts_before = list(BookingDraft.objects.values_list("form_data", flat=True))
    paused = client.post(url, {"first_name": "Grace", "email": "grace@example.com"})
    page = paused.content.decode()
    assert paused.status_code == 429
    assert "this form cannot be sent just now" in page and "call us on" in page
    assert 'value="Grace"' in page and 'value="grace@example.com"' in page
    assert list(BookingDraft.objects.values_list("form_data", flat=True)) == drafts_before


def test_back_to_a_booked_slot_leads_to_the_booking_not_a_refusal(client, clinic):
    location, _, consultation_type = clinic
    response, start = start_booking(client, clinic)
    client.post(response.url)
    again = client.get(details_url(consultation_type, location, start))
    assert again.status_code == 302 and again.url.endswith("/done/")
