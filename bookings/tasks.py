"""Background work: booking e-mails and reminders, run by `manage.py db_worker`.

Callers enqueue through ``notify_and_remind_on_commit`` and ``notify_on_commit`` (and the
``*_on_commit`` helpers below), inside their transaction; the tasks run only once it has
committed, so they never see a booking that was rolled back.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.signals import task_enqueued
from django_tasks.utils import normalize_json
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from bookings import notifications, waitlist_offers
from bookings.models import Booking, WaitlistEntry
from clinic import sql_insert
from patients.models import HairLossIntake

# Days before the consultation when an unfinished intake is asked for again.
INTAKE_REMINDER_DAYS = (3, 1)


@task()
def send_booking_emails(booking_id: int, kind: str, sequence: int) -> str:
    """Send the e-mails about one version of a booking; a later change sends its own."""
    booking = Booking.objects.select_related(
        "patient", "practitioner__user", "location", "consultation_type"
    ).get(pk=booking_id)
    if booking.sequence != sequence:
        return "skipped: booking changed since"
    notifications.send_patient_email(booking, kind)
    notifications.send_clinic_email(booking, kind)
    return "sent"


@task()
def send_reminder(booking_id: int, sequence: int) -> str:
    """Send the reminder for one version of a booking, exactly once.

    Nothing is sent for a cancelled booking, or for a version that has since been moved (the
    move scheduled its own reminder). The booking row is locked and marked in the same
    transaction as the send, so a second run or a restarted worker finds it already marked; if
    the send fails, the mark is rolled back and a retry sends it.
    """
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("patient", "practitioner__user", "location", "consultation_type")
            .get(pk=booking_id)
        )
        if booking.status != Booking.Status.CONFIRMED:
            return "skipped: not confirmed"
        if booking.sequence != sequence:
            return "skipped: booking changed since"
        if booking.reminder_sent_for_sequence == sequence:
            return "skipped: already sent"
        if booking.starts_at <= timezone.now():
            return "skipped: already started"
        booking.reminder_sent_for_sequence = sequence
        booking.save(update_fields=["reminder_sent_for_sequence"])
        notifications.send_patient_email(booking, "reminder")
    return "sent"


@task()
def send_intake_reminder(booking_id: int, sequence: int, days: int) -> str:
    """Ask the patient, once, to finish the hair-loss questions ``days`` before the visit.

    Nothing is sent once the intake is in, for a type that does not ask for it before the
    visit, or for a booking cancelled, moved since (the move queued its own) or started. The
    mark is written with the send, under the booking's lock, as for the reminder.
    """
    key = f"{sequence}:{days}"
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("patient", "practitioner__user", "location", "consultation_type")
            .get(pk=booking_id)
        )
        if booking.status != Booking.Status.CONFIRMED:
            return "skipped: not confirmed"
        if booking.sequence != sequence:
            return "skipped: booking changed since"
        if not booking.consultation_type.intake_required:
            return "skipped: intake not required"
        if HairLossIntake.objects.filter(booking=booking).exists():
            return "skipped: intake done"
        if key in booking.intake_reminders_sent:
            return "skipped: already sent"
        if booking.starts_at <= timezone.now():
            return "skipped: already started"
        booking.intake_reminders_sent = [*booking.intake_reminders_sent, key]
        booking.save(update_fields=["intake_reminders_sent"])
        notifications.send_intake_reminder(booking)
    return "sent"


def _enqueue_on_commit(queued) -> None:
    """Queue each of ``queued`` (a task and its arguments) with the caller's transaction, all
    or none.

    With the database backend, the task rows are written in that transaction, in one INSERT
    (``_enqueue_rows``): the worker sees them when it commits, and never if it rolls back (to a
    savepoint too). A process that dies just after the commit therefore leaves no booking
    without its e-mails and reminders, as queueing after the commit did; and the confirm waits
    for one commit, not two. With any other backend, each is queued once the transaction has
    committed, all in one transaction.
    """
    if not queued:
        return
    if _enqueue_rows(queued):
        return

    def enqueue_all():
        with transaction.atomic():
            for queued_task, args in queued:
                queued_task.enqueue(*args)

    transaction.on_commit(enqueue_all)


def _enqueue_rows(queued) -> bool:
    """Queue the tasks as the database backend's ``enqueue`` does, row for row, but in one
    INSERT; return False, queueing nothing, when they do not all use that backend (callers
    then enqueue each through the tasks API, whatever the backend).

    Written out (``clinic.sql_insert``): ``bulk_create`` compiled it anew each time. The
    backend's signal that a task was queued is sent once the transaction has committed."""
    backend = queued[0][0].get_backend()
    if not isinstance(backend, DatabaseBackend) or any(
        queued_task.backend != backend.alias for queued_task, _ in queued
    ):
        return False
    for queued_task, _ in queued:
        backend.validate_task(queued_task)
    rows = [
        DBTaskResult(
            # The backend's own id (its ``id_function`` option, or the model's default).
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": {}}),
            priority=queued_task.priority,
            task_path=queued_task.module_path,
            queue_name=queued_task.queue_name,
            # No save, so no pre_save, where the backend sets "no time" to its far future.
            run_after=queued_task.run_after or get_date_max(),
            backend_name=backend.alias,
        )
        for queued_task, args in queued
    ]
    sql_insert.insert_rows(rows)

    def announce():
        for row in rows:
            task_enqueued.send(type(backend), task_result=row.task_result)

    transaction.on_commit(announce)
    return True


def _booking_emails(booking: Booking, kind: str):
    return (send_booking_emails, (booking.pk, kind, booking.sequence))


def _reminders(booking: Booking) -> list:
    """The reminder and the intake reminders of the booking's current version still ahead, as
    tasks with their arguments."""
    send_at = booking.starts_at - timedelta(hours=settings.REMINDER_HOURS_BEFORE)
    if send_at <= timezone.now():
        return []  # booked inside the reminder window: the confirmation is reminder enough
    queued = [(send_reminder.using(run_after=send_at), (booking.pk, booking.sequence))]
    return queued + _intake_reminders(booking)


def _intake_reminders(booking: Booking) -> list:
    if not booking.consultation_type.intake_required:
        return []
    queued = []
    for days in INTAKE_REMINDER_DAYS:
        send_at = booking.starts_at - timedelta(days=days)
        if send_at <= timezone.now():
            continue
        queued.append(
            (
                send_intake_reminder.using(run_after=send_at),
                (booking.pk, booking.sequence, days),
            )
        )
    return queued


def notify_on_commit(booking: Booking, kind: str) -> None:
    _enqueue_on_commit([_booking_emails(booking, kind)])


def notify_and_remind_on_commit(booking: Booking, kind: str) -> None:
    """Queue the e-mails about the booking's current version and its reminders still ahead,
    all in one transaction once the caller's has committed."""
    _enqueue_on_commit([_booking_emails(booking, kind), *_reminders(booking)])


@task()
def offer_freed_time(booking_id: int, practitioner_id: int, starts_at: str, sequence: int) -> str:
    """Offer a time a cancelled or moved booking freed to the waitlist."""
    sent = waitlist_offers.offer_freed_time(
        booking_id=booking_id,
        practitioner_id=practitioner_id,
        starts_at=datetime.fromisoformat(starts_at),
        sequence=sequence,
    )
    return f"offered to {sent}"


@task()
def send_waitlist_joined(entry_id: int) -> str:
    entry = WaitlistEntry.objects.select_related("location").filter(pk=entry_id).first()
    if entry is None:
        return "skipped: left the waitlist"
    waitlist_offers.send_joined_email(entry)
    return "sent"


def offer_freed_time_on_commit(booking: Booking, starts_at, practitioner_id: int) -> None:
    """Once the transaction that cancelled or moved ``booking`` has committed, offer the time
    it held (``starts_at`` with ``practitioner_id``) to the waitlist."""
    args = (booking.pk, practitioner_id, starts_at.isoformat(), booking.sequence)
    transaction.on_commit(lambda: offer_freed_time.enqueue(*args))


def waitlist_joined_on_commit(entry: WaitlistEntry) -> None:
    entry_id = entry.pk
    transaction.on_commit(lambda: send_waitlist_joined.enqueue(entry_id))
