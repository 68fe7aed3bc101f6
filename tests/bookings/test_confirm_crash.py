"""Nothing lost after a kill -9 during confirms: a worker confirming booking forms is really
killed, again and again.

A separate Python process, set up like an app server, confirms one prepared booking form after
another (what the review page's Confirm button does), and is killed with SIGKILL at an unplanned
moment. Afterwards each form is either still a form, with the details typed, or a booking with
its patient and consents: a confirm is all or nothing. (Photos come after booking, with the
intake: tests/patients/test_photo_crash.py kills a worker while it saves them.)
"""

import pytest
from django.http import QueryDict

from bookings.drafts import draft_create, draft_save, typed_answers
from bookings.models import Booking, BookingDraft
from patients.models import Consent
from tests.factories import (
    bookable_clinic,
    kill_mid_way,
    next_slot,
    start_django_process,
    valid_form,
)

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

KILLS = 3
FORMS_PER_WORKER = 8

# The worker: confirm each booking form named on the command line, saying when each is done.
WORKER = """
import sys
import django

django.setup()
from bookings.drafts import draft_confirm
from bookings.models import BookingDraft

for done, pk in enumerate(sys.argv[1].split(","), start=1):
    draft_confirm(draft=BookingDraft.objects.get(pk=int(pk)))
    print(done, flush=True)
"""


def prepared_forms(count, clinic):
    """``count`` filled-in booking forms, each for its own time."""
    location, _, consultation_type = clinic
    forms = []
    for number in range(count):
        # Between 10:00 and 14:00 UTC: inside the 09:00–17:00 hours in London all year.
        start = next_slot(days=1 + number // 4, hour=10 + number % 4)
        draft = draft_create(
            consultation_type=consultation_type,
            location=location,
            practitioner=None,
            starts_at=start,
        )
        answers = QueryDict(mutable=True)
        for name, value in valid_form(
            first_name=f"Patient{number}", email=f"patient{number}@example.com"
        ).items():
            answers.setlist(name, value if isinstance(value, list) else [value])
        draft_save(draft=draft, form_data=typed_answers(answers))
        forms.append(draft)
    return forms


def test_killing_a_worker_while_it_confirms_loses_nothing(tmp_path):
    clinic = bookable_clinic()
    forms = prepared_forms(KILLS * FORMS_PER_WORKER, clinic)

    for kill in range(KILLS):
        batch = forms[kill * FORMS_PER_WORKER : (kill + 1) * FORMS_PER_WORKER]
        log_path = tmp_path / f"worker-{kill}.log"
        with log_path.open("w") as log:
            worker = start_django_process(WORKER, [",".join(str(d.pk) for d in batch)], log)
            try:
                kill_mid_way(worker, rounds=2 + kill, log_path=log_path)
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
                worker.stdout.close()

    confirmed = 0
    for form in BookingDraft.objects.filter(pk__in=[d.pk for d in forms]):
        if form.booking_id is None:
            # Not confirmed: the patient can still confirm it, nothing missing.
            assert form.form_data["first_name"]
            continue
        confirmed += 1
        booking = Booking.objects.get(pk=form.booking_id)
        assert Consent.objects.filter(booking=booking).count() == 1
        assert form.form_data == {}
    # Each worker confirmed at least the rounds it reported before it was killed.
    assert confirmed >= sum(2 + kill for kill in range(KILLS))
    # No booking without its consent: a confirm is all or nothing.
    assert not Booking.objects.filter(consents__isnull=True).exists()
    assert Booking.objects.count() == confirmed
