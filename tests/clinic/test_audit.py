"""The audit trail of changes: who, what, when, from which address; read-only for everyone."""

from datetime import date

import pytest
from django.urls import reverse
from simple_history.models import HistoricalRecords

from bookings.drafts import format_start
from bookings.models import Booking, ScheduleVersion
from bookings.services import booking_create
from clinic import roles as role_names
from clinic.audit import insert_audited
from patients.models import Patient
from tests.factories import (
    PatientFactory,
    UserFactory,
    bookable_clinic,
    next_slot,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    location, _, consultation_type = bookable_clinic()
    return booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=5),
        notify=False,
    )


def test_a_patient_moving_their_booking_is_recorded_with_the_address(client, booking):
    client.post(
        reverse("bookings:reschedule", args=[booking.token]),
        {"start": format_start(booking.starts_at.replace(hour=14))},
        REMOTE_ADDR="203.0.113.9",
    )
    latest = booking.history.order_by("-history_date").first()
    assert latest.history_type == "~"
    assert latest.history_user is None  # the patient has no account
    assert latest.history_ip_address == "203.0.113.9"
    assert latest.starts_at.hour == 14
    assert booking.history.count() == 2  # created, then moved


def test_the_private_link_secret_is_not_kept_in_the_history(booking):
    field_names = {f.name for f in Booking.history.model._meta.get_fields()}
    assert "token" not in field_names


def test_clinic_admins_browse_the_trail_and_nobody_can_change_it(client, booking, roles):
    admin_user = UserFactory(username="chief")
    admin_user.groups.add(roles[role_names.CLINIC_ADMIN])
    sign_in_with_second_factor(client, admin_user)
    trail = reverse("admin:bookings_historicalbooking_changelist")
    assert client.get(trail).status_code == 200
    record = booking.history.first()
    change = reverse("admin:bookings_historicalbooking_change", args=[record.pk])
    assert client.get(change).status_code == 200  # view only
    assert client.post(change, {}).status_code == 403
    delete = reverse("admin:bookings_historicalbooking_delete", args=[record.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert booking.history.count() == 1


def test_reception_cannot_open_the_audit_trail(client, roles):
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    sign_in_with_second_factor(client, rosa)
    assert client.get(reverse("admin:bookings_historicalbooking_changelist")).status_code == 403
    assert (
        client.get(reverse("admin:patients_historicalhairlossintake_changelist")).status_code == 403
    )


def test_clinic_admins_find_every_read_of_one_patients_records(client, roles):
    from clinic.models import ClinicalRead

    reader = UserFactory(username="reader")
    for patient_id, what in ((7, "intake"), (7, "photo"), (8, "intake")):
        ClinicalRead.objects.create(user=reader, what=what, object_id="1", patient_id=patient_id)
    chief = UserFactory(username="chief")
    chief.groups.add(roles[role_names.CLINIC_ADMIN])
    sign_in_with_second_factor(client, chief)
    reads = reverse("admin:clinic_clinicalread_changelist")

    found = client.get(reads, {"q": "7"})
    assert found.status_code == 200
    assert sorted(r.what for r in found.context["cl"].result_list) == ["intake", "photo"]
    # Words that are not an id search the other columns, not a server error.
    assert client.get(reads, {"q": "reader"}).context["cl"].result_count == 3
    assert client.get(reads, {"q": "x<y>"}).status_code == 200


def test_changes_to_an_assessment_are_in_the_trail_with_who_made_them(client, roles):
    from patients.models import Assessment
    from tests.factories import assessed, booking_with_intake

    location, (practitioner,), consultation_type = bookable_clinic()
    practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    booking = booking_with_intake(location, consultation_type, practitioner, 2)
    assessed(booking, practitioner.user)
    sign_in_with_second_factor(client, practitioner.user)
    form = {
        "pattern": "male_pattern",
        "stage": "nh4",
        "likely_cause": "androgenetic",
        "recommendations": ["prp"],
        "rationale": "Revised after the blood tests.",
        "patient_summary": "The common kind.",
    }
    assert client.post(reverse("staff:assessment", args=[booking.pk]), form).status_code == 302
    latest = Assessment.history.order_by("-history_date").first()
    assert (latest.history_type, latest.history_user) == ("~", practitioner.user)
    assert latest.rationale == "Revised after the blood tests."
    assert latest.history_ip_address == "127.0.0.1"
    chief = UserFactory(username="chief")
    chief.groups.add(roles[role_names.CLINIC_ADMIN])
    sign_in_with_second_factor(client, chief)
    trail = client.get(reverse("admin:patients_historicalassessment_changelist"))
    assert trail.status_code == 200 and trail.context["cl"].result_count == 2


def test_reads_are_written_out_whole_as_the_model_reads_them(rf, django_assert_num_queries):
    """Reads are written out in SQL (clinic/audit.py): one statement for a page, or one per
    batch of the rows SQLite takes parameters for (300 here), in one transaction; each row as
    the model reads it back, and nothing written for nothing read."""
    from django.utils import timezone

    from clinic.audit import record_read_ids
    from clinic.models import ClinicalRead

    reader = UserFactory(username="reader")
    request = rf.get("/staff/reviews/?page=2", REMOTE_ADDR="203.0.113.9")
    request.user = reader
    before = timezone.now()
    record_read_ids(request, {"intake": [(5, 7)]})
    many = [(n, 1000 + n) for n in range(300)]
    record_read_ids(request, {"screening flags": many, "health check": [("9", None)]})
    # A statement of reads naming no patient (whose list of patients has no type of its own).
    record_read_ids(request, {"photo": [(3, None), (4, None)]})
    reads = list(ClinicalRead.objects.order_by("pk"))
    assert [(r.what, r.object_id, r.patient_id) for r in reads] == [
        ("intake", "5", 7),
        *[("screening flags", str(n), 1000 + n) for n in range(300)],
        ("health check", "9", None),
        ("photo", "3", None),
        ("photo", "4", None),
    ]
    assert {(r.user, r.path, r.ip_address) for r in reads} == {
        (reader, "/staff/reviews/?page=2", "203.0.113.9")
    }
    assert all(before <= r.at <= timezone.now() for r in reads)
    with django_assert_num_queries(0):
        record_read_ids(request, {"intake": []})


def _row(instance, *skipped):
    """The row of ``instance`` as read back, but the columns that differ by nature."""
    fields = type(instance)._meta.concrete_fields
    read = type(instance).objects.get(pk=instance.pk)
    return {f.attname: getattr(read, f.attname) for f in fields if f.attname not in skipped}


def test_an_audited_insert_writes_the_rows_and_history_a_save_writes(rf):
    details = {
        "first_name": "Ada",
        "last_name": "Byron",
        "email": "ada@example.com",
        "phone": "+447400900123",
        "date_of_birth": date(1985, 12, 10),
    }
    staff = UserFactory()
    request = rf.post("/", REMOTE_ADDR="203.0.113.9")
    request.user = staff
    HistoricalRecords.context.request = request
    try:
        saved = Patient.objects.create(**details)
        ours = Patient(**details)
        insert_audited(ours)
        location, (practitioner,), consultation_type = bookable_clinic()
        bookings = []
        for hour in (10, 12):
            start = next_slot(days=5, hour=hour)
            booking = Booking(
                patient=ours,
                practitioner=practitioner,
                consultation_type=consultation_type,
                location=location,
                starts_at=start,
                ends_at=start + consultation_type.duration,
                blocked_from=start,
                blocked_until=start + consultation_type.duration,
            )
            bookings.append(booking)
        version = ScheduleVersion.objects.get(practitioner=practitioner).version
        bookings[0].save()
        bookings[1].digest_token()
        insert_audited(bookings[1])
    finally:
        del HistoricalRecords.context.request
    assert not ours._state.adding and ours.pk != saved.pk
    varying = ("id", "created_at", "updated_at", "token", "token_digest", "video_room")
    varying += ("starts_at", "ends_at", "blocked_from", "blocked_until")
    assert _row(ours, *varying) == _row(saved, *varying)
    # Both raised the practitioner's schedule version (a receiver of post_save).
    assert ScheduleVersion.objects.get(practitioner=practitioner).version == version + 2
    assert _row(bookings[1], *varying) == _row(bookings[0], *varying)
    for by_save, by_insert in ((saved, ours), bookings):
        (expected,), (history,) = by_save.history.all(), by_insert.history.all()
        assert history.id == by_insert.pk and history.history_type == "+"
        assert history.history_user_id == staff.pk
        assert history.history_ip_address == "203.0.113.9"
        varying_history = (*varying, "history_id", "history_date")
        assert _row(history, *varying_history) == _row(expected, *varying_history)


def test_an_audited_insert_told_to_skip_history_writes_none():
    patient = Patient(
        first_name="Ada", last_name="Byron", email="ada@example.com", date_of_birth=date(1985, 1, 2)
    )
    patient.skip_history_when_saving = True
    insert_audited(patient)
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert not patient.history.exists()
    assert patient.skip_history_when_saving
