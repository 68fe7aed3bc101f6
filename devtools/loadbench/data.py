"""The benchmark's own rows in the benchmark database: the staff member who signs in, the slots
its virtual patients book, the clean-up of a previous run, and the checks after a run."""

import random
import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from bookings import selectors
from bookings.models import Booking, BookingDraft, ConsultationType, Location
from clinic.models import ClinicalRead
from clinic.roles import CLINIC_ADMIN, sync_roles
from patients.models import HairLossIntake, Patient

# Every virtual patient's e-mail ends in this domain, which nobody else in the benchmark
# database uses: that is how a later run finds and removes what this one booked.
PATIENT_DOMAIN = "load.bench.example"
STAFF_USERNAME = "bench-load-admin"
# A booking's queued tasks, each with the booking's id first: its e-mails, its reminder and
# the reminders to finish the intake (two per booking, which runs once left behind).
BOOKING_TASKS = (
    "bookings.tasks.send_booking_emails",
    "bookings.tasks.send_reminder",
    "bookings.tasks.send_intake_reminder",
)
# Time for the virtual patients to be prepared before the first of them confirms: a slot must
# still lie ahead when it is booked.
PREPARATION_MARGIN = timedelta(hours=2)


def patient_email(run: str, number: int) -> str:
    return f"patient-{run}-{number}@{PATIENT_DOMAIN}"


def staff_member() -> tuple[str, str, str]:
    """Make the benchmark's clinic admin sign-in ready: return username, password and code.

    A new password and a one-time backup code for each run, as the sign-in asks of any person.
    """
    sync_roles(Group, Permission)
    user, _ = get_user_model().objects.get_or_create(username=STAFF_USERNAME)
    password = secrets.token_urlsafe(18)
    user.is_staff = True
    user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=CLINIC_ADMIN))
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Benchmark backup codes")
    StaticToken.objects.filter(device=device).delete()
    code = secrets.token_hex(4)
    StaticToken.objects.create(device=device, token=code)
    return STAFF_USERNAME, password, code


def free_starts(consultation_type: ConsultationType, location: Location, count: int) -> list:
    """Return up to ``count`` offered start times for the virtual patients, in random order.

    They book "first available", the picker's default, so the app chooses each practitioner.
    Chosen starts lie at least a consultation and its buffers apart, and each is used by as
    many patients as it has practitioners free: whoever the app picks for one patient, a free
    practitioner is left for each of the others, so every confirm is expected to succeed and
    any refusal is a real error. The order is shuffled so that patients confirming at the same
    moment want different times, as real ones mostly do.
    """
    now = timezone.now()
    today = now.astimezone(location.zone).date()
    offered = selectors.available_slots(
        consultation_type=consultation_type,
        location=location,
        first_day=today,
        last_day=today + timedelta(days=consultation_type.horizon_days),
    ).slots
    gap = timedelta(
        minutes=consultation_type.buffer_before_minutes
        + consultation_type.duration_minutes
        + consultation_type.buffer_after_minutes
    )
    starts: list[datetime] = []
    previous = None
    for slot in offered:
        if slot.start < now + PREPARATION_MARGIN:
            continue
        if previous is None or slot.start >= previous + gap:
            starts += [slot.start] * len(slot.practitioner_ids)
            previous = slot.start
    random.Random(len(starts)).shuffle(starts)  # noqa: S311 - an order, not a secret
    return starts[:count]


def remove_previous_run() -> dict:
    """Delete what earlier runs booked, so that the data set stays the same size and the
    future slots stay free: their patients, bookings, intakes, drafts, history rows, queued
    e-mails and the staff member's audit reads. Returns the counts removed."""
    from django_tasks_db.models import DBTaskResult

    patients = Patient.objects.filter(email__endswith="@" + PATIENT_DOMAIN)
    patient_ids = list(patients.values_list("pk", flat=True))
    booking_ids = list(
        Booking.objects.filter(patient_id__in=patient_ids).values_list("pk", flat=True)
    )
    intake_ids = list(
        HairLossIntake.objects.filter(booking_id__in=booking_ids).values_list("pk", flat=True)
    )
    wanted = set(booking_ids)
    task_ids = [
        pk
        for pk, arguments in DBTaskResult.objects.filter(task_path__in=BOOKING_TASKS).values_list(
            "pk", "args_kwargs"
        )
        if (arguments.get("args") or [None])[0] in wanted
    ]
    with transaction.atomic():
        drafts = BookingDraft.objects.filter(
            Q(booking_id__in=booking_ids) | Q(form_data__email__0__endswith="@" + PATIENT_DOMAIN)
        ).delete()[0]
        Booking.objects.filter(pk__in=booking_ids).delete()
        Patient.objects.filter(pk__in=patient_ids).delete()
        # The deletions above are audited too; a benchmark's rows leave no trail behind.
        Booking.history.model.objects.filter(id__in=booking_ids).delete()
        Patient.history.model.objects.filter(id__in=patient_ids).delete()
        HairLossIntake.history.model.objects.filter(id__in=intake_ids).delete()
        DBTaskResult.objects.filter(pk__in=task_ids).delete()
        ClinicalRead.objects.filter(user__username=STAFF_USERNAME).delete()
        Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"patients": len(patient_ids), "bookings": len(booking_ids), "drafts": drafts}


def tidy_tables() -> None:
    """Vacuum and analyse the tables a run writes to, as autovacuum would on a live database.

    Each run inserts and then deletes a few thousand rows; on a server with autovacuum off
    (as benchmark machines may be), dead rows would pile up run after run and slow the next.
    """
    from django_tasks_db.models import DBTaskResult

    from patients.models import Consent, ScreeningFlag

    models = [
        Booking,
        Booking.history.model,
        Patient,
        Patient.history.model,
        HairLossIntake,
        HairLossIntake.history.model,
        Consent,
        ScreeningFlag,
        BookingDraft,
        Session,
        ClinicalRead,
        DBTaskResult,
    ]
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def forget_sessions(session_keys) -> None:
    """Sign the virtual patients and the staff member out: their sessions are the run's own."""
    keys = [key for key in session_keys if key]
    for start in range(0, len(keys), 1000):
        Session.objects.filter(session_key__in=keys[start : start + 1000]).delete()


def bookings_made(run: str) -> int:
    return Booking.objects.filter(patient__email__startswith=f"patient-{run}-").count()


def overlapping_active_bookings() -> int:
    """Count active bookings that overlap an earlier active booking of the same practitioner
    on their blocked intervals. One pass over each practitioner's bookings in order: a booking
    overlaps an earlier one exactly when it starts before the latest end seen so far."""
    table = Booking._meta.db_table
    sql = f"""
        SELECT count(*) FROM (
            SELECT blocked_from, max(blocked_until) OVER (
                PARTITION BY practitioner_id ORDER BY blocked_from, id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) AS busy_until
            FROM {table}
            WHERE status <> %s
        ) AS ordered
        WHERE busy_until > blocked_from
    """  # noqa: S608 - the table name is the model's own, the status a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [Booking.Status.CANCELLED])
        return cursor.fetchone()[0]
