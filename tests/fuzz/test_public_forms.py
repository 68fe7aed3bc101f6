"""Fuzzing the public booking flow: slot picker, details form, editing a booking in progress,
confirming, choosing a new time.

Properties, for every generated case: no server error, and nothing half-written. The details
form keeps what was typed in the patient's draft even when it is refused (by design: a failed
submit loses nothing), but it never writes a patient, booking, intake, consent or photo.
Confirming either books everything at once or writes nothing and keeps the draft as it was.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from bookings import drafts
from bookings.models import Booking, BookingDraft
from bookings.services import booking_create
from patients import choices
from patients.models import Assessment, Consent, HairLossIntake, IntakePhoto, Patient
from patients.photos import clean_photo
from patients.services import photos_store
from tests.factories import PatientFactory, bookable_clinic, details_url, jpeg_upload, valid_form
from tests.fuzz.hostile import (
    PHOTO_FIELDS,
    PHOTO_UPLOADS,
    TOKENS,
    VALUES,
    FuzzTestCase,
    known_or_wild,
    local_slot,
    mutated,
    one_of_these,
    query_string,
    row_counts,
)

# What confirming writes; nothing else in the public flow may write any of it.
BOOKING_RECORDS = (Booking, Patient, HairLossIntake, Consent, IntakePhoto, Assessment)
DETAILS_EXTRA = [
    *PHOTO_FIELDS,
    "consent_photos",
    "remove_photo",
    "main_concern_detail",
    "tried_prp",
    "outcome_prp",
    "start",
    "location",
    "practitioner",
]
SLUGS = st.one_of(st.just("initial"), st.from_regex(r"[-a-zA-Z0-9_]{1,40}", fullmatch=True))


class PublicFlowFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.location, cls.staff, cls.type = bookable_clinic(practitioners=2)
        cls.free = local_slot(cls.location, 3, 10)
        cls.taken = local_slot(cls.location, 3, 11)
        for practitioner in cls.staff:  # taken for "any practitioner" too
            booking_create(
                patient=PatientFactory(),
                consultation_type=cls.type,
                location=cls.location,
                starts_at=cls.taken,
                practitioner=practitioner,
                notify=False,
            )
        now = timezone.now()
        cls.starts = {
            "free": cls.free,
            "taken": cls.taken,
            "off_grid": cls.free + timedelta(minutes=7),
            "night": local_slot(cls.location, 3, 2),
            "past": now - timedelta(days=1),
            "too_soon": now + timedelta(hours=1),
            "beyond_horizon": now + timedelta(days=70),
        }

    def draw_start(self, data):
        kind = data.draw(one_of_these(sorted(self.starts)))
        return kind, self.starts[kind]

    def draw_practitioner(self, data):
        return data.draw(one_of_these([None, *self.staff]))

    def valid_query(self, data):
        practitioner = self.draw_practitioner(data)
        return {
            "location": self.location.pk,
            "practitioner": practitioner.pk if practitioner else "any",
            "start": drafts.format_start(self.draw_start(data)[1]),
        }

    def draft_in_session(self, form_data, starts_at, practitioner=None):
        """A booking in progress for this browser, as the details form leaves it."""
        draft = drafts.draft_create(
            consultation_type=self.type,
            location=self.location,
            practitioner=practitioner,
            starts_at=starts_at,
        )
        drafts.draft_save(draft=draft, form_data=form_data, photos=[])
        session = self.client.session
        session["booking_drafts"] = [draft.token]
        session.save()
        return draft


def as_typed(form):
    """The answers as the details form stores them in a draft."""
    data = QueryDict(mutable=True)
    for name, value in form.items():
        data.setlist(name, [str(v) for v in (value if isinstance(value, list) else [value])])
    return drafts.typed_answers(data)


class SlotPickerFuzz(PublicFlowFuzz):
    @given(st.data())
    def test_slot_picker_query_never_fails_and_writes_nothing(self, data):
        slug = data.draw(SLUGS, label="slug")
        valid = {"location": self.location.pk, "practitioner": "any", "day": "2026-03-02"}
        query = data.draw(mutated(valid, tamper=["draft", "start", "week"]), label="query")
        htmx = data.draw(st.booleans(), label="htmx")
        headers = {"HX-Request": "true"} if htmx else {}
        before = row_counts(*BOOKING_RECORDS, BookingDraft)

        response = self.send(
            "get", reverse("bookings:times", args=[slug]) + "?" + query_string(query), **headers
        )

        assert response.status_code in (200, 404), response.status_code
        assert (response.status_code == 404) == (slug != "initial")
        assert row_counts(*BOOKING_RECORDS, BookingDraft) == before


class DetailsFormFuzz(PublicFlowFuzz):
    @given(st.data())
    def test_details_form_keeps_the_typing_and_writes_nothing_else(self, data):
        query = data.draw(mutated(self.valid_query(data), tamper=["day", "draft"]), label="query")
        form = data.draw(mutated(valid_form(), tamper=DETAILS_EXTRA), label="form")
        files = data.draw(PHOTO_UPLOADS, label="files")
        before = row_counts(*BOOKING_RECORDS)
        drafts_before = set(BookingDraft.objects.values_list("pk", flat=True))
        url = reverse("bookings:details", args=["initial"]) + "?" + query_string(query)

        response = self.send("post", url, {**form, **files})

        status = response.status_code
        assert status in (200, 302, 400), status
        # No garbage file is a photo, and nothing but confirming writes these.
        assert row_counts(*BOOKING_RECORDS) == before
        new = list(BookingDraft.objects.exclude(pk__in=drafts_before))
        location = response.get("Location", "")
        if drafts.parse_start(response.wsgi_request.GET.get("start", "")) is None:
            # The start could not be read: back to the picker with a message, nothing kept.
            # The picker's address repeats the location and practitioner as sent; when those
            # are so long that it passes Django's 16,384-character limit for a redirect,
            # Django answers 400 instead (DisallowedRedirect, logged as a security error).
            assert new == []
            if status == 302:
                assert location.startswith(reverse("bookings:times", args=["initial"]))
            else:
                assert status == 400 and len(query_string(query)) > 4000, query
            return
        assert len(new) == 1, (status, new)
        draft = new[0]
        details, intake = drafts.draft_forms(draft)
        if status == 302:
            event("kept, on to review")
            assert location == reverse("bookings:review", args=[draft.token])
            assert details.is_valid() and intake.is_valid()
        else:
            # Refused: the reasons are on the page, and everything typed is in the draft.
            typed = drafts.typed_answers(response.wsgi_request.POST)
            typed.pop("remove_photo", None)
            assert draft.form_data == typed
            assert draft.booking_id is None


def stored_photo(draft, view, fmt):
    """A real photo kept in the draft: a small Pillow image, cleaned as an upload is."""
    content, width, height = clean_photo(jpeg_upload(f"{view}.{fmt.lower()}", fmt=fmt))
    photos_store(photos=[(view, content, width, height)], draft=draft)
    return draft.photos.get(view=view)


def photo_rows():
    """Every photo row, with its owner and file."""
    return {
        row["pk"]: row for row in IntakePhoto.objects.values("pk", "draft_id", "intake_id", "image")
    }


def draft_rows():
    return {
        row["pk"]: row
        for row in BookingDraft.objects.values(
            "pk", "form_data", "booking_id", "starts_at", "practitioner_id"
        )
    }


class DraftDetailsFuzz(PublicFlowFuzz):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.draft = drafts.draft_create(
            consultation_type=cls.type,
            location=cls.location,
            practitioner=None,
            starts_at=cls.free,
        )
        drafts.draft_save(draft=cls.draft, form_data=as_typed(valid_form()), photos=[])
        cls.own_photos = [
            stored_photo(cls.draft, "hairline", "JPEG"),
            stored_photo(cls.draft, "crown", "PNG"),
        ]
        # Another browser's booking in progress, with a photo this one must not remove.
        cls.other = drafts.draft_create(
            consultation_type=cls.type,
            location=cls.location,
            practitioner=cls.staff[0],
            starts_at=cls.free,
        )
        cls.other_photo = stored_photo(cls.other, "top", "JPEG")
        # A booking in progress already confirmed: its form only leads to the booking.
        cls.booked = drafts.draft_create(
            consultation_type=cls.type,
            location=cls.location,
            practitioner=cls.staff[1],
            starts_at=local_slot(cls.location, 3, 14),
        )
        cls.booked.booking = booking_create(
            patient=PatientFactory(),
            consultation_type=cls.type,
            location=cls.location,
            starts_at=cls.booked.starts_at,
            practitioner=cls.staff[1],
            notify=False,
        )
        cls.booked.save(update_fields=["booking"])
        cls.files = {}
        for photo in [*cls.own_photos, cls.other_photo]:
            path = Path(photo.image.path)
            cls.files[photo.pk] = (path, path.read_bytes())

    def restore_photo_files(self):
        """Removing a photo deletes its file after the commit, which no rollback brings back."""
        for path, content in self.files.values():
            if not path.exists():
                path.write_bytes(content)

    @given(st.data())
    def test_draft_details_keep_the_typing_and_remove_only_this_drafts_photo(self, data):
        self.restore_photo_files()
        booked = data.draw(one_of_these((False,) * 5 + (True,)), label="booked")
        draft = self.booked if booked else self.draft
        session = self.client.session
        session["booking_drafts"] = [draft.token]
        session.save()
        # This draft's token most of the time: a wrong one always ends in the same 404.
        token = known_or_wild(data, (draft.token,) * 6 + (self.other.token,), TOKENS, "token")
        own = [photo.pk for photo in self.own_photos]
        # No removal about half the time, so that the plain submit is fuzzed as often.
        known = (None,) * 5 + (*own, self.other_photo.pk, 10**9, "0")
        remove = known_or_wild(data, known, VALUES, "remove_photo")
        valid = valid_form() if remove is None else valid_form(remove_photo=remove)
        form = data.draw(mutated(valid, tamper=DETAILS_EXTRA), label="form")
        files = data.draw(PHOTO_UPLOADS, label="files")
        before = row_counts(*BOOKING_RECORDS)
        photos_before, drafts_before = photo_rows(), draft_rows()
        url = reverse("bookings:draft_details", args=["TOKEN"]).replace("TOKEN", _path_part(token))

        # A removed photo's file goes once the removal commits: run what waits for the commit.
        with self.captureOnCommitCallbacks(execute=True):
            response = self.send("post", url, {**form, **files})

        status = response.status_code
        assert status in (200, 302, 400, 404), status
        photos_after, drafts_after = photo_rows(), draft_rows()
        if token != draft.token or booked:
            # Not this browser's booking in progress, or one already booked: nothing changes.
            assert status == (404 if token != draft.token else 302), status
            if status == 302:
                assert response["Location"] == reverse("bookings:done", args=[draft.token])
            assert row_counts(*BOOKING_RECORDS) == before
            assert (photos_after, drafts_after) == (photos_before, drafts_before)
            return
        posted = response.wsgi_request.POST
        typed = drafts.typed_answers(posted)
        typed.pop("remove_photo", None)
        kept = drafts_after.pop(draft.pk)
        assert kept["form_data"] == typed
        assert kept["booking_id"] is None  # and the slot is the draft's, whatever was posted
        assert (kept["starts_at"], kept["practitioner_id"]) == (draft.starts_at, None)
        drafts_before.pop(draft.pk)
        assert drafts_after == drafts_before  # no other draft touched
        asked = posted.get("remove_photo", "")
        named = int(asked) if asked.isascii() and asked.isdigit() else None
        removed = {named} & set(own)
        if removed:
            event("photo removed")
        assert photos_after == {pk: row for pk, row in photos_before.items() if pk not in removed}
        for pk, (path, _) in self.files.items():
            assert path.exists() == (pk not in removed), pk
        assert row_counts(*BOOKING_RECORDS) == {
            **before,
            "IntakePhoto": before["IntakePhoto"] - len(removed),
        }
        details, intake = drafts.draft_forms(BookingDraft.objects.get(pk=draft.pk))
        answers_valid = details.is_valid() and intake.is_valid()
        if asked:
            assert status == 200, status  # the same form again, the photos as they now are
        elif answers_valid and not files:
            event("kept, on to review")
            assert status == 302, status
            assert response["Location"] == reverse("bookings:review", args=[draft.token])
        else:
            # No garbage upload is a photo: refused, with everything typed kept.
            assert status == 400, status


class ConfirmFuzz(PublicFlowFuzz):
    @given(st.data())
    def test_confirming_books_everything_or_writes_nothing(self, data):
        form = data.draw(mutated(valid_form(), tamper=DETAILS_EXTRA), label="answers")
        kind, start = self.draw_start(data)
        practitioner = self.draw_practitioner(data)
        expired = data.draw(st.booleans(), label="expired")
        draft = self.draft_in_session(as_typed(form), start, practitioner)
        if expired:
            BookingDraft.objects.filter(pk=draft.pk).update(
                expires_at=timezone.now() - timedelta(minutes=1)
            )
        token = known_or_wild(data, (draft.token, draft.token), TOKENS, "token")
        extra = data.draw(mutated({}, tamper=["start", "practitioner", "booking"]), label="post")
        details, intake = drafts.draft_forms(draft)
        answers_valid = details.is_valid() and intake.is_valid()
        kept = dict(draft.form_data)
        before = row_counts(*BOOKING_RECORDS)
        url = reverse("bookings:review", args=["TOKEN"]).replace("TOKEN", _path_part(token))

        response = self.send("post", url, extra)

        status = response.status_code
        draft.refresh_from_db()
        after = row_counts(*BOOKING_RECORDS)
        assert status in (302, 404, 409), status
        if status == 302:
            event("booked")
            assert token == draft.token and answers_valid and not expired
            booking = draft.booking
            assert booking is not None and booking.starts_at == start
            assert kind == "free"
            assert after["Booking"] == before["Booking"] + 1
            assert after["HairLossIntake"] == before["HairLossIntake"] + 1
            assert after["Patient"] - before["Patient"] in (0, 1)  # new, or matched
            consents = 2 if details.cleaned_data["consent_photos"] else 1
            assert after["Consent"] == before["Consent"] + consents
            assert HairLossIntake.objects.get(booking=booking).screening == {
                key: intake.cleaned_data[f"screen_{key}"]
                for key, _, _ in choices.SCREENING_QUESTIONS
            }
        else:
            assert after == before
            assert draft.booking_id is None and draft.form_data == kept
        if answers_valid and kind == "free" and not expired and token == draft.token:
            assert status == 302, "a valid draft for a free time must be booked"


class DraftTimeFuzz(PublicFlowFuzz):
    @given(st.data())
    def test_choosing_another_time_moves_only_the_draft(self, data):
        draft = self.draft_in_session(as_typed(valid_form()), self.free)
        practitioner = self.draw_practitioner(data)
        valid = {
            "start": drafts.format_start(self.draw_start(data)[1]),
            "practitioner": practitioner.pk if practitioner else "any",
        }
        form = data.draw(mutated(valid, tamper=["location", "type"]), label="form")
        token = known_or_wild(data, (draft.token, draft.token), TOKENS, "token")
        before = row_counts(*BOOKING_RECORDS)
        url = reverse("bookings:draft_time", args=["TOKEN"]).replace("TOKEN", _path_part(token))
        urlencoded = data.draw(st.booleans(), label="urlencoded")

        response = self.send("post", url, form, urlencoded=urlencoded)

        assert response.status_code in (302, 404), response.status_code
        assert row_counts(*BOOKING_RECORDS) == before
        old_start = draft.starts_at
        draft.refresh_from_db()
        assert draft.booking_id is None
        wanted = None
        if response.status_code == 302:
            wanted = drafts.parse_start(response.wsgi_request.POST.get("start", ""))
        if wanted is None:
            assert draft.starts_at == old_start and draft.practitioner_id is None
        else:
            event("draft given the new time")
            assert draft.starts_at == wanted
            assert draft.practitioner in (None, *self.staff)
        assert draft.form_data == as_typed(valid_form())


@pytest.mark.django_db
def test_answers_accepted_by_the_details_form_can_be_confirmed(client):
    """What the details form accepts must be what the draft keeps: the draft drops NUL bytes
    (its JSON column cannot hold them) after the form has checked the answers with them, so a
    consent ticked as "\x00" passes the form and is then an unticked box on the review page,
    whose confirm is refused. Found by the fuzzing of the details form above."""
    location, _, consultation_type = bookable_clinic()
    url = details_url(consultation_type, location, local_slot(location, 3, 10))
    response = client.post(url, valid_form(consent_care="\x00"))
    if response.status_code == 302:  # accepted: then it must be bookable as it stands
        assert client.post(response.url).status_code == 302
    else:
        assert response.status_code == 400


def _path_part(text):
    from urllib.parse import quote

    return quote(text, safe="")
