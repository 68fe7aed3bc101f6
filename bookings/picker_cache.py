"""The slot picker's availability, kept in the shared cache for every visitor and checked
against the database on every request.

Drawing the picker's times reads every booking of the eligible practitioners over a month and
runs the slot engine for each of them. Its output (the free times and who is free at each) is
kept in Django's cache (local memory, or Redis when ``REDIS_URL`` is set) under a key made of
everything that decides it:

- the location, the practitioner asked for (or "any") and the dates searched;
- the consultation type's row (duration, buffers, notice, horizon, …);
- which practitioners offer the type, each with their ``ScheduleVersion``, which every change
  that can move their free times (a booking made, moved or cancelled, hours, time off, a
  closure of their location, locations, their row) raises in the same transaction (the
  receivers below).

One query reads the versions on every request, so an entry is never used once anything behind
it has changed, whichever process made the change, and a cache that is not shared between
processes is still correct. The picker's menus (the locations offering the type, and its
practitioners at each) are kept under the same key: a practitioner's version is also raised
when their name or a location's row changes (the receivers below). The page itself is drawn
afresh for everyone (it may hold a visitor's messages, their booking in progress or the staff
menu); only the times and the menus come from here.
A time kept is dropped on reading once it falls inside the minimum notice; an entry lives at
most MAX_AGE, so a day reaching the horizon appears within minutes.

The public picker offers consultations only. A procedure's free times also depend on rooms and
equipment, which another practitioner's booking may hold, and no schedule version follows
those; so a procedure's times are never kept here.
"""

import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from bookings import selectors
from bookings.availability import Slot
from bookings.models import (
    Booking,
    Closure,
    ConsultationType,
    Location,
    Practitioner,
    ScheduleVersion,
    TimeOff,
    WorkingHours,
)
from clinic import sql_batch, sql_prepared, sql_values

User = Practitioner._meta.get_field("user").related_model

# An entry lives at most this long even if nothing changes, so that the cache holds only
# times people are looking at, and a day that comes within the horizon is offered soon.
MAX_AGE = timedelta(minutes=5)


def schedules_changed(practitioner_ids) -> None:
    """Raise the schedule version of these practitioners (in the caller's transaction)."""
    ids = sorted({pk for pk in practitioner_ids if pk is not None})
    if ids:
        # Inside ``sql_batch.together()``, sent with the block's other writes: still the last
        # lock the write takes, as the services' order has it.
        sql_batch.execute(_raise_versions(connection.vendor, len(ids)), ids)


@functools.cache
def _raise_versions(vendor: str, count: int) -> str:
    """Add one to the versions of ``count`` practitioners, making a practitioner's that is
    missing (a practitioner made by a bulk insert) as if it had been 0. Written out: every
    booking saved runs it, and the ORM's UPDATE with an F() expression took longer to compile
    than to run."""
    quote = connection.ops.quote_name
    meta = ScheduleVersion._meta
    table = quote(meta.db_table)
    version = quote(meta.get_field("version").column)
    practitioner = quote(meta.get_field("practitioner").column)
    return (
        # The model's own names, and one placeholder an id.
        f"INSERT INTO {table} ({practitioner}, {version}) "  # noqa: S608
        f"VALUES {', '.join(['(%s, 1)'] * count)} "
        f"ON CONFLICT ({practitioner}) DO UPDATE SET {version} = {table}.{version} + 1"
    )


@functools.cache
def _key_query(online: bool) -> str:
    """The one query behind a key: the type's row, and each of its practitioners with their
    schedule version. The type is found by its id, or (``online``) by its slug among those
    patients may book (``_online_parameters``). Written out rather than built by the ORM on
    every request, since it runs on every visit and the ORM's compiling cost as much as the
    query itself."""
    quote = connection.ops.quote_name
    through = ConsultationType.practitioners.through._meta
    columns = ", ".join(
        f"ct.{quote(field.column)}" for field in ConsultationType._meta.concrete_fields
    )
    if online:
        names = ["slug", *ConsultationType.bookable_online_values()]
        where = " AND ".join(
            f"ct.{quote(ConsultationType._meta.get_field(name).column)} = %s" for name in names
        )
    else:
        where = f"ct.{quote('id')} = %s"
    return (
        f"SELECT {columns}, tp.{quote('practitioner_id')}, sv.{quote('version')} "  # noqa: S608
        f"FROM {quote(ConsultationType._meta.db_table)} ct "
        f"LEFT JOIN {quote(through.db_table)} tp "
        f"ON tp.{quote('consultationtype_id')} = ct.{quote('id')} "
        f"LEFT JOIN {quote(ScheduleVersion._meta.db_table)} sv "
        f"ON sv.{quote('practitioner_id')} = tp.{quote('practitioner_id')} "
        f"WHERE {where} "
        f"ORDER BY tp.{quote('practitioner_id')}"
    )


def _online_parameters(slug: str) -> list:
    """The parameters of the ``online`` query: the slug, then the values that make a type
    bookable online, as the ORM would send them."""
    values = ConsultationType.bookable_online_values()
    return [slug] + [
        ConsultationType._meta.get_field(name).get_db_prep_value(value, connection)
        for name, value in values.items()
    ]


def _read_type(row):
    """Make the type's instance from its columns, with the conversions the ORM applies to
    them (a boolean or a decimal on SQLite, …)."""
    names, values = [], []
    for field, value in zip(ConsultationType._meta.concrete_fields, row, strict=False):
        names.append(field.attname)
        values.append(sql_values.reader(field)(value))
    return ConsultationType.from_db(connection.alias, names, values)


def _read_key(online: bool, parameters: list):
    """Return the type's row and the key of everything its free times depend on beyond the
    dates asked for (its row and its practitioners' schedule versions), or None when there
    is no such type."""
    with connection.cursor() as cursor:
        # The parameters are the type's id, or its slug and fixed values; the rest is the
        # models' own names.
        sql_prepared.execute(cursor, _key_query(online), parameters)
        graph = cursor.fetchall()
    if not graph:
        return None
    return graph[0], hashlib.sha256(repr(graph).encode()).hexdigest()


def schedule_state(consultation_type: ConsultationType) -> str:
    """Read, in one query, everything the type's free times depend on beyond the dates asked
    for: its row and its practitioners' schedule versions; return it as a digest."""
    read = _read_key(False, [consultation_type.pk])
    return read[1] if read else hashlib.sha256(b"[]").hexdigest()


@dataclass(frozen=True)
class PickerState:
    """What the picker reads before its times: the type; ``key``, the digest of everything its
    free times depend on (``schedule_state``); and ``offered``, where it is offered, each place
    with its practitioners there (``selectors.offered_where``)."""

    consultation_type: ConsultationType
    key: str
    offered: list[tuple[Location, list[Practitioner]]]


def online_picker_state(slug: str) -> PickerState | None:
    """Read the type patients may book with this slug (None if there is none) and its key in
    one query, and where and by whom it is offered from the shared cache under that key.

    The key moves with every change to who offers the type where: the type's practitioners
    are in it, and the receivers below raise a practitioner's version when their row, their
    name, their locations or a location's row change. Read from the database, the menus cost
    a query whose planning (five tables) took longer than everything else the key needs.
    """
    read = _read_key(True, _online_parameters(slug))
    if read is None:
        return None
    row, key = read
    consultation_type = _read_type(row)
    offered_key = f"picker-offered:{key}"
    offered = cache.get(offered_key)
    if offered is None:
        offered = selectors.offered_where(consultation_type)
        cache.set(offered_key, offered, timeout=int(MAX_AGE.total_seconds()))
    return PickerState(consultation_type, key, offered)


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
    key = f"free-times:{state}:{location.pk}:{location.time_zone}:{who}:{first_day}:{last_day}"
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
        cache.set(key, (rows, result.closed), timeout=int(MAX_AGE.total_seconds()))
        return result
    rows, closed = kept
    earliest = now + timedelta(hours=consultation_type.min_notice_hours)
    practitioners = {p.pk: p for p in eligible if practitioner is None or p.pk == practitioner.pk}
    slots = [Slot(start, end, ids) for start, end, ids in rows if start >= earliest]
    return selectors.Availability(location, consultation_type, slots, practitioners, closed=closed)


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


@receiver(post_save, sender=Closure)
@receiver(post_delete, sender=Closure)
def _closure_changed(sender, instance, **kwargs):
    # Everyone working at the location: the days closed are time off for each of them.
    schedules_changed(
        Practitioner.locations.through.objects.filter(location_id=instance.location_id).values_list(
            "practitioner_id", flat=True
        )
    )


@receiver(post_save, sender=Practitioner)
def _practitioner_changed(sender, instance, created, **kwargs):
    if created:
        ScheduleVersion.objects.get_or_create(practitioner=instance)
    else:
        schedules_changed([instance.pk])


@receiver(post_save, sender=Location)
def _location_changed(sender, instance, **kwargs):
    schedules_changed(instance.practitioners.values_list("pk", flat=True))


@receiver(pre_delete, sender=Location)
def _location_deleted(sender, instance, **kwargs):
    # Before the delete: its practitioners' links to it go with it, without a signal.
    schedules_changed(instance.practitioners.values_list("pk", flat=True))


# What the picker's menu shows of a practitioner's user (``Practitioner.display_name``).
NAME_FIELDS = {"first_name", "last_name", "username"}


@receiver(post_save, sender=User)
def _user_changed(sender, instance, created, update_fields=None, **kwargs):
    # A practitioner's name is kept with the picker's menus (``online_picker_state``). A new
    # user is no one's practitioner yet; a sign-in writes only ``last_login``.
    if created or (update_fields is not None and not NAME_FIELDS & set(update_fields)):
        return
    schedules_changed(Practitioner.objects.filter(user=instance).values_list("pk", flat=True))


@receiver(m2m_changed, sender=Practitioner.locations.through)
def _practitioner_locations_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        if not reverse:  # practitioner.locations.add(...)
            schedules_changed([instance.pk])
        elif pk_set:  # location.practitioners.add(...)
            schedules_changed(pk_set)
        else:  # location.practitioners.clear(): who they were is gone; raise everyone's
            schedules_changed(Practitioner.objects.values_list("pk", flat=True))
