"""Fuzzing a clinic admin's privacy tools: a patient's export and erasure.

Properties, for every generated case: no server error; only a clinic admin gets an export
(which is then a recorded read) or erases anyone; an erasure happens only for a confirmed form
naming a patient not yet erased, and then removes exactly that patient's personal data;
otherwise every row of every patient is as it was.
"""

import io
import json
import zipfile
from urllib.parse import quote

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from bookings import drafts
from bookings.models import Booking, BookingDraft
from bookings.privacy import patient_erase
from bookings.services import booking_create
from clinic import roles as role_names
from clinic.models import ClinicalRead
from clinic.roles import sync_roles
from patients.models import (
    Assessment,
    Consent,
    HairLossIntake,
    IntakePhoto,
    Patient,
    ScreeningFlag,
)
from patients.photos import clean_photo
from patients.services import consents_record, photos_store
from tests.factories import (
    UserFactory,
    bookable_clinic,
    booking_with_intake,
    jpeg_upload,
    next_slot,
    signed_off_recommendation,
    staff_session,
    valid_form,
)
from tests.fuzz.hostile import (
    BIG_INTEGERS,
    TOKENS,
    FuzzTestCase,
    known_or_wild,
    mutated,
    one_of_these,
)

LIVE = ("target", "bystander")  # the patients not yet erased
WILD_PKS = st.one_of(BIG_INTEGERS.map(str), TOKENS)
# Where the admin (and, now and then, reception) sends what: erasing twice as often as the rest.
REQUESTS = (
    ("erase", "post"),
    ("erase", "post"),
    ("erase", "get"),
    ("export", "post"),
    ("export", "get"),
)


def patient_with_records(clinic, days, email):
    """A patient with every kind of record: an intake with a photo and a flag, consents, a
    signed-off assessment, a booking ahead, and a booking form left half-way with a photo."""
    location, (practitioner,), consultation_type = clinic
    booking = booking_with_intake(
        location, consultation_type, practitioner, days, screen_anticoagulants="yes"
    )
    patient = Patient.objects.get(pk=booking.patient_id)
    patient.email = email
    patient.save()  # a history row holding the personal data
    consents_record(patient=patient, booking=booking, photos_beyond_care=True, now=timezone.now())
    signed_off_recommendation(
        booking, practitioner.user, "Early loss.", "The common inherited kind."
    )
    booking_create(
        patient=patient,
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=days + 10),
        notify=False,
    )
    draft = drafts.draft_create(
        consultation_type=consultation_type,
        location=location,
        practitioner=None,
        starts_at=next_slot(days=days + 20),
    )
    answers = valid_form(email=email.upper())  # matched whatever its case
    form_data = {key: v if isinstance(v, list) else [v] for key, v in answers.items()}
    drafts.draft_save(draft=draft, form_data=form_data)
    photos_store(photos=[("top", *clean_photo(jpeg_upload(fmt="PNG")))], draft=draft)
    return patient, draft


def records_of(patient_id, draft_id):
    """Every row the clinic holds about one patient, as stored."""
    bookings = Booking.objects.filter(patient_id=patient_id)
    by_booking = {"booking__patient_id": patient_id}
    return {
        "patient": list(Patient.objects.filter(pk=patient_id).values()),
        "bookings": list(bookings.order_by("pk").values()),
        "intakes": list(HairLossIntake.objects.filter(**by_booking).order_by("pk").values()),
        "flags": list(
            ScreeningFlag.objects.filter(intake__booking__patient_id=patient_id)
            .order_by("pk")
            .values()
        ),
        "photos": list(
            IntakePhoto.objects.filter(
                Q(intake__booking__patient_id=patient_id) | Q(draft_id=draft_id)
            )
            .order_by("pk")
            .values()
        ),
        "consents": list(Consent.objects.filter(patient_id=patient_id).order_by("pk").values()),
        "assessments": list(Assessment.objects.filter(**by_booking).order_by("pk").values()),
        "draft": list(BookingDraft.objects.filter(pk=draft_id).values()),
        "history": [
            Patient.history.filter(id=patient_id).count(),
            Booking.history.filter(patient_id=patient_id).count(),
            HairLossIntake.history.filter(booking__patient_id=patient_id).count(),
            Assessment.history.filter(booking__patient_id=patient_id).count(),
        ],
    }


def table_rows():
    """Every row of every table a patient's records live in (history included), in one
    query per table: the tables hold three patients' records."""
    from django.db import connection

    models = [Patient, Booking, HairLossIntake, ScreeningFlag, IntakePhoto, Consent, Assessment]
    models += [BookingDraft, *(model.history.model for model in (Patient, Booking))]
    models += [HairLossIntake.history.model, Assessment.history.model]
    rows = {}
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            # The table names come from the models' metadata, quoted: nothing from a request.
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608
            rows[model._meta.db_table] = cursor.fetchall()
    return rows


class PrivacyFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        sync_roles(Group, Permission)
        clinic = bookable_clinic()
        cls.patients = {}
        for name, days in (("target", 2), ("bystander", 3), ("erased", 4)):
            patient, draft = patient_with_records(clinic, days, f"{name}@example.com")
            cls.patients[name] = (patient.pk, draft.pk)
        # Erased before: its photo files stay, since the erasure's commit never comes here.
        patient_erase(patient=Patient.objects.get(pk=cls.patients["erased"][0]))
        cls.admin = staff_session(UserFactory(username="chief"), role_names.CLINIC_ADMIN)
        cls.reception = staff_session(UserFactory(username="rosa"), role_names.RECEPTION)

    @given(st.data())
    def test_only_a_confirmed_admin_erasure_changes_a_patient(self, data):
        admin = data.draw(one_of_these((True, True, True, False)), label="admin")
        self.use_session(self.admin if admin else self.reception)
        what, method = data.draw(one_of_these(REQUESTS), label="request")
        ids = {name: pk for name, (pk, _) in self.patients.items()}
        known = (*(str(ids["target"]),) * 4, str(ids["bystander"]), str(ids["erased"]), "0")
        pk = known_or_wild(data, known, WILD_PKS, "pk")
        tamper = ["confirm", "patient", "pk", "erased_at", "email", "keep"]
        form = data.draw(mutated({"confirm": "yes"}, tamper=tamper), label="form")
        urlencoded = data.draw(st.booleans(), label="urlencoded")
        named = next((name for name, number in ids.items() if str(number) == pk), None)
        may_erase = admin and (what, method) == ("erase", "post") and named in LIVE
        # The whole of every table, cheaply; each patient's rows, dearly, only when this
        # request may erase one of them.
        tables, reads = table_rows(), ClinicalRead.objects.count()
        if may_erase:
            before = {name: records_of(*keys) for name, keys in self.patients.items()}
        url = f"/staff/patients/{quote(pk, safe='')}/{what}/"

        response = self.send(method, url, form, urlencoded=urlencoded and method == "post")

        status = response.status_code
        confirmed = method == "post" and response.wsgi_request.POST.get("confirm") == "yes"
        if named is None:
            assert status in (403, 404, 405), status
        elif not admin:
            assert status == 403, status  # reception may do neither
        elif what == "export":
            assert status == (200 if method == "post" else 405), status
        elif method == "get":
            assert status == 200, status
        elif named == "erased":
            assert status == 302, status  # already erased: says so, changes nothing
        else:
            assert status == (302 if confirmed else 400), (status, form)
        if status == 302:
            assert response["Location"] == reverse("staff:patient", args=[ids[named]])
        exported = what == "export" and status == 200
        assert ClinicalRead.objects.count() == reads + exported
        if exported:
            event("exported")
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            document = json.loads(archive.read("patient.json"))
            assert document["patient"]["email"] == Patient.objects.get(pk=ids[named]).email
            read = ClinicalRead.objects.latest("pk")
            assert (read.what, read.patient_id) == ("full export", ids[named])
        if not (may_erase and confirmed):
            assert table_rows() == tables  # nothing of anyone changed
            return
        event("erased")
        after = {name: records_of(*keys) for name, keys in self.patients.items()}
        assert {name for name in before if before[name] != after[name]} == {named}
        old, new = before[named], after[named]
        (patient,) = new["patient"]
        assert patient["erased_at"] is not None and patient["first_name"] == "Erased"
        assert patient["email"] == f"erased-{ids[named]}@erased.invalid"
        assert new["intakes"] == new["flags"] == new["photos"] == new["consents"] == []
        assert new["draft"] == []
        assert [b["id"] for b in new["bookings"]] == [b["id"] for b in old["bookings"]]
        assert all(
            b["token"] != o["token"] for b, o in zip(new["bookings"], old["bookings"], strict=True)
        )
        now = timezone.now()
        for booking in new["bookings"]:  # every one ahead, so cancelled, without a reason
            assert booking["starts_at"] > now and booking["status"] == Booking.Status.CANCELLED
            assert booking["cancellation_reason"] == ""
        assert [(a["rationale"], a["patient_summary"]) for a in new["assessments"]] == [("", "")]
        assert [a["recommendations"] for a in new["assessments"]] == [["prp"]]
