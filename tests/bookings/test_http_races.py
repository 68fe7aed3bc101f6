"""Fifty patients confirming at the same instant, through the real HTTP server.

Each patient is a separate browser session (its own cookies and CSRF token) that has filled in
the form and reached the review page. Their TCP connections are opened first, then a barrier
releases all fifty confirm requests at once, so that the server really receives them together.
"""

import html
import logging
from datetime import datetime, time, timedelta
from itertools import pairwise
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.utils import timezone

from bookings.models import Booking, BookingDraft
from bookings.refusals import TAKEN_MESSAGE
from patients.models import Consent, HairLossIntake, Patient
from tests.factories import HttpBrowser, all_at_once, bookable_clinic, details_url, valid_form

PATIENTS = 50

pytestmark = [
    pytest.mark.race,
    pytest.mark.django_db(transaction=True),
    # Fifty submissions from one address in a few seconds: far over the hourly limits.
    pytest.mark.usefixtures("_no_rate_limits"),
]


@pytest.fixture
def _no_rate_limits():
    with override_settings(BOOKING_SUBMISSIONS_PER_HOUR=100_000):
        yield


class ServerLog(logging.Handler):
    """Every record logged while the server handles the race, from any of its threads."""

    # "django.server" does not propagate to the root logger, so it is watched on its own.
    WATCHED = ("", "django", "django.server")

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = {}

    def emit(self, record):
        self.records[id(record)] = record

    def __enter__(self):
        for name in self.WATCHED:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc):
        for name in self.WATCHED:
            logging.getLogger(name).removeHandler(self)

    def lines(self):
        formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
        return [formatter.format(record) for record in self.records.values()]

    def errors(self):
        return [r for r in self.records.values() if r.levelno >= logging.ERROR]


def confirm_all_at_once(browsers, reviews):
    """Release every browser's confirm POST at the same instant; return each (status, ...)."""
    # Each browser connects before the barrier: the server has accepted every connection, so
    # no request waits in the listen queue while the others are served.
    outcomes = all_at_once(
        len(browsers),
        lambda index, connection: browsers[index].send(connection, "POST", reviews[index], {}),
        prepare=lambda index: browsers[index].connect(),
        timeout=180,
    )
    failed = [o for o in outcomes if isinstance(o, Exception)]
    assert not failed, f"requests failed without a response: {failed!r}"
    return outcomes


def patient_form(number):
    return valid_form(first_name=f"Patient{number}", email=f"patient{number}@example.com")


def local_slots(location, count):
    """``count`` back-to-back 30-minute slots from 09:00 local time three days ahead, 16 a day
    (the practitioner works 09:00–17:00), computed in the clinic's zone so that daylight
    saving cannot push one outside the hours."""
    first_day = timezone.now().astimezone(location.zone).date() + timedelta(days=3)
    slots = []
    for number in range(count):
        day = first_day + timedelta(days=number // 16)
        start = datetime.combine(day, time(9), tzinfo=location.zone)
        slots.append(start + timedelta(minutes=30 * (number % 16)))
    return slots


def widen_backlog(live_server):
    """Let the live server queue fifty connections at once, as gunicorn does (backlog 2048).

    Django's development server listens with a backlog of 10 (``request_queue_size``). Fifty
    connections opened in the same instant overflow it, and the kernel then resets some of them
    before the server has seen them: a limit of the test server, not of the app. Calling
    ``listen`` again on the listening socket raises the backlog in place.
    """
    live_server.thread.httpd.socket.listen(PATIENTS * 2)


def prepare(live_server, consultation_type, location, starts):
    """One browser per start, each at the review page with its own patient's answers."""
    widen_backlog(live_server)
    browsers, reviews = [], []
    for number, start in enumerate(starts):
        browser = HttpBrowser(urlsplit(live_server.url).port)
        path = details_url(consultation_type, location, start)
        reviews.append(browser.reach_review(path, patient_form(number)))
        browsers.append(browser)
    assert BookingDraft.objects.filter(booking__isnull=True).count() == len(starts)
    return browsers, reviews


def assert_clean_log(log):
    lines = log.lines()
    assert not [line for line in lines if "deadlock" in line.lower()], lines
    assert not [line for line in lines if "database is locked" in line.lower()], lines
    assert not log.errors(), lines


def test_fifty_patients_confirming_the_same_slot_get_one_booking_and_49_taken_pages(
    live_server,
):
    location, (practitioner,), consultation_type = bookable_clinic()
    start = local_slots(location, 1)[0]
    browsers, reviews = prepare(live_server, consultation_type, location, [start] * PATIENTS)

    with ServerLog() as log:
        outcomes = confirm_all_at_once(browsers, reviews)

    statuses = sorted(status for status, _, _ in outcomes)
    assert not [s for s in statuses if s >= 500], statuses
    winners = [o for o in outcomes if o[0] == 302]
    refused = [o for o in outcomes if o[0] != 302]
    assert len(winners) == 1, statuses
    assert winners[0][1].endswith("/done/")
    # The others see the review page again, kept filled in, with the friendly refusal and
    # the nearest free times (409 Conflict, as the flow does for one patient too).
    assert len(refused) == PATIENTS - 1
    assert {status for status, _, _ in refused} == {409}, statuses
    for _, _, page in refused:
        assert html.escape(TAKEN_MESSAGE) in page
        assert "Everything you typed is kept" in page
    assert_clean_log(log)
    # The log was listening: Django reported each refusal as a 409 from the server threads.
    conflicts = [r for r in log.records.values() if r.name == "django.request"]
    assert len(conflicts) == PATIENTS - 1 and all(r.status_code == 409 for r in conflicts)

    # Exactly one booking and one set of records behind it: nothing half-written for the 49.
    booking = Booking.objects.get()
    assert booking.starts_at == start and booking.practitioner == practitioner
    assert Patient.objects.count() == 1
    assert Consent.objects.get().booking == booking
    assert not HairLossIntake.objects.exists()  # the questions come after booking
    # Every refused patient's answers are still in their draft, ready for another time.
    waiting = BookingDraft.objects.filter(booking__isnull=True)
    assert waiting.count() == PATIENTS - 1
    kept = {draft.form_data["first_name"][0] for draft in waiting}
    assert kept | {Patient.objects.get().first_name} == {f"Patient{n}" for n in range(PATIENTS)}


def test_fifty_patients_confirming_fifty_different_slots_get_fifty_bookings(live_server):
    location, (practitioner,), consultation_type = bookable_clinic()
    starts = local_slots(location, PATIENTS)
    browsers, reviews = prepare(live_server, consultation_type, location, starts)

    with ServerLog() as log:
        outcomes = confirm_all_at_once(browsers, reviews)

    statuses = sorted(status for status, _, _ in outcomes)
    assert statuses == [302] * PATIENTS, statuses
    for (_, location_header, _), review in zip(outcomes, reviews, strict=True):
        assert location_header == review.replace("/review/", "/done/")
    assert_clean_log(log)

    bookings = list(Booking.objects.order_by("starts_at"))
    assert [b.starts_at for b in bookings] == sorted(starts)
    assert {b.patient.email for b in bookings} == {
        f"patient{n}@example.com" for n in range(PATIENTS)
    }
    assert all(b.practitioner == practitioner for b in bookings)
    for earlier, later in pairwise(bookings):
        assert earlier.blocked_until <= later.blocked_from
    assert Consent.objects.count() == PATIENTS
    assert not BookingDraft.objects.filter(booking__isnull=True).exists()
