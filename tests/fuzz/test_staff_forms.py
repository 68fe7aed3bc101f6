"""Fuzzing the staff forms: phone booking (and its picker), moving a booking, Today's actions,
the week view, the assessment, the review queue and the patient search.

Properties, for every generated case: no server error; a refused request writes nothing (no
booking, patient, consent or assessment, and no booking changed); an accepted one does exactly
what the form asked for, under the booking rules.
"""

from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from bookings import drafts
from bookings.models import Booking, BookingDraft
from clinic import roles as role_names
from clinic.models import ClinicalRead
from clinic.roles import sync_roles
from patients.forms import IntakeForm
from patients.models import Assessment, Consent, HairLossIntake, IntakePhoto, Patient
from patients.services import intake_submit
from staff.forms import AssessmentForm, PhoneBookingForm
from staff.views.phone import chosen_patient
from tests.factories import (
    BookingFactory,
    ConsultationTypeFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
    bookable_clinic,
    booking_with_intake,
    sign_in_with_second_factor,
    staff_session,
    valid_form,
    weekly_hours,
)
from tests.fuzz.hostile import (
    BIG_INTEGERS,
    TOKENS,
    FuzzTestCase,
    known_or_wild,
    local_slot,
    mutated,
    one_of_these,
    query_string,
    row_counts,
)

RECORDS = (Booking, Patient, Consent, HairLossIntake, IntakePhoto, Assessment)
# What a page that only shows must not write either.
SHOWN_ONLY = (*RECORDS, BookingDraft, ClinicalRead)
DAYS = st.dates().map(date.isoformat)
SLUGS = st.from_regex(r"[-a-zA-Z0-9_]{1,40}", fullmatch=True)


def booking_rows():
    """Every booking as the staff forms could change it."""
    return {
        row["pk"]: row
        for row in Booking.objects.values(
            "pk", "status", "starts_at", "practitioner_id", "checked_in_at", "cancelled_at"
        )
    }


def make_booking(clinic, practitioner, start, **fields):
    location, _, consultation_type = clinic
    return BookingFactory(
        patient=PatientFactory(),
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        **fields,
    )


def day_page(booking) -> str:
    """Where staff land after booking or moving: the day list of the booking's day."""
    zone = booking.location.zone
    day = booking.starts_at.astimezone(zone).date()
    home = reverse("staff:home")
    return home if day == timezone.now().astimezone(zone).date() else f"{home}?day={day}"


class StaffFormFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        sync_roles(Group, Permission)
        cls.clinic = bookable_clinic(practitioners=2)
        cls.location, cls.staff, cls.type = cls.clinic
        cls.free = local_slot(cls.location, 4, 14)
        cls.taken = local_slot(cls.location, 4, 11)
        for practitioner in cls.staff:  # taken whoever is asked for
            make_booking(cls.clinic, practitioner, cls.taken)
        cls.reception = staff_session(UserFactory(username="rosa"), role_names.RECEPTION)

    def starts(self):
        now = timezone.now()
        return {
            "free": self.free,
            "taken": self.taken,
            "off_grid": self.free + timedelta(minutes=7),
            "night": local_slot(self.location, 4, 3),
            "past": now - timedelta(days=1),
            "far_ahead": local_slot(self.location, 200, 10),  # past the online horizon only
        }

    def draw_start(self, data):
        starts = self.starts()
        kind = data.draw(one_of_these(sorted(starts)), label="start kind")
        return kind, starts[kind]


class PhoneBookingFuzz(StaffFormFuzz):
    @given(st.data())
    def test_phone_booking_books_only_a_valid_form_at_a_bookable_time(self, data):
        self.use_session(self.reception)
        kind, start = self.draw_start(data)
        practitioner = data.draw(one_of_these([None, *self.staff]), label="practitioner")
        valid = {
            "type": self.type.slug,
            "location": self.location.pk,
            "practitioner": practitioner.pk if practitioner else "any",
            "day": start.date().isoformat(),
            "start": drafts.format_start(start),
            "first_name": "Tom",
            "last_name": "Becker",
            "email": "tom@example.com",
            "phone": "07400 900789",
            "date_of_birth": "1990-04-02",
            "consent_care": "on",
        }
        tamper = ["consent_photos", "patient", "status", "action", "use_patient", "find"]
        form = data.draw(mutated(valid, tamper=tamper))
        before = row_counts(*RECORDS)

        response = self.send("post", reverse("staff:phone_booking"), form)

        status = response.status_code
        after = row_counts(*RECORDS)
        posted = response.wsgi_request.POST
        if posted.get("use_patient") or posted.get("action", "book") != "book":
            # Any other button (free times, another day, find, choose a patient) books nothing.
            event("refreshed")
            assert status == 200, status
            assert after == before
            return
        assert status in (302, 400, 409), status
        wanted = drafts.parse_start(posted.get("start", ""))
        patient, gone = chosen_patient(posted.get("patient"))
        details = PhoneBookingForm(posted, patient=patient)
        if status == 302:
            event("booked")
            assert not gone and details.is_valid() and posted.get("type") == self.type.slug
            booking = Booking.objects.latest("pk")
            assert response["Location"] == day_page(booking)
            assert booking.starts_at == wanted and kind in ("free", "far_ahead")
            if patient is not None:
                assert booking.patient_id == patient.pk
            else:
                assert booking.patient.email == details.cleaned_data["email"]
            assert after["Booking"] == before["Booking"] + 1
            assert after["Consent"] == before["Consent"] + 1
            assert after["Patient"] - before["Patient"] in (0, 1)
            assert Consent.objects.get(booking=booking).kind == Consent.Kind.CARE
        else:
            assert after == before
            bookable = wanted in (self.free, self.starts()["far_ahead"])
            valid_form = not gone and details.is_valid()
            if valid_form and posted.get("type") == self.type.slug and bookable:
                raise AssertionError("a valid phone booking at a free time was refused")


class StaffRescheduleFuzz(StaffFormFuzz):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.booking = make_booking(cls.clinic, cls.staff[0], local_slot(cls.location, 3, 10))
        cls.cancelled = make_booking(
            cls.clinic,
            cls.staff[0],
            local_slot(cls.location, 3, 15),
            status=Booking.Status.CANCELLED,
            cancelled_at=timezone.now(),
        )

    @given(st.data())
    def test_staff_move_moves_only_the_booking_to_a_free_time(self, data):
        self.use_session(self.reception)
        kind, start = self.draw_start(data)
        practitioner = data.draw(one_of_these(self.staff), label="practitioner")
        valid = {
            "practitioner": practitioner.pk,
            "start": drafts.format_start(start),
            "day": start.date().isoformat(),
        }
        form = data.draw(mutated(valid, tamper=["type", "location", "status"]), label="form")
        known = (self.booking.pk, self.booking.pk, self.cancelled.pk)
        pk = known_or_wild(data, known, st.integers(min_value=0, max_value=2**63), "pk")
        method = data.draw(one_of_these(["get", "post", "post"]), label="method")
        before, counts = booking_rows(), row_counts(*RECORDS)
        url = reverse("staff:reschedule", args=[pk])

        if method == "get":
            response = self.send("get", url + "?" + query_string(form))
        else:
            response = self.send("post", url, form)

        status = response.status_code
        assert status in (200, 302, 400, 404, 409), status
        assert row_counts(*RECORDS) == counts
        after = booking_rows()
        changed = {key for key in before if before[key] != after[key]}
        posted = response.wsgi_request.POST if method == "post" else {}
        wanted = drafts.parse_start(posted.get("start", ""))
        # Without a practitioner in the form, the booking's own is meant.
        chosen = posted.get("practitioner", str(self.booking.practitioner_id))
        if not changed:
            movable = method == "post" and pk == self.booking.pk
            known = chosen in {str(p.pk) for p in self.staff}
            if movable and wanted == self.free and known:
                raise AssertionError("moving a booking to a free time was refused")
            return
        event("moved")
        # The booking named in the address, which need not be the one prepared: any
        # confirmed booking can be moved.
        assert changed == {pk} and method == "post" and status == 302
        assert response["Location"] == day_page(Booking.objects.get(pk=pk))
        moved = after[pk]
        if pk != self.booking.pk:
            chosen = posted.get("practitioner", str(before[pk]["practitioner_id"]))
        assert moved["starts_at"] == wanted
        assert wanted in (self.free, self.starts()["far_ahead"]), kind
        assert str(moved["practitioner_id"]) == chosen
        assert moved["status"] == Booking.Status.CONFIRMED


ACTIONS = ("check-in", "complete", "no-show", "cancel")
WILD_PKS = st.one_of(BIG_INTEGERS.map(str), TOKENS)
WILD_ACTIONS = st.one_of(st.from_regex(r"[-a-zA-Z0-9_]{1,30}", fullmatch=True), TOKENS)


class BookingActionFuzz(StaffFormFuzz):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        now = timezone.now()
        first = cls.staff[0]
        cls.rows = {
            "ahead": make_booking(cls.clinic, first, now + timedelta(days=2)),
            "started": make_booking(cls.clinic, first, now - timedelta(minutes=20)),
            "arrived": make_booking(
                cls.clinic, cls.staff[1], now - timedelta(minutes=10), checked_in_at=now
            ),
            "cancelled": make_booking(
                cls.clinic,
                first,
                now + timedelta(days=3),
                status=Booking.Status.CANCELLED,
                cancelled_at=now,
            ),
            "completed": make_booking(
                cls.clinic, first, now - timedelta(days=1), status=Booking.Status.COMPLETED
            ),
        }

    @given(st.data())
    def test_booking_actions_change_one_booking_as_named_or_nothing(self, data):
        self.use_session(self.reception)
        name = data.draw(one_of_these(sorted(self.rows)), label="booking")
        known = (str(self.rows[name].pk),) * 2
        pk = known_or_wild(data, known, WILD_PKS, "pk")
        action = known_or_wild(data, ACTIONS, WILD_ACTIONS, "action")
        body = data.draw(mutated({}, tamper=["status", "reason", "booking"]), label="body")
        method = data.draw(one_of_these(["post", "post", "post", "get"]), label="method")
        before, counts = booking_rows(), row_counts(*RECORDS)
        url = f"/staff/bookings/{quote(pk, safe='')}/{quote(action, safe='')}/"

        response = self.send(method, url, body)

        status = response.status_code
        assert status in (302, 404, 405), status
        assert row_counts(*RECORDS) == counts
        after = booking_rows()
        changed = {key for key in before if before[key] != after[key]}
        if not changed:
            target = self.rows[name]
            if method == "post" and pk == str(target.pk) and action == "cancel":
                assert name != "ahead", "cancelling a confirmed booking ahead was refused"
            return
        event(f"{action} done")
        assert method == "post" and status == 302 and action in ACTIONS
        assert changed == {int(pk)}
        old, new = before[int(pk)], after[int(pk)]
        assert old["status"] == Booking.Status.CONFIRMED
        expected = dict(old)
        if action == "check-in":
            assert old["checked_in_at"] is None and new["checked_in_at"] is not None
            expected["checked_in_at"] = new["checked_in_at"]
        elif action == "cancel":
            expected["status"] = Booking.Status.CANCELLED
            expected["cancelled_at"] = new["cancelled_at"]
            assert new["cancelled_at"] is not None
        else:
            expected["status"] = {"complete": "completed", "no-show": "no_show"}[action]
            assert old["starts_at"] <= timezone.now()
            assert not (action == "no-show" and old["checked_in_at"])
        assert new == expected


class StaffPickerFuzz(StaffFormFuzz):
    """Two locations in different zones, and a consultation no longer offered."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.dubai = LocationFactory(name="Dubai", time_zone="Asia/Dubai")
        cls.staff[1].locations.add(cls.dubai)
        weekly_hours(cls.staff[1], cls.dubai)
        ConsultationTypeFactory(practitioners=cls.staff, slug="retired", is_active=False)
        cls.locations = (cls.location, cls.dubai)

    def draw_day(self, data, location):
        today = timezone.now().astimezone(location.zone).date()
        known = [today + timedelta(days=n) for n in (0, 1, 4, -1, -400, 366, 367, 5000)]
        return known_or_wild(data, [day.isoformat() for day in known], DAYS, "day")


WILD_LOCATIONS = st.one_of(BIG_INTEGERS.map(str), TOKENS)


class PhoneBookingPickerFuzz(StaffPickerFuzz):
    @given(st.data())
    def test_phone_booking_picker_answers_every_query_and_writes_nothing(self, data):
        self.use_session(self.reception)
        location = data.draw(one_of_these(self.locations), label="location")
        practitioner = data.draw(one_of_these([None, *self.staff]), label="practitioner")
        valid = {
            "type": known_or_wild(data, ("initial", "initial", "retired"), SLUGS, "type"),
            "location": known_or_wild(data, (location.pk,) * 3, WILD_LOCATIONS, "location"),
            "practitioner": practitioner.pk if practitioner else "any",
            "day": self.draw_day(data, location),
        }
        tamper = ["start", "week", "first_name", "consent_care", "page"]
        query = data.draw(mutated(valid, tamper=tamper), label="query")
        before = row_counts(*SHOWN_ONLY)

        response = self.send("get", reverse("staff:phone_booking") + "?" + query_string(query))

        assert response.status_code == 200, response.status_code
        assert row_counts(*SHOWN_ONLY) == before


class StaffWeekFuzz(StaffPickerFuzz):
    @given(st.data())
    def test_week_view_answers_every_query_and_writes_nothing(self, data):
        self.use_session(self.reception)
        location = data.draw(one_of_these(self.locations), label="location")
        valid = {
            "location": known_or_wild(data, (location.pk,) * 3, WILD_LOCATIONS, "location"),
            "week": self.draw_day(data, location),
        }
        query = data.draw(mutated(valid, tamper=["day", "practitioner", "page"]), label="query")
        before = row_counts(*SHOWN_ONLY)

        response = self.send("get", reverse("staff:week") + "?" + query_string(query))

        assert response.status_code == 200, response.status_code
        assert row_counts(*SHOWN_ONLY) == before


class AssessmentFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        sync_roles(Group, Permission)
        cls.location, cls.staff, cls.type = bookable_clinic(practitioners=2)
        mine, theirs = cls.staff
        cls.booking = booking_with_intake(cls.location, cls.type, mine, 2)
        cls.theirs = booking_with_intake(cls.location, cls.type, theirs, 3)
        cls.session = staff_session(mine.user, role_names.PRACTITIONER)

    @given(st.data())
    def test_assessment_saves_a_valid_form_or_writes_nothing(self, data):
        self.use_session(self.session)
        valid = {
            "pattern": "male_pattern",
            "stage": "nh3",
            "likely_cause": "androgenetic",
            "recommendations": ["prp", "medication"],
            "rationale": "Early androgenetic loss; no contraindication to PRP.",
            "patient_summary": "Your hair loss is the common inherited kind.",
            "follow_up_type": self.type.pk,
            "follow_up_weeks": "12",
            "action": "sign_off",
        }
        tamper = ["booking", "author", "signed_off_at"]
        form = data.draw(mutated(valid, tamper=tamper), label="form")
        pk = data.draw(
            one_of_these([self.booking.pk, self.booking.pk, self.theirs.pk, 10**9]), label="pk"
        )
        before = row_counts(*RECORDS)

        response = self.send("post", reverse("staff:assessment", args=[pk]), form)

        status = response.status_code
        assert status in (302, 400, 404), status
        after = row_counts(*RECORDS)
        answers = AssessmentForm(response.wsgi_request.POST)
        valid_answers = answers.is_valid()
        if status != 302:
            assert after == before
            if valid_answers and pk == self.booking.pk:
                # Only the follow-up can still refuse a valid form: no free time for it.
                event("valid, but no time for the follow-up")
                assert "No free time for that follow-up" in response.content.decode()
            return
        event("assessment saved")
        assert pk == self.booking.pk and valid_answers
        assert response["Location"] == reverse("staff:review", args=[pk]) + "#assessment"
        saved = Assessment.objects.get(booking=self.booking)
        assert {name: getattr(saved, name) for name in AssessmentForm.MODEL_FIELDS} == (
            answers.values()
        )
        assert (saved.signed_off_at is not None) == answers.signs_off()
        follow_up = answers.follow_up()
        assert after == {
            **before,
            "Assessment": before["Assessment"] + 1,
            "Booking": before["Booking"] + (1 if follow_up else 0),
        }
        if follow_up:
            booked = Booking.objects.latest("pk")
            assert booked.patient_id == self.booking.patient_id
            earliest = self.booking.starts_at + timedelta(weeks=follow_up[1])
            assert booked.starts_at.date() >= earliest.date()


QUEUE_PAGES = ("1", "2", "2", "3", "0", "-1", "last", "1.0", "2.5", "9" * 30, "")


class ReviewQueueFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        sync_roles(Group, Permission)
        cls.clinic = bookable_clinic(practitioners=2)
        location, (mine, theirs), _ = cls.clinic
        answers = IntakeForm(valid_form())
        assert answers.is_valid(), answers.errors
        flagged = IntakeForm(valid_form(screen_bleeding_disorder="yes"))
        assert flagged.is_valid(), flagged.errors
        now = timezone.now()
        # 27 consultations with answers and no assessment: a full first page and two more.
        for n in range(27):
            booking = make_booking(cls.clinic, mine, local_slot(location, 1 + n // 6, 9 + n % 6))
            values = (flagged if n % 5 == 0 else answers).intake_values()
            intake_submit(booking=booking, values=values, now=now)
        # Not in the queue: another practitioner's, a cancelled one, one long past.
        for practitioner, start, status in (
            (theirs, local_slot(location, 2, 10), Booking.Status.CONFIRMED),
            (mine, local_slot(location, 8, 10), Booking.Status.CANCELLED),
            (mine, now - timedelta(days=30), Booking.Status.CONFIRMED),
        ):
            booking = make_booking(cls.clinic, practitioner, start, status=status)
            intake_submit(booking=booking, values=answers.intake_values(), now=now)
        cls.mine = set(
            Booking.objects.filter(
                practitioner=mine, status=Booking.Status.CONFIRMED, starts_at__gt=now
            ).values_list("patient_id", flat=True)
        )
        assert len(cls.mine) == 27
        cls.session = staff_session(mine.user, role_names.PRACTITIONER)

    @given(st.data())
    def test_review_queue_answers_every_query_and_reads_only_own_patients(self, data):
        self.use_session(self.session)
        page = known_or_wild(data, QUEUE_PAGES, TOKENS, "page")
        tamper = ["page", "practitioner", "status", "flag", "order", "q"]
        query = data.draw(mutated({"page": page}, tamper=tamper), label="query")
        before = row_counts(*RECORDS, BookingDraft)
        reads = ClinicalRead.objects.count()

        response = self.send("get", reverse("staff:review_queue") + "?" + query_string(query))

        assert response.status_code == 200, response.status_code
        assert row_counts(*RECORDS, BookingDraft) == before
        # Each consultation shown is a recorded read of its screening flags; only this
        # practitioner's patients are shown, a page of 25 at most.
        read = list(ClinicalRead.objects.order_by("pk").values_list("patient_id", flat=True))
        shown = read[reads:]
        assert set(shown) <= self.mine and len(shown) == len(set(shown))
        assert len(shown) in (25, 2), len(shown)  # a page past the last shows the last
        asked = response.wsgi_request.GET.get("page")
        if asked in (None, "", "1", "2"):
            assert len(shown) == (2 if asked == "2" else 25), (asked, len(shown))


class PatientSearchFuzz(StaffFormFuzz):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        PatientFactory(first_name="Zoë", last_name="O'Brien-Łukasz", phone="+44 7700 900123")
        PatientFactory(first_name="<script>alert(1)</script>", last_name="Lovelace")
        PatientFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")

    @given(st.data())
    def test_patient_search_answers_every_query_and_writes_nothing(self, data):
        self.use_session(self.reception)
        query = data.draw(mutated({"q": "Lovelace 1985-06-01"}, tamper=["page"]), label="query")
        before = row_counts(*RECORDS)

        response = self.send("get", reverse("staff:patient_search") + "?" + query_string(query))

        assert response.status_code == 200
        assert row_counts(*RECORDS) == before
        page = response.content.decode()
        assert "<script>alert(1)</script>" not in page  # a stored name, escaped when shown


@pytest.mark.django_db
def test_a_patient_search_with_a_nul_byte_is_answered(client, roles):
    """PostgreSQL cannot compare text with a NUL byte: psycopg2 raises ValueError before the
    query is sent, and the search page answers with a server error. Found by the fuzzing of
    the patient search above."""
    user = UserFactory(username="rosa")
    user.groups.add(roles[role_names.RECEPTION])
    sign_in_with_second_factor(client, user)
    PatientFactory(first_name="Ada", last_name="Lovelace")
    response = client.get(reverse("staff:patient_search"), {"q": "Love\x00lace"})
    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()  # searched for without the NUL
