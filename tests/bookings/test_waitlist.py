"""The waitlist: joining where no time suits, offers of freed times in order, claiming through
booking_create, the others told it has gone, leaving, expiry, and the paths that free a time."""

import io
import json
import re
import zipfile
from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, Closure, WaitlistEntry, WaitlistOffer, WaitlistOpening
from bookings.privacy import patient_erase, patient_export
from bookings.services import BookingError, booking_cancel, booking_create, booking_reschedule
from bookings.waitlist import waitlist_claim, waitlist_join
from patients.models import Consent, Patient
from tests.factories import PatientFactory, bookable_clinic, next_slot, run_worker

CLAIM_LINK = re.compile(r"/waitlist/offer/([\w-]+)/")


def join(location, consultation_type, name, practitioner=None, first=None, last=None):
    today = timezone.now().astimezone(location.zone).date()
    return waitlist_join(
        consultation_type=consultation_type,
        location=location,
        practitioner=practitioner,
        first_day=first or today,
        last_day=last or today + timedelta(days=20),
        first_name=name,
        last_name="Waiting",
        email=f"{name.lower()}@example.com",
    )


def booked(location, consultation_type, start, practitioner=None):
    return booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        practitioner=practitioner,
        notify=False,
    )


def offers_mailed():
    return [m for m in mail.outbox if m.subject.startswith("A time has come free")]


def claim_details(**overrides):
    return {
        "phone": "020 7946 0000",
        "date_of_birth_0": "7",
        "date_of_birth_1": "3",
        "date_of_birth_2": "1985",
        **overrides,
    }


@pytest.mark.django_db
def test_join_page_keeps_the_typing_and_explains_bad_dates(client):
    location, _, consultation_type = bookable_clinic()
    url = reverse("bookings:waitlist", args=[consultation_type.slug])
    page = client.get(url, {"location": location.pk})
    assert page.status_code == 200 and b"Tell me when a time frees up" in page.content
    today = timezone.now().astimezone(location.zone).date()
    response = client.post(
        url,
        {
            "location": location.pk,
            "practitioner": "any",
            "first_day": (today + timedelta(days=5)).isoformat(),
            "last_day": (today + timedelta(days=2)).isoformat(),
            "first_name": "<b>Ada</b>",
            "last_name": "Lovelace",
            "email": "ada@example.com",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "The last day must be on or after the first." in content
    assert "Please tick to agree" in content
    assert 'value="&lt;b&gt;Ada&lt;/b&gt;"' in content and "<b>Ada</b>" not in content
    assert 'value="ada@example.com"' in content
    assert not WaitlistEntry.objects.exists()


@pytest.mark.django_db
def test_a_paused_connection_gets_the_form_back_with_its_typing(client, settings):
    settings.BOOKING_SUBMISSIONS_PER_HOUR = 0
    location, _, consultation_type = bookable_clinic()
    url = reverse("bookings:waitlist", args=[consultation_type.slug])
    response = client.post(
        url, {"location": location.pk, "practitioner": "any", "first_name": "Ada"}
    )
    assert response.status_code == 429
    page = response.content.decode()
    assert "this form cannot be sent just now" in page and 'value="Ada"' in page
    assert "finish your booking" not in page
    assert not WaitlistEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_joining_stores_the_wish_and_mails_the_entry_link_after_commit(client):
    location, (practitioner,), consultation_type = bookable_clinic()
    location.phone = "+971 4 555 0142"  # its own number, not the clinic's
    location.save()
    today = timezone.now().astimezone(location.zone).date()
    response = client.post(
        reverse("bookings:waitlist", args=[consultation_type.slug]),
        {
            "location": location.pk,
            "practitioner": practitioner.pk,
            "first_day": today.isoformat(),
            "last_day": (today + timedelta(days=10)).isoformat(),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "Ada@Example.com",
            "consent_care": "on",
        },
    )
    entry = WaitlistEntry.objects.get()
    assert response.url == reverse("bookings:waitlist_entry", args=[entry.token])
    assert entry.practitioner == practitioner and entry.email == "ada@example.com"
    assert entry.consent_version and entry.last_day == today + timedelta(days=10)
    run_worker()
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"] and entry.token in message.body
    assert "+971 4 555 0142" in message.body
    assert consultation_type.name not in message.subject + message.body  # discreet
    page = client.get(response.url)
    assert b"Your place on the waitlist" in page.content


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_time_is_offered_to_matching_entries_oldest_first():
    location, (first, second), consultation_type = bookable_clinic(practitioners=2)
    start = next_slot(days=4)
    booking = booked(location, consultation_type, start, practitioner=first)
    day = start.astimezone(location.zone).date()
    oldest = join(location, consultation_type, "Oldest")
    with_first = join(location, consultation_type, "Mine", practitioner=first)
    join(location, consultation_type, "Other", practitioner=second)  # another practitioner
    join(location, consultation_type, "Later", first=day + timedelta(days=1))  # range after
    join(location, consultation_type, "Before", last=day - timedelta(days=1))  # range before
    run_worker()
    mail.outbox.clear()

    booking_cancel(booking=booking)
    run_worker()
    offers = offers_mailed()
    assert [m.to for m in offers] == [[oldest.email], [with_first.email]]
    assert all(consultation_type.name not in m.subject + m.body for m in offers)
    opening = WaitlistOpening.objects.get()
    assert (opening.starts_at, opening.practitioner) == (start, first)
    run_worker()  # a task run again offers nothing twice
    assert len(offers_mailed()) == 2 and WaitlistOffer.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_first_claim_books_and_the_next_is_told_it_has_gone(client):
    location, _, consultation_type = bookable_clinic()
    start = next_slot(days=4)
    booking = booked(location, consultation_type, start)
    join(location, consultation_type, "Ada")
    join(location, consultation_type, "Grace")
    booking_cancel(booking=booking)
    run_worker()
    ada_link, grace_link = (CLAIM_LINK.search(m.body).group(0) for m in offers_mailed())

    page = client.get(ada_link)
    assert page.status_code == 200 and b"A time has come free" in page.content
    wrong = client.post(ada_link, claim_details(date_of_birth_2="19x5"))
    assert wrong.status_code == 400 and b"020 7946 0000" in wrong.content
    response = client.post(ada_link, claim_details())
    claimed = Booking.objects.get(status="confirmed")
    assert response.url == reverse("bookings:manage", args=[claimed.token])
    assert claimed.starts_at == start and claimed.patient.email == "ada@example.com"
    assert claimed.patient.date_of_birth == date(1985, 3, 7)
    assert Consent.objects.filter(booking=claimed).exists()
    run_worker()
    assert any(m.subject.startswith("Booked:") for m in mail.outbox)  # booking_create's e-mail

    patients = Patient.objects.count()
    gone = client.post(grace_link, claim_details())
    assert gone.status_code == 409
    assert b"Sorry, this time has gone" in gone.content
    assert b"Nothing has been booked for you" in gone.content
    assert Patient.objects.count() == patients  # nothing half-written
    assert b"Sorry, this time has gone" in client.get(grace_link).content
    assert b"This time is yours" in client.get(ada_link).content


@pytest.mark.django_db(transaction=True)
def test_a_move_frees_the_old_time_and_an_erasure_its_future_bookings():
    location, _, consultation_type = bookable_clinic()
    start = next_slot(days=4)
    moved = booked(location, consultation_type, start)
    erased = booked(location, consultation_type, start + timedelta(hours=3))
    join(location, consultation_type, "Ada")
    booking_reschedule(booking=moved, starts_at=start + timedelta(hours=1), notify=False)
    patient_erase(patient=erased.patient)
    run_worker()
    offered = sorted(WaitlistOpening.objects.values_list("starts_at", flat=True))
    assert offered == [start, start + timedelta(hours=3)]
    assert len(offers_mailed()) == 2


@pytest.mark.django_db(transaction=True)
def test_a_time_booked_meanwhile_or_too_soon_is_not_offered():
    location, _, consultation_type = bookable_clinic()
    consultation_type.min_notice_hours = 72
    consultation_type.save()
    start = next_slot(days=5)
    cancelled = booked(location, consultation_type, start)
    join(location, consultation_type, "Ada")
    booking_cancel(booking=cancelled, notify=False)
    booked(location, consultation_type, start)  # booked again before the task runs
    # Booked by staff inside the online notice, then cancelled: too soon to book online.
    soon = booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=1, hour=12),
        by_staff=True,
        notify=False,
    )
    booking_cancel(booking=soon, by_staff=True, notify=False)
    run_worker()
    assert offers_mailed() == [] and not WaitlistOpening.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_leaving_deletes_the_entry_and_an_ended_entry_is_offered_nothing(client):
    location, _, consultation_type = bookable_clinic()
    entry = join(location, consultation_type, "Ada")
    response = client.post(reverse("bookings:waitlist_leave", args=[entry.token]))
    assert response.status_code == 200 and b"You have left the waitlist" in response.content
    # Joining twice is two places (the address was not proven): the page says so, rather
    # than that nothing more will come.
    assert b"each place has its own link" in response.content
    assert not WaitlistEntry.objects.exists()
    gone = client.get(reverse("bookings:waitlist_entry", args=[entry.token]))
    # The link again, from the e-mail: it says the place has ended, not just "not found".
    assert gone.status_code == 404 and b"This waitlist link no longer works" in gone.content
    start = next_slot(days=6)
    booking = booked(location, consultation_type, start)
    day = start.astimezone(location.zone).date()
    join(
        location,
        consultation_type,
        "Ended",
        first=day - timedelta(days=3),
        last=day - timedelta(days=1),
    )
    booking_cancel(booking=booking)
    run_worker()
    assert offers_mailed() == []


@pytest.mark.django_db(transaction=True)
def test_a_claim_after_the_range_ended_or_after_leaving_is_refused():
    location, _, consultation_type = bookable_clinic()
    start = next_slot(days=4)
    booking = booked(location, consultation_type, start)
    entry = join(location, consultation_type, "Ada")
    booking_cancel(booking=booking)
    run_worker()
    offer = WaitlistOffer.objects.get()
    later = timezone.now() + timedelta(days=30)
    with pytest.raises(BookingError, match="ended"):
        waitlist_claim(
            offer=offer, phone="+442079460000", date_of_birth=date(1985, 3, 7), now=later
        )
    entry.delete()
    with pytest.raises(BookingError, match="left the waitlist"):
        waitlist_claim(offer=offer, phone="+442079460000", date_of_birth=date(1985, 3, 7))
    assert not Booking.objects.filter(status="confirmed").exists()


@pytest.mark.django_db(transaction=True)
def test_erasure_deletes_the_waitlist_entries_and_export_lists_them():
    location, _, consultation_type = bookable_clinic()
    patient = PatientFactory(email="ada@example.com")
    join(location, consultation_type, "Ada")
    _, archive = patient_export(patient=patient)
    document = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("patient.json"))
    assert [entry["email"] for entry in document["waitlist"]] == ["ada@example.com"]
    patient_erase(patient=patient)
    assert not WaitlistEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_picker_offers_the_waitlist(client):
    _, _, consultation_type = bookable_clinic()
    page = client.get(reverse("bookings:times", args=[consultation_type.slug]))
    assert reverse("bookings:waitlist", args=[consultation_type.slug]) in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_claim_page_reads_a_fixed_number_of_queries(client, django_assert_num_queries):
    location, _, consultation_type = bookable_clinic()
    booking = booked(location, consultation_type, next_slot(days=4))
    join(location, consultation_type, "Ada")
    booking_cancel(booking=booking)
    run_worker()
    offer = WaitlistOffer.objects.get()
    url = reverse("bookings:waitlist_claim", args=[offer.token])
    client.get(url)
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_purge_deletes_only_the_entries_whose_range_ended():
    from django.core.management import call_command

    location, _, consultation_type = bookable_clinic()
    today = timezone.now().astimezone(location.zone).date()
    join(
        location,
        consultation_type,
        "Ended",
        first=today - timedelta(days=5),
        last=today - timedelta(days=1),
    )
    kept = join(location, consultation_type, "Today", first=today - timedelta(days=5), last=today)
    call_command("purge_waitlist", verbosity=0, stdout=io.StringIO())
    assert list(WaitlistEntry.objects.all()) == [kept]


@pytest.mark.django_db(transaction=True)
def test_a_patient_busy_at_that_time_is_told_so_and_the_time_stays_open():
    location, (first, second), consultation_type = bookable_clinic(practitioners=2)
    start = next_slot(days=4)
    freed = booked(location, consultation_type, start, practitioner=first)
    ada = PatientFactory(
        first_name="Ada",
        last_name="Waiting",
        email="ada@example.com",
        date_of_birth=date(1985, 3, 7),
    )
    booking_create(
        patient=ada,
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        practitioner=second,
        notify=False,
    )
    join(location, consultation_type, "Ada")
    booking_cancel(booking=freed)
    run_worker()
    offer = WaitlistOffer.objects.get()
    with pytest.raises(BookingError, match="You already have a consultation at that time"):
        waitlist_claim(offer=offer, phone="+442079460000", date_of_birth=date(1985, 3, 7))
    offer.opening.refresh_from_db()
    assert offer.opening.booking is None and ada.bookings.count() == 1


@pytest.mark.django_db
def test_joining_with_an_address_already_waiting_never_hands_over_its_entry(client):
    location, _, consultation_type = bookable_clinic()
    today = timezone.now().astimezone(location.zone).date()
    form = {
        "location": location.pk,
        "practitioner": "any",
        "first_day": today.isoformat(),
        "last_day": (today + timedelta(days=10)).isoformat(),
        "first_name": "Siobhán",
        "last_name": "D'Arcy",
        "email": "siobhan@example.com",
        "consent_care": "on",
    }
    waitlist = reverse("bookings:waitlist", args=[consultation_type.slug])
    first = client.post(waitlist, form)
    other = client.post(waitlist, {**form, "first_name": "Someone", "last_name": "Else"})
    assert first.url != other.url  # the first entry's link goes to nobody else
    original = WaitlistEntry.objects.get(token=first.url.rstrip("/").rsplit("/", 1)[1])
    assert (original.first_name, original.last_day) == ("Siobhán", today + timedelta(days=10))


@pytest.mark.django_db(transaction=True)
def test_a_time_booked_through_one_of_a_person_s_entries_is_theirs_on_the_others(client):
    location, (practitioner,), consultation_type = bookable_clinic()
    start = next_slot(days=4)
    booking = booked(location, consultation_type, start)
    first = join(location, consultation_type, "Ada")  # any practitioner
    second = join(location, consultation_type, "Ada", practitioner=practitioner)
    join(location, consultation_type, "Grace")
    booking_cancel(booking=booking)
    run_worker()
    # One offer an address, through its oldest entry.
    assert sorted(m.to[0] for m in offers_mailed()) == ["ada@example.com", "grace@example.com"]
    assert not WaitlistOffer.objects.filter(entry=second).exists()
    ada_link = CLAIM_LINK.search(
        next(m for m in offers_mailed() if m.to == ["ada@example.com"]).body
    ).group(0)
    assert client.post(ada_link, claim_details()).status_code == 302
    claimed = Booking.objects.get(status="confirmed")
    assert WaitlistEntry.objects.get(pk=first.pk).booking == claimed
    # Had the other entry been offered the same time, its page would say it is theirs.
    opening = WaitlistOpening.objects.get()
    other_offer = WaitlistOffer.objects.create(opening=opening, entry=second)
    page = client.get(reverse("bookings:waitlist_claim", args=[other_offer.token]))
    assert "This time is yours" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_someone_who_booked_from_the_waitlist_is_offered_no_more_times(client):
    location, (practitioner,), consultation_type = bookable_clinic()
    first, later = next_slot(days=4), next_slot(days=4, hour=14)
    bookings = [booked(location, consultation_type, start) for start in (first, later)]
    join(location, consultation_type, "Ada")
    join(location, consultation_type, "Ada", practitioner=practitioner)  # a second wish
    join(location, consultation_type, "Grace")
    booking_cancel(booking=bookings[0])
    run_worker()
    ada = next(m for m in offers_mailed() if m.to == ["ada@example.com"])
    assert client.post(CLAIM_LINK.search(ada.body).group(0), claim_details()).status_code == 302
    mail.outbox.clear()
    booking_cancel(booking=bookings[1])
    run_worker()
    assert [m.to for m in offers_mailed()] == [["grace@example.com"]]


@pytest.mark.django_db(transaction=True)
def test_a_time_offered_before_its_day_was_closed_is_gone_with_the_closure_named(client):
    location, _, consultation_type = bookable_clinic()
    start = next_slot(days=4)
    booking = booked(location, consultation_type, start)
    join(location, consultation_type, "Ada")
    booking_cancel(booking=booking)
    run_worker()
    link = CLAIM_LINK.search(offers_mailed()[0].body).group(0)
    day = start.astimezone(location.zone).date()
    Closure.objects.create(location=location, first_day=day, last_day=day, name="Staff training")
    said = f"{location.name} is closed on {day:%A} {day.day} {day:%B} (Staff training)"

    page = client.get(link).content.decode()
    assert "Sorry, this time has gone" in page and said in page
    assert "Book this time" not in page

    patients = Patient.objects.count()
    refused = client.post(link, claim_details())
    assert refused.status_code == 409
    assert said in refused.content.decode()
    assert b"Sorry, this time has gone" in refused.content
    assert b"Please choose another day" not in refused.content
    assert not Booking.objects.filter(status="confirmed").exists()
    assert Patient.objects.count() == patients
    assert WaitlistOffer.objects.get().entry.booking_id is None
