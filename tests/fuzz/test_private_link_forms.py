"""Fuzzing the patient's private link: cancel, move (choose and confirm), and the intake edit.

Properties, for every generated case: no server error; a refused request (4xx, or a redirect
that only explains why) leaves the booking, its intake and its photos exactly as they were;
an accepted one changes exactly what was asked, and only while the booking allows it.
"""

from datetime import timedelta
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from bookings import drafts
from bookings.forms import CancelForm
from bookings.models import Booking
from bookings.services import booking_create
from patients.forms import INTAKE_MODEL_FIELDS, IntakeForm
from patients.models import Consent, HairLossIntake, IntakePhoto, Patient
from patients.services import intake_update
from tests.factories import PatientFactory, bookable_clinic, valid_form
from tests.fuzz.hostile import (
    PHOTO_FIELDS,
    PHOTO_UPLOADS,
    TOKENS,
    FuzzTestCase,
    known_or_wild,
    local_slot,
    mutated,
    one_of_these,
    query_string,
    row_counts,
)

STATES = ("ahead", "ahead", "ahead", "inside_cutoff", "cancelled", "over", "long_over")


class PrivateLinkFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.location, (cls.practitioner,), cls.type = bookable_clinic()
        cls.booking = booking_create(
            patient=PatientFactory(email="pat@example.com"),
            consultation_type=cls.type,
            location=cls.location,
            starts_at=local_slot(cls.location, 5, 10),
            notify=False,
        )
        # Another patient's booking, at a time this one might be moved to.
        cls.other = booking_create(
            patient=PatientFactory(),
            consultation_type=cls.type,
            location=cls.location,
            starts_at=local_slot(cls.location, 6, 11),
            notify=False,
        )

    def put_in_state(self, state):
        """Move the booking into ``state`` (inside this example's transaction only)."""
        now = timezone.now()
        starts = {
            "ahead": self.booking.starts_at,
            "inside_cutoff": now + timedelta(hours=3),
            "cancelled": self.booking.starts_at,
            "over": now - timedelta(hours=1),
            "long_over": now - timedelta(days=60),
        }[state]
        Booking.objects.filter(pk=self.booking.pk).update(
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            blocked_from=starts,
            blocked_until=starts + timedelta(minutes=30),
            status=Booking.Status.CANCELLED if state == "cancelled" else Booking.Status.CONFIRMED,
            cancelled_at=now if state == "cancelled" else None,
        )

    def draw_token(self, data):
        token = self.booking.token
        near_misses = (
            token[:-1] + ("A" if token[-1] != "A" else "B"),
            token + "x",
            token.upper(),
            self.other.token[:10],
        )
        # The real token about half the time: the other half is spent on links that open
        # nothing, which all end the same way.
        return known_or_wild(data, (token,) * 5 + near_misses, TOKENS, "token")

    def url(self, name, token):
        return reverse(f"bookings:{name}", args=["TOKEN"]).replace("TOKEN", quote(token, safe=""))


def snapshot(booking):
    """Every field of the booking a patient could change, read from the database."""
    row = Booking.objects.get(pk=booking.pk)
    return {
        "status": row.status,
        "starts_at": row.starts_at,
        "practitioner": row.practitioner_id,
        "sequence": row.sequence,
        "cancelled_at": row.cancelled_at,
        "reason": row.cancellation_reason,
    }


def intake_snapshot(booking):
    intake = HairLossIntake.objects.filter(booking=booking).first()
    if intake is None:
        return None
    fields = [*INTAKE_MODEL_FIELDS, "previous_treatments", "screening"]
    return {name: getattr(intake, name) for name in fields} | {
        "photos": sorted(intake.photos.values_list("pk", flat=True)),
    }


class CancelFuzz(PrivateLinkFuzz):
    @given(st.data())
    def test_cancel_form_cancels_only_a_changeable_booking_with_a_clean_reason(self, data):
        state = data.draw(one_of_these(STATES), label="state")
        self.put_in_state(state)
        token = self.draw_token(data)
        form = data.draw(mutated({"reason": "Feeling better"}, tamper=["start"]), label="form")
        urlencoded = data.draw(st.booleans(), label="urlencoded")
        before = snapshot(self.booking)
        counts = row_counts(Booking, Patient, HairLossIntake, Consent, IntakePhoto)

        response = self.send("post", self.url("cancel", token), form, urlencoded=urlencoded)

        status = response.status_code
        assert status in (302, 400, 404, 410), status
        assert row_counts(Booking, Patient, HairLossIntake, Consent, IntakePhoto) == counts
        after = snapshot(self.booking)
        reason_form = CancelForm(response.wsgi_request.POST)
        cancellable = token == self.booking.token and state == "ahead"
        if after != before:
            event("cancelled")
            assert status == 302 and cancellable and reason_form.is_valid()
            assert after["status"] == Booking.Status.CANCELLED
            assert after["reason"] == reason_form.cleaned_data["reason"].strip()[:500]
            assert "\x00" not in after["reason"] and len(after["reason"]) <= 500
            assert after["sequence"] == before["sequence"] + 1
            assert after["starts_at"] == before["starts_at"]
        elif cancellable and reason_form.is_valid():
            raise AssertionError("a valid cancellation of a changeable booking was not done")


class RescheduleFuzz(PrivateLinkFuzz):
    @given(st.data())
    def test_move_choose_and_confirm_move_only_to_an_offered_time(self, data):
        state = data.draw(one_of_these(STATES), label="state")
        self.put_in_state(state)
        token = self.draw_token(data)
        candidates = {
            "free": local_slot(self.location, 6, 10),
            "taken": self.other.starts_at,
            "same": self.booking.starts_at,
            "off_grid": local_slot(self.location, 6, 10, 7),
            "night": local_slot(self.location, 6, 3),
            "past": timezone.now() - timedelta(days=2),
            "beyond_horizon": timezone.now() + timedelta(days=80),
        }
        # The free time twice as often as each other: moving is the path that writes.
        kind = data.draw(one_of_these(("free", *sorted(candidates))), label="kind")
        valid = {"start": drafts.format_start(candidates[kind])}
        form = data.draw(mutated(valid, tamper=["day", "practitioner"]), label="form")
        method = data.draw(one_of_these(["get", "post", "post"]), label="method")
        before = snapshot(self.booking)
        counts = row_counts(Booking, Patient, HairLossIntake, Consent, IntakePhoto)

        if method == "get":  # the week of times, or the "Move your booking?" confirmation
            url = self.url("reschedule", token) + "?" + query_string(form)
            response = self.send("get", url)
        else:
            response = self.send("post", self.url("reschedule", token), form)

        status = response.status_code
        assert status in (200, 302, 404, 410), status
        assert row_counts(Booking, Patient, HairLossIntake, Consent, IntakePhoto) == counts
        after = snapshot(self.booking)
        if method == "get":
            assert after == before
            return
        wanted = drafts.parse_start(response.wsgi_request.POST.get("start", ""))
        movable = token == self.booking.token and state == "ahead"
        if after != before:
            event("moved")
            assert status == 302 and movable and kind == "free"
            assert response["Location"] == reverse("bookings:manage", args=[token])
            assert after["starts_at"] == wanted == candidates["free"]
            assert after["sequence"] == before["sequence"] + 1
            assert after["status"] == Booking.Status.CONFIRMED
            assert after["practitioner"] == before["practitioner"]
        elif movable and wanted == candidates["free"]:
            raise AssertionError("moving a changeable booking to a free time was refused")


class IntakeEditFuzz(PrivateLinkFuzz):
    @given(st.data())
    def test_intake_edit_saves_valid_answers_or_changes_nothing(self, data):
        state = data.draw(one_of_these(STATES), label="state")
        if data.draw(st.booleans(), label="answered before"):
            answers = IntakeForm(valid_form(goals="Answered before"))
            assert answers.is_valid()
            intake_update(
                booking=self.booking, values=answers.intake_values(), photos=[], now=timezone.now()
            )
        self.put_in_state(state)
        token = self.draw_token(data)
        tamper = [*PHOTO_FIELDS, "main_concern_detail", "tried_prp", "outcome_prp", "booking"]
        tamper += ["hair_pattern"]  # optional, and asked before the stage
        form = data.draw(mutated(valid_form(), tamper=tamper), label="form")
        files = data.draw(PHOTO_UPLOADS, label="files")
        before = intake_snapshot(self.booking)
        counts = row_counts(Booking, Patient, HairLossIntake, Consent, IntakePhoto)

        response = self.send("post", self.url("intake", token), {**form, **files})

        status = response.status_code
        assert status in (302, 400, 404, 410), status
        after = intake_snapshot(self.booking)
        editable = token == self.booking.token and state in ("ahead", "inside_cutoff")
        answers = IntakeForm(response.wsgi_request.POST)
        if after != before:
            event("answers saved")
            assert status == 302 and editable and answers.is_valid() and not files
            assert response["Location"] == reverse("bookings:manage", args=[token])
            expected = answers.intake_values()
            assert {name: after[name] for name in expected} == expected
            assert after["photos"] == (before or {}).get("photos", [])
            counts["HairLossIntake"] += before is None
            assert row_counts(Booking, Patient, HairLossIntake, Consent, IntakePhoto) == counts
        else:
            assert row_counts(Booking, Patient, HairLossIntake, Consent, IntakePhoto) == counts
            if editable and answers.is_valid() and not files:
                # Saved, but the same answers as before: nothing to see changed.
                assert status == 302 and before is not None
