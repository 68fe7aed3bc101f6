"""Reminders: queued on commit for the right moment, sent once, never for a moved or cancelled
booking."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections
from django_tasks_db.models import DBTaskResult

from bookings.services import booking_cancel, booking_create, booking_reschedule
from bookings.tasks import _enqueue_rows, send_booking_emails, send_reminder
from tests.factories import PatientFactory, bookable_clinic, next_slot


def make_booking(days=5, notify=True):
    location, _, consultation_type = bookable_clinic()
    return booking_create(
        patient=PatientFactory(email="pat@example.com"),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=days),
        notify=notify,
    )


@pytest.mark.django_db(transaction=True)
def test_booking_queues_confirmation_and_a_reminder_a_day_before(settings):
    settings.REMINDER_HOURS_BEFORE = 24
    booking = make_booking()
    tasks = {t.task_path.rsplit(".", 1)[-1]: t for t in DBTaskResult.objects.all()}
    assert set(tasks) == {"send_booking_emails", "send_reminder", "send_intake_reminder"}
    assert tasks["send_reminder"].run_after == booking.starts_at - timedelta(hours=24)
    assert tasks["send_reminder"].args_kwargs["args"] == [booking.pk, 0]


@pytest.mark.django_db(transaction=True)
def test_no_reminder_is_queued_inside_the_reminder_window(settings):
    settings.REMINDER_HOURS_BEFORE = 24 * 30
    make_booking()
    assert not DBTaskResult.objects.filter(task_path__endswith="send_reminder").exists()


@pytest.mark.django_db
def test_reminder_is_sent_once_even_if_the_worker_runs_twice():
    booking = make_booking(notify=False)
    assert send_reminder.call(booking.pk, 0) == "sent"
    assert send_reminder.call(booking.pk, 0) == "skipped: already sent"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Reminder: Consultation at ")


@pytest.mark.django_db
def test_no_reminder_for_a_cancelled_or_moved_booking():
    booking = make_booking(notify=False)
    moved = booking_reschedule(
        booking=booking, starts_at=booking.starts_at + timedelta(hours=1), notify=False
    )
    assert send_reminder.call(booking.pk, 0) == "skipped: booking changed since"
    assert send_reminder.call(booking.pk, moved.sequence) == "sent"
    booking_cancel(booking=booking, notify=False)
    assert send_reminder.call(booking.pk, moved.sequence) == "skipped: not confirmed"
    assert len(mail.outbox) == 1


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_reminder():
    booking = make_booking(notify=False)
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(send_reminder.call(booking.pk, 0))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert sorted(results) == ["sent"] + ["skipped: already sent"] * 3
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_tasks_queued_in_one_insert_are_the_rows_the_backend_itself_writes():
    booking = make_booking(notify=False)
    run_after = booking.starts_at - timedelta(hours=24)
    queued = [
        (send_booking_emails, (booking.pk, "confirmed", 0)),
        (send_reminder.using(run_after=run_after), (booking.pk, 0)),
    ]
    for queued_task, args in queued:
        queued_task.enqueue(*args)
    by_backend = list(DBTaskResult.objects.order_by("task_path").values())
    DBTaskResult.objects.all().delete()
    assert _enqueue_rows(queued)
    ours = list(DBTaskResult.objects.order_by("task_path").values())
    assert len(ours) == 2
    for row in by_backend + ours:
        assert row.pop("enqueued_at") is not None
        row.pop("id")
    assert ours == by_backend
    # The rows are ready for the worker, as the backend's own are.
    assert DBTaskResult.objects.ready().count() == 1
