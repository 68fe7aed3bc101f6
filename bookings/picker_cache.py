"""The slot picker's availability, kept in the shared cache for every visitor and checked
against the database on every request.

Drawing the picker's times reads every booking of the eligible practitioners over a month and
runs the slot engine for each of them. Its output (the free times and who is free at each) is
kept in Django's cache (local memory, or Redis when ``REDIS_URL`` is set) under a key made of
everything that decides it:

- the location, the practitioner asked for (or "any") and the dates searched;
- the consultation type's row (duration, buffers, notice, horizon, …);
- which practitioners offer the type, each with their ``ScheduleVersion``, which every change
  that can move their free times (a booking made, moved or cancelled, hours, time off,
  locations, their row) raises in the same transaction (the receivers below).

One query reads the versions on every request, so an entry is never used once anything behind
it has changed, whichever process made the change, and a cache that is not shared between
processes is still correct. The page itself is drawn afresh for everyone (it may hold a
visitor's messages, their booking in progress or the staff menu); only the times come from here.
A time kept is dropped on reading once it falls inside the minimum notice; an entry lives at
most MAX_AGE, so a day reaching the horizon appears within minutes.

The public picker offers consultations only. A procedure's free times also depend on rooms and
equipment, which another practitioner's booking may hold, and no schedule version follows
those; so a procedure's times are never kept here.
"""

import functools
import hashlib
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from bookings import selectors
from bookings.availability import Slot
from bookings.models import (
    Booking,
    ConsultationType,
    Location,
    Practitioner,
    ScheduleVersion,
    TimeOff,
    WorkingHours,
)

# An entry lives at most this long even if nothing changes, so that the cache holds only
# times people are looking at, and a day that comes within the horizon is offered soon.
MAX_AGE = timedelta(minutes=5)


def schedules_changed(practitioner_ids) -> None:
    """Raise the schedule version of these practitioners (in the caller's transaction)."""
    ids = {pk for pk in practitioner_ids if pk is not None}
    if not ids:
        return
    versions = ScheduleVersion.objects.filter(practitioner_id__in=ids)
    if versions.update(version=F("version") + 1) < len(ids):
        # A practitioner made without one (a bulk insert): create it, then raise it too.
        ScheduleVersion.objects.bulk_create(
            [ScheduleVersion(practitioner_id=pk) for pk in ids], ignore_conflicts=True
        )
        versions.update(version=F("version") + 1)


@functools.cache
def _key_query() -> str:
    """The one query behind a key: the type's row, and each of its practitioners with their
    schedule version. Written out rather than built by the ORM on every request, since it runs
    on every visit and the ORM's compiling cost as much as the query itself."""
    quote = connection.ops.quote_name
    through = ConsultationType.practitioners.through._meta
    columns = ", ".join(
        f"ct.{quote(field.column)}" for field in ConsultationType._meta.concrete_fields
    )
    return (
        f"SELECT {columns}, tp.{quote('practitioner_id')}, sv.{quote('version')} "  # noqa: S608
        f"FROM {quote(ConsultationType._meta.db_table)} ct "
        f"LEFT JOIN {quote(through.db_table)} tp "
        f"ON tp.{quote('consultationtype_id')} = ct.{quote('id')} "
        f"LEFT JOIN {quote(ScheduleVersion._meta.db_table)} sv "
        f"ON sv.{quote('practitioner_id')} = tp.{quote('practitioner_id')} "
        f"WHERE ct.{quote('id')} = %s "
        f"ORDER BY tp.{quote('practitioner_id')}"
    )


def schedule_state(consultation_type: ConsultationType) -> str:
    """Read, in one query, everything the type's free times depend on beyond the dates asked
    for: its row and its practitioners' schedule versions; return it as a digest."""
    with connection.cursor() as cursor:
        # Only the type's id is a parameter; the rest is the models' own names.
        cursor.execute(_key_query(), [consultation_type.pk])
        graph = cursor.fetchall()
    return hashlib.sha256(repr(graph).encode()).hexdigest()


def available_slots(
    *,
    state: str,
    consultation_type: ConsultationType,
    location: Location,
    first_day: date,
    last_day: date,
    practitioner: Practitioner | None,
    eligible: list[Practitioner],
    now: datetime,
) -> selectors.Availability:
    """``selectors.available_slots`` for the picker, from the cache when ``state`` (from
    ``schedule_state``, read in this request) still matches what the times were drawn from."""
    if consultation_type.is_procedure:
        return selectors.available_slots(
            consultation_type=consultation_type,
            location=location,
            first_day=first_day,
            last_day=last_day,
            practitioner=practitioner,
            eligible=eligible,
            now=now,
        )
    who = practitioner.pk if practitioner else "any"
    key = f"availability:{state}:{location.pk}:{location.time_zone}:{who}:{first_day}:{last_day}"
    kept = cache.get(key)
    if kept is None:
        result = selectors.available_slots(
            consultation_type=consultation_type,
            location=location,
            first_day=first_day,
            last_day=last_day,
            practitioner=practitioner,
            eligible=eligible,
            now=now,
        )
        rows = [(slot.start, slot.end, slot.practitioner_ids) for slot in result.slots]
        cache.set(key, rows, timeout=int(MAX_AGE.total_seconds()))
        return result
    earliest = now + timedelta(hours=consultation_type.min_notice_hours)
    practitioners = {p.pk: p for p in eligible if practitioner is None or p.pk == practitioner.pk}
    slots = [Slot(start, end, ids) for start, end, ids in kept if start >= earliest]
    return selectors.Availability(location, consultation_type, slots, practitioners)


# Every change that can move free times raises the versions of the practitioners it touches.
# A booking moved from one practitioner to another frees the first one's time: until their
# version is raised by another change (or the entry's few minutes are up), that time may be
# missing from the picker, which is the safe side: a time shown is never taken.


@receiver(post_save, sender=Booking)
def _booking_saved(sender, instance, created, update_fields=None, **kwargs):
    schedules_changed(instance.schedule_change(created=created, update_fields=update_fields))


@receiver(post_delete, sender=Booking)
@receiver(post_save, sender=WorkingHours)
@receiver(post_delete, sender=WorkingHours)
@receiver(post_save, sender=TimeOff)
@receiver(post_delete, sender=TimeOff)
def _practitioner_schedule_changed(sender, instance, **kwargs):
    schedules_changed([instance.practitioner_id])


@receiver(post_save, sender=Practitioner)
def _practitioner_changed(sender, instance, created, **kwargs):
    if created:
        ScheduleVersion.objects.get_or_create(practitioner=instance)
    else:
        schedules_changed([instance.pk])


@receiver(post_save, sender=Location)
def _location_changed(sender, instance, **kwargs):
    schedules_changed(instance.practitioners.values_list("pk", flat=True))


@receiver(m2m_changed, sender=Practitioner.locations.through)
def _practitioner_locations_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        if not reverse:  # practitioner.locations.add(...)
            schedules_changed([instance.pk])
        elif pk_set:  # location.practitioners.add(...)
            schedules_changed(pk_set)
        else:  # location.practitioners.clear(): who they were is gone; raise everyone's
            schedules_changed(Practitioner.objects.values_list("pk", flat=True))
