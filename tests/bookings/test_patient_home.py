"""The patient's home: a sign-in link by e-mail (expiring, single use, rate limited, the same
answer for any address), then their own bookings, details, photo consent, data and erasure
request, and nobody else's."""

import io
import json
import zipfile
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bookings.models import Booking
from patients.home import email_change_token, sign_in_token
from patients.models import Consent, ErasureRequest, Patient
from tests.factories import (
    AssessmentFactory,
    BookingFactory,
    PatientFactory,
    all_at_once,
    bookable_clinic,
    booking_with_intake,
    completed_consultation,
    home_link_asked,
    home_signed_in,
    link_in_outbox,
    next_slot,
    proposed_plan,
    run_worker,
    self_rating,
)
from treatments.services import plan_decline

pytestmark = pytest.mark.django_db(transaction=True)
HOME = reverse("bookings:home")
SIGN_IN = reverse("bookings:home_sign_in")


@pytest.fixture
def world(screening_rules):
    """A patient with an upcoming consultation (answers sent), a completed one with a signed-off
    summary and a cancelled one; and another patient, with the same practitioner."""
    location, (practitioner,), consultation_type = bookable_clinic()
    upcoming = booking_with_intake(location, consultation_type, practitioner, 5)
    patient = upcoming.patient
    visit = dict(practitioner=practitioner, consultation_type=consultation_type, location=location)
    past = BookingFactory(
        patient=patient, starts_at=next_slot(days=-20), status=Booking.Status.COMPLETED, **visit
    )
    AssessmentFactory(
        booking=past, signed_off_at=timezone.now(), patient_summary="Your crown is thinning."
    )
    cancelled = BookingFactory(
        patient=patient, starts_at=next_slot(days=9), status=Booking.Status.CANCELLED, **visit
    )
    other = booking_with_intake(location, consultation_type, practitioner, 6)
    other.patient.last_name = "Quillfeather"
    other.patient.save()
    return SimpleNamespace(
        patient=patient, upcoming=upcoming, past=past, cancelled=cancelled, other=other, **visit
    )


def open_link(client, link):
    """Open an e-mailed link as the patient does: the page, then the one button on it."""
    page = client.get(link)
    if page.status_code != 200:
        return page
    return client.post(link)


# Asking for a link


def test_a_sign_in_link_opens_the_patients_home_once(client, world):
    home_link_asked(client, world.patient.email.upper())  # any case
    link = link_in_outbox(mail.outbox, "bookings:home_open", to=world.patient.email)
    assert client.get(HOME).status_code == 302  # not signed in yet
    page = client.get(link)
    assert f"Welcome back, {world.patient.first_name}" in page.content.decode()
    assert client.get(link).status_code == 200  # looking (a mail scanner) does not spend it
    assert client.post(link)["Location"] == HOME
    assert client.get(HOME).status_code == 200
    # Used once, it opens nothing more, in this browser or any other.
    assert Client().get(link).status_code == 410
    assert Client().post(link).status_code == 410


@pytest.mark.race
def test_one_link_used_at_the_same_moment_in_many_browsers_signs_in_one(world):
    """Real threads, each with its own database connection: the patient's row is locked before
    the link is checked, so one browser signs in and the others find the link used."""
    link = reverse("bookings:home_open", args=[sign_in_token(world.patient)])
    outcomes = all_at_once(6, lambda index, browser: browser.post(link), prepare=lambda i: Client())
    statuses = sorted(getattr(o, "status_code", o) for o in outcomes)
    assert statuses == [302, 410, 410, 410, 410, 410], statuses


def test_signing_in_voids_every_link_sent_before(client, world):
    first, second = sign_in_token(world.patient), sign_in_token(world.patient)
    assert open_link(client, reverse("bookings:home_open", args=[second])).status_code == 302
    refused = Client().get(reverse("bookings:home_open", args=[first]))
    assert refused.status_code == 410 and "This link no longer works" in refused.content.decode()


def test_a_sign_in_link_opened_again_once_signed_in_leads_home(client, world):
    link = reverse("bookings:home_open", args=[sign_in_token(world.patient)])
    assert open_link(client, link).url == reverse("bookings:home")
    again = client.get(link, follow=True)
    assert again.status_code == 200 and "You are signed in already." in again.content.decode()
    assert Client().get(link).status_code == 410  # anyone else: used


def test_an_expired_link_is_refused(client, world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        link = reverse("bookings:home_open", args=[sign_in_token(world.patient)])
        clock.shift(timedelta(minutes=14))
        assert client.get(link).status_code == 200
        clock.shift(timedelta(minutes=2))
        assert client.get(link).status_code == 410
        assert client.post(link).status_code == 410
    assert client.get(HOME).status_code == 302


@pytest.mark.parametrize(("where", "bit"), [(0, 32), (5, 32), (12, 1), (-1, 32), (-1, 1)])
def test_a_tampered_link_is_refused(client, world, where, bit):
    """Any character changed, even in bits of the last one that Base64 leaves unused (the same
    bytes, spelled otherwise), makes a link that opens nothing."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    token = sign_in_token(world.patient)
    i = where % len(token)
    swapped = token[:i] + alphabet[alphabet.index(token[i]) ^ bit] + token[i + 1 :]
    assert swapped != token
    assert open_link(client, reverse("bookings:home_open", args=[swapped])).status_code == 410
    assert client.get(HOME).status_code == 302


def test_foreign_links_are_refused(client, world):
    """Made with another secret (another clinic's site), made for another purpose (an e-mail
    change, a booking's own link), or for another patient: none signs anyone in."""
    world.patient.pending_email = "new@example.com"
    world.patient.save()
    candidates = [
        email_change_token(world.patient),
        world.upcoming.token,
    ]
    with override_settings(SECRET_KEY="another-clinic-entirely-another-secret-key"):
        candidates.append(sign_in_token(world.patient))
    for token in candidates:
        response = open_link(client, reverse("bookings:home_open", args=[token]))
        assert response.status_code == 410, token
    assert client.get(HOME).status_code == 302
    # The other patient's own link signs in the other patient, and shows nothing of this one.
    open_link(client, reverse("bookings:home_open", args=[sign_in_token(world.other.patient)]))
    html = client.get(HOME).content.decode()
    assert "Quillfeather" in html and world.upcoming.token not in html


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(world):
    known, unknown = Client(), Client()
    answers = [
        home_link_asked(known, world.patient.email),
        home_link_asked(unknown, "nobody-here@example.com"),
    ]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    pages = [known.get(answers[0]["Location"]), unknown.get(answers[1]["Location"])]
    assert pages[0].content == pages[1].content
    assert [m.to for m in mail.outbox] == [[world.patient.email]]


def test_no_task_row_keeps_the_address_asked_for(client, world):
    """The queued e-mail names patients by id: erasure has no address left to find there."""
    home_link_asked(client, world.patient.email)
    home_link_asked(client, "nobody-here@example.com")
    rows = [json.dumps(row.args_kwargs) for row in DBTaskResult.objects.all()]
    assert len(rows) == 2 and not any("@" in row for row in rows)


def test_one_email_lists_a_link_for_each_patient_sharing_the_address(client, world):
    Patient.objects.filter(pk=world.other.patient.pk).update(email=world.patient.email)
    home_link_asked(client, world.patient.email)
    (message,) = mail.outbox
    assert message.body.count("/my-home/sign-in/") == 2
    assert "Consultation" not in message.subject  # discreet, like every e-mail


def test_links_asked_are_limited_per_address_whoever_asks(world, settings):
    settings.PATIENT_SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR = 2
    settings.PATIENT_SIGN_IN_LINKS_PER_HOUR = 100
    for email in (world.patient.email, "nobody-here@example.com"):
        statuses = [
            Client(REMOTE_ADDR=f"10.0.0.{n}").post(SIGN_IN, {"email": email}).status_code
            for n in range(3)
        ]
        assert statuses == [302, 302, 429], email


def test_links_asked_are_limited_per_client_address(client, world, settings):
    settings.PATIENT_SIGN_IN_LINKS_PER_HOUR = 3
    statuses = [
        client.post(SIGN_IN, {"email": f"someone{n}@example.com"}).status_code for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    page = client.post(SIGN_IN, {"email": world.patient.email})
    assert page.status_code == 429 and "Please try again later" in page.content.decode()
    assert Client(REMOTE_ADDR="10.9.9.9").post(SIGN_IN, {"email": "x@example.com"}).status_code == (
        302
    )


def test_a_bad_address_is_refused_with_the_typing_kept(client, world):
    page = client.post(SIGN_IN, {"email": "not an <b>address"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "Enter a valid email address." in html and "not an &lt;b&gt;address" in html


# The home


def test_home_shows_the_patients_own_bookings_and_nobody_elses(client, world):
    home_signed_in(client, world.patient)
    html = client.get(HOME).content.decode()
    for booking in (world.upcoming, world.past, world.cancelled):
        assert reverse("bookings:manage", args=[booking.token]) in html
    assert reverse("bookings:cancel", args=[world.upcoming.token]) in html
    assert reverse("bookings:cancel", args=[world.past.token]) not in html
    assert "Your answers are in" in html
    assert "Your crown is thinning." in html
    assert world.other.token not in html and "Quillfeather" not in html


@pytest.mark.django_db  # in the test's transaction: the session's save is a savepoint
def test_home_runs_the_same_queries_however_many_bookings(client, world, django_assert_num_queries):
    open_link(client, reverse("bookings:home_open", args=[sign_in_token(world.patient)]))
    # The session, the patient, their bookings (with type, place, practitioner, answers and
    # assessment), their treatment plans, the photo consent, the erasure request; then the
    # session kept going (savepoint, update, release).
    with django_assert_num_queries(9):
        assert client.get(HOME).status_code == 200
    for days in (11, 13, 15, -40, -60):
        BookingFactory(
            patient=world.patient,
            practitioner=world.practitioner,
            consultation_type=world.consultation_type,
            location=world.location,
            starts_at=next_slot(days=days),
            status=Booking.Status.COMPLETED if days < 0 else Booking.Status.CONFIRMED,
        )
    with django_assert_num_queries(9):
        html = client.get(HOME).content.decode()
    assert html.count("home-booking") == 8


def test_a_summary_reaches_the_patient_only_once_the_consultation_is_completed(client, world):
    AssessmentFactory(
        booking=world.upcoming, signed_off_at=timezone.now(), patient_summary="Tablets suit you."
    )
    home_signed_in(client, world.patient)
    manage = reverse("bookings:manage", args=[world.upcoming.token])
    assert "Tablets suit you." not in client.get(HOME).content.decode()
    assert "Tablets suit you." not in client.get(manage).content.decode()
    Booking.objects.filter(pk=world.upcoming.pk).update(status=Booking.Status.COMPLETED)
    assert "Tablets suit you." in client.get(HOME).content.decode()
    assert "Tablets suit you." in client.get(manage).content.decode()


def test_a_booking_is_cancelled_from_home_through_its_own_page(client, world):
    home_signed_in(client, world.patient)
    cancel = reverse("bookings:cancel", args=[world.upcoming.token])
    assert cancel in client.get(HOME).content.decode()
    client.post(cancel, {"reason": ""})
    world.upcoming.refresh_from_db()
    assert world.upcoming.status == Booking.Status.CANCELLED
    assert cancel not in client.get(HOME).content.decode()


def test_a_procedure_is_not_moved_from_home(client, world):
    world.consultation_type.kind = world.consultation_type.Kind.PROCEDURE
    world.consultation_type.intake_required = False
    world.consultation_type.save()
    home_signed_in(client, world.patient)
    html = client.get(HOME).content.decode()
    assert reverse("bookings:reschedule", args=[world.upcoming.token]) not in html
    assert reverse("bookings:cancel", args=[world.upcoming.token]) in html


def test_signing_out_ends_the_session(client, world):
    home_signed_in(client, world.patient)
    assert client.post(reverse("bookings:home_sign_out"))["Location"] == SIGN_IN
    assert client.get(HOME)["Location"] == SIGN_IN


def test_the_session_ends_after_idle_minutes_and_at_most_hours(client, world, settings):
    settings.PATIENT_HOME_IDLE_MINUTES = 30
    settings.PATIENT_HOME_MAX_HOURS = 2
    with time_machine.travel(timezone.now(), tick=False) as clock:
        home_signed_in(client, world.patient)
        for _ in range(4):  # used every 25 minutes: kept, until two hours in all
            clock.shift(timedelta(minutes=25))
            assert client.get(HOME).status_code == 200
        clock.shift(timedelta(minutes=25))
        assert client.get(HOME).status_code == 302
        home_signed_in(client, world.patient)
        clock.shift(timedelta(minutes=31))
        assert client.get(HOME).status_code == 302


def test_an_erased_patient_is_signed_out(client, world):
    home_signed_in(client, world.patient)
    Patient.objects.filter(pk=world.patient.pk).update(erased_at=timezone.now())
    assert client.get(HOME).status_code == 302


def test_every_home_page_refuses_a_visitor_not_signed_in(world):
    for name in ("home", "home_details", "home_erase"):
        assert Client().get(reverse(f"bookings:{name}"))["Location"] == SIGN_IN
    for name in ("home_photos", "home_export", "home_erase", "home_details"):
        assert Client().post(reverse(f"bookings:{name}"), {})["Location"] == SIGN_IN
    assert not ErasureRequest.objects.exists()


def test_home_forms_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    assert client.post(SIGN_IN, {"email": world.patient.email}).status_code == 403
    assert client.post(reverse("bookings:home_open", args=["x"])).status_code == 403


# Details


def details_form(patient, **changes):
    return {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "email": patient.email,
        "phone": "07400 900456",
        **changes,
    }


def test_names_and_phone_change_at_once(client, world):
    home_signed_in(client, world.patient)
    url = reverse("bookings:home_details")
    client.post(url, details_form(world.patient, first_name="Ada", phone="020 7946 0000"))
    world.patient.refresh_from_db()
    assert world.patient.first_name == "Ada" and world.patient.phone.as_e164 == "+442079460000"
    assert world.patient.history.first().history_change_reason == "Changed by the patient"


def test_bad_details_come_back_with_the_typing_kept(client, world):
    home_signed_in(client, world.patient)
    url = reverse("bookings:home_details")
    page = client.post(url, details_form(world.patient, first_name="<i>Ada</i>", phone="12"))
    assert page.status_code == 400
    html = page.content.decode()
    assert "Please enter a phone number we can call" in html and "&lt;i&gt;Ada&lt;/i&gt;" in html
    world.patient.refresh_from_db()
    assert world.patient.first_name != "<i>Ada</i>"


def test_a_new_email_address_is_used_only_once_confirmed_by_a_link_sent_to_it(client, world):
    home_signed_in(client, world.patient)
    old = world.patient.email
    mail.outbox.clear()
    client.post(reverse("bookings:home_details"), details_form(world.patient, email="New@Ex.com"))
    world.patient.refresh_from_db()
    assert world.patient.email == old and world.patient.pending_email == "new@ex.com"
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([old, "new@ex.com"])
    link = link_in_outbox(mail.outbox, "bookings:home_email", to="new@ex.com")
    # Sign-in links go to the old address until then, and none to the new.
    assert Patient.objects.filter(email__iexact="new@ex.com").count() == 0
    page = Client().get(link)
    assert "new@ex.com" in page.content.decode()
    assert Client().post(link).status_code == 302
    world.patient.refresh_from_db()
    assert world.patient.email == "new@ex.com" and world.patient.pending_email == ""
    refused = Client().post(link)  # once
    assert refused.status_code == 410 and "confirm a new e-mail address" in refused.content.decode()
    # Opened again where the patient is signed in, it says the change is done.
    again = client.get(link, follow=True).content.decode()
    assert "That link no longer works. Your e-mail address is new@ex.com." in again


def test_a_later_address_voids_the_link_for_an_earlier_one(client, world):
    home_signed_in(client, world.patient)
    url = reverse("bookings:home_details")
    client.post(url, details_form(world.patient, email="typo@exmaple.com"))
    world.patient.refresh_from_db()
    typo_link = reverse("bookings:home_email", args=[email_change_token(world.patient)])
    client.post(url, details_form(world.patient, email="right@example.com"))
    assert Client().post(typo_link).status_code == 410
    # Opened where the patient is signed in, it says the newer change still waits.
    page = client.get(typo_link, follow=True).content.decode()
    assert "the change to right@example.com waits for its newest link" in page
    world.patient.refresh_from_db()
    assert world.patient.pending_email == "right@example.com"


def test_an_email_change_voids_sign_in_links_sent_to_the_old_address(client, world):
    link = reverse("bookings:home_open", args=[sign_in_token(world.patient)])
    world.patient.pending_email = "new@example.com"
    world.patient.save()
    confirm = reverse("bookings:home_email", args=[email_change_token(world.patient)])
    assert client.post(confirm).status_code == 302
    assert Client().get(link).status_code == 410


# Photo consent, data, erasure


def test_photo_consent_is_given_and_withdrawn_with_its_history(client, world):
    home_signed_in(client, world.patient)
    url = reverse("bookings:home_photos")
    assert "You have not agreed" in client.get(HOME).content.decode()
    client.post(url, {"photo_consent": "give"})
    client.post(url, {"photo_consent": "give"})  # a second click changes nothing
    assert "If you withdraw" in client.get(HOME).content.decode()
    client.post(url, {"photo_consent": "withdraw"})
    client.post(url, {"photo_consent": "give"})
    rows = list(Consent.objects.filter(patient=world.patient, kind=Consent.Kind.PHOTOS_BEYOND_CARE))
    assert len(rows) == 2 and rows[0].withdrawn_at is not None and rows[1].withdrawn_at is None
    assert rows[0].booking is None and rows[0].text_version


def test_the_patient_downloads_their_own_data(client, world):
    home_signed_in(client, world.patient)
    response = client.post(reverse("bookings:home_export"))
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        document = json.loads(archive.read("patient.json"))
    assert document["patient"]["email"] == world.patient.email
    assert len(document["bookings"]) == 3
    assert "Quillfeather" not in json.dumps(document)


def test_a_request_to_erase_is_recorded_once_and_told_to_the_clinic(client, world, settings):
    home_signed_in(client, world.patient)
    mail.outbox.clear()
    url = reverse("bookings:home_erase")
    page = client.get(url).content.decode()
    assert "Ask to erase my data" in page and "Asking erases nothing at once" in page
    client.post(url)
    client.post(url)
    run_worker()
    request = ErasureRequest.objects.get(patient=world.patient)
    # The clinic is told, and the patient that their request arrived and what happens next.
    assert [m.to for m in mail.outbox] == [[settings.CLINIC_INBOX_EMAIL], [world.patient.email]]
    assert reverse("staff:patient", args=[world.patient.pk]) in mail.outbox[0].body
    assert "Nothing is erased yet" in mail.outbox[1].body
    assert f"{request.requested_at:%-d %B %Y}" in client.get(HOME).content.decode()
    world.patient.refresh_from_db()
    assert world.patient.erased_at is None  # the clinic erases, after its checks


def test_the_clinic_is_told_of_other_records_sharing_the_address(client, world, settings):
    namesake = PatientFactory(first_name="Zoe", email=world.patient.email.upper())
    home_signed_in(client, world.patient)
    mail.outbox.clear()
    client.post(reverse("bookings:home_erase"))
    run_worker()
    notice = next(m for m in mail.outbox if m.to == [settings.CLINIC_INBOX_EMAIL])
    assert "Other records with the same e-mail address" in notice.body
    assert reverse("staff:patient", args=[namesake.pk]) in notice.body
    assert reverse("staff:patient", args=[world.other.patient.pk]) not in notice.body


def test_booking_emails_lead_to_the_home(world):
    from bookings import notifications

    notifications.send_patient_email(world.upcoming, "confirmed")
    assert "/my-home/sign-in/" in mail.outbox[-1].body
    html = mail.outbox[-1].alternatives[0][0]
    assert "/my-home/sign-in/" in html


@pytest.mark.django_db  # in the test's transaction, as the other count
def test_home_links_each_treatment_plan_in_two_queries_however_many(
    client, treatments_setup, django_assert_num_queries
):
    consultation = treatments_setup["consultation"]
    first = proposed_plan(consultation)
    plan_decline(plan=first, reason="Too soon.")
    proposed_plan(consultation)  # a newer plan of the same consultation: one link, to it
    open_link(client, reverse("bookings:home_open", args=[sign_in_token(consultation.patient)]))
    html = client.get(HOME).content.decode()
    plan_page = reverse("treatments:plan", args=[consultation.token])
    assert html.count(plan_page) == 1 and "Your treatment plans" in html
    later = completed_consultation(
        treatments_setup["location"],
        treatments_setup["practitioners"][0],
        treatments_setup["type"],
        days_ago=5,  # another day: the practitioner's times never overlap
    )
    Booking.objects.filter(pk=later.pk).update(patient=consultation.patient)
    later.refresh_from_db()
    proposed_plan(later)
    # Any home's nine, and the plans' steps (when the next visit is to be booked).
    with django_assert_num_queries(10):
        html = client.get(HOME).content.decode()
    assert reverse("treatments:plan", args=[later.token]) in html


def test_home_links_the_progress_page_once_a_visit_is_shared(client, world):
    """The booking page offered the patient's progress; their home, where they look first, did
    not."""
    from tests.factories import past_visit

    open_link(client, reverse("bookings:home_open", args=[sign_in_token(world.patient)]))
    visit = {k: getattr(world, k) for k in ("practitioner", "location", "consultation_type")}
    unshared = past_visit(world.patient, days_ago=40, stage="nw3", **visit)
    unshared.measures.shared_with_patient = False
    unshared.measures.save()
    assert "See your progress" not in client.get(HOME).content.decode()
    shared = past_visit(world.patient, days_ago=30, stage="nw3", **visit)
    shared.measures.shared_with_patient = True
    shared.measures.save()
    html = client.get(HOME).content.decode()
    assert f'href="{reverse("bookings:progress", args=[shared.token])}"' in html


def test_home_links_no_progress_for_a_rating_of_a_cancelled_booking(client, world):
    """The progress page leaves out a cancelled booking's rating, so the home does not send the
    patient there for it."""
    open_link(client, reverse("bookings:home_open", args=[sign_in_token(world.patient)]))
    self_rating(world.cancelled, 6)
    assert "See your progress" not in client.get(HOME).content.decode()
    self_rating(world.past, 5)
    html = client.get(HOME).content.decode()
    assert f'href="{reverse("bookings:progress", args=[world.past.token])}"' in html
    assert reverse("bookings:progress", args=[world.cancelled.token]) not in html


def test_home_says_when_a_plan_s_next_visit_is_to_be_booked(client, treatments_setup):
    """With nothing booked, the home said "Nothing booked. Book a consultation" while the
    patient's plan had a visit waiting to be booked: it now names the visit's window."""
    from tests.factories import accepted_plan
    from treatments.models import Plan

    consultation = treatments_setup["consultation"]
    plan = accepted_plan(consultation)
    # The plan's dates from its location's today, as the home reads them.
    today = timezone.now().astimezone(plan.location.zone).date()
    Plan.objects.filter(pk=plan.pk).update(starts_on=today + timedelta(days=1))
    open_link(client, reverse("bookings:home_open", args=[sign_in_token(consultation.patient)]))
    html = client.get(HOME).content.decode()
    tomorrow = (today + timedelta(days=1)).strftime("%-d %B %Y")
    assert f"Accepted · next visit to book from {tomorrow}" in html
    assert "Nothing booked. <a" in html  # not yet: nothing to do now

    Plan.objects.filter(pk=plan.pk).update(starts_on=today - timedelta(days=2))
    html = client.get(HOME).content.decode()
    by = (today + timedelta(days=26)).strftime("%-d %B %Y")
    assert f"Accepted · a visit to book now, by {by}" in html
    assert "Nothing booked yet: your treatment plan has a visit for you to book" in html

    Plan.objects.filter(pk=plan.pk).update(starts_on=today - timedelta(days=60))
    html = client.get(HOME).content.decode()
    assert "a visit to book: it was due by" in html
